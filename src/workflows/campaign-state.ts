import type { BlockingCause } from '../campaign/blocking';
import type { Anomaly } from '../campaign/anomalies';
import type { SpoolHold } from '../campaign/spool-hold';
import type { CampaignOptions, IdSource } from '../campaign/options';
import type { CampaignSafety } from '../campaign/safety';
import { emptyCounts, type OutcomeCounts } from '../campaign/outcome';
import type { EtaState } from '../campaign/eta';
import type { CampaignCost, CampaignState } from '../campaign/status';
import type { Trouble } from '../campaign/troubles';
import type { WorkItem } from '../campaign/work-item';
import { initialRate, type RateState } from '../campaign/rate-slots';
import type { RateShare } from '../campaign/rate-share';
import type { PreparedSource } from '../campaign/prepared-source';

/** State a run hands to the next one at continue-as-new; bounded whatever the campaign size. */
export interface CampaignCarry {
  run: number;
  startedAt: string;
  prepared?: PreparedSource;
  nextBatch: number;
  nextItem: number;
  counts: OutcomeCounts;
  resetsSent: number;
  calls: number;
  polls: number;
  /** Calls handed back unsent because they reached a worker too late for their slot. */
  slotsMissed?: number;
  /** Items waiting for their turn: bisected halves, retries, hand-overs. Capped by MAX_PENDING_IDS. */
  pending: WorkItem[];
  paused: boolean;
  cancelReason?: string;
  abortReason?: string;
  rate: RateState;
  canary: { instances: number; errors: number; outstanding: Record<number, number>; passed: boolean };
  /** First-round items that ended without an error: the exponential ramp's progress. */
  rampSucceeded: number;
  /** What the campaign cost, counted as Temporal Cloud bills it and as the API saw it. */
  cost: CampaignCost;
  /** Set once the campaign joined the account's rate coordinator: its current share. */
  account?: { share: RateShare };
  /** Lane engine: `cancel --now` — in-flight batches are not followed to their end. */
  cancelNow?: true;
  /** Lane engine: terms planned so far (names lanes' progress signals). */
  terms?: number;
  /** Lane engine: first-round batches a term's lanes handed back unsent, to go before new ones. */
  spareBatches?: { from: number; to: number }[];
  /** Lane engine: errors the calls met, by kind (a handful at most), for the status and `blocked`. */
  troubles?: Trouble[];
  /** Lane engine: when KooPhone last accepted a call or answered a query (workflow time). */
  answeredAt?: number;
  /** Lane engine: odd answers to accepted calls, one entry per kind (status.ts, anomalies). */
  anomalies?: Anomaly[];
  /** Lane engine: the smoothed pace behind the ETA in the Temporal UI's details. */
  eta?: EtaState;
  /** Lane engine: one of our own parts (the store) fails: nothing new is sent until it heals. */
  blocked?: BlockingCause;
  /** Pre-flight: when the latest fleet listing began (workflow time); calls are screened against it. */
  factsAt?: number;
  /** Pre-flight: a listing that failed is tried again at this time; nothing is sent meanwhile. */
  factsRetryAt?: number;
  /** Pre-flight: fleet listing calls made (prepare's and the refreshes'), counted in the API calls. */
  listingCalls?: number;
  /**
   * Lane engine: work held because its slice of the spool no longer reads as prepare wrote it, and
   * the cause status shows (src/campaign/spool-hold.ts). The rest of the campaign goes on.
   */
  held?: { hold: SpoolHold; cause: BlockingCause };
  /** Lane engine: of `counts.failed`, phones whose item's journal could not be used (no budget spent). */
  quarantined?: number;
  /** `--notify`: the last event's number and the state last seen (src/workflows/engine/notifier.ts). */
  notified?: { seq: number; state: CampaignState };
}

export function noCost(): CampaignCost {
  return {
    workflowRuns: 0,
    activities: 0,
    activityRetries: 0,
    timers: 0,
    signals: 0,
    updates: 0,
    searchAttributeUpserts: 0,
    heartbeats: 0,
  };
}

export function temporalActions(c: CampaignCost): number {
  return (
    c.workflowRuns +
    c.activities +
    c.activityRetries +
    c.timers +
    c.signals +
    c.updates +
    c.searchAttributeUpserts +
    c.heartbeats
  );
}

export interface CampaignWorkflowInput {
  options: CampaignOptions;
  source: IdSource;
  /** What start checked and the operator approved; prepare enforces it again. */
  safety?: CampaignSafety;
  carry?: CampaignCarry;
}

/** A new campaign's state, before prepare. */
export function newCarry(options: CampaignOptions, ownRate: number): CampaignCarry {
  return {
    run: 1,
    startedAt: new Date().toISOString(),
    nextBatch: 0,
    nextItem: 0,
    counts: emptyCounts(),
    resetsSent: 0,
    calls: 0,
    polls: 0,
    pending: [],
    paused: false,
    rate: initialRate(ownRate, options.rate === 'auto'),
    canary: { instances: 0, errors: 0, outstanding: {}, passed: options.canary === 0 },
    rampSucceeded: 0,
    cost: noCost(),
  };
}
