import type { BlockingPart } from './blocking';
import { describeAnomaly, type Anomaly, type AnomalyKind } from './anomalies';
import type { OutcomeCounts } from './outcome';
import type { TroubleKind } from './troubles';

/** What a campaign cost, counted as Temporal Cloud bills it. */
export interface CampaignCost {
  workflowRuns: number;
  activities: number;
  activityRetries: number;
  timers: number;
  signals: number;
  updates: number;
  searchAttributeUpserts: number;
  /** Not in history: estimated from the SDK's heartbeat throttling. */
  heartbeats: number;
}

export const CAMPAIGN_STATES = [
  'running',
  /**
   * Running, but held back by a cause that does not heal by retrying the calls: one of our own
   * parts failing (blocking.ts; it resumes by itself once the part heals), or KooPhone refusing
   * the token (troubles.ts).
   */
  'blocked',
  'paused',
  'canceling',
  'canceled',
  'aborted',
  'completed',
  'failed',
  // Ended from outside (`temporal workflow terminate`): its report is rebuilt from the store.
  'terminated',
] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

/** States a campaign never leaves: its last status update is when it finished. */
const ENDED_STATES: readonly CampaignState[] = ['canceled', 'aborted', 'completed', 'failed', 'terminated'];

export function hasEnded(state: CampaignState): boolean {
  return ENDED_STATES.includes(state);
}

/** What `status --json` prints and the progress query returns (docs/design.md "Operator interface"). */
export interface CampaignStatus {
  campaignId: string;
  state: CampaignState;
  total: number;
  pending: number;
  inFlight: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  rejected: number;
  missingJob: number;
  skipped: number;
  canceled: number;
  resetsSent: number;
  startedAt: string;
  updatedAt: string;
  // Beyond the contract: what an operator needs to judge a running campaign.
  reason?: string;
  batchResetCalls: number;
  taskPolls: number;
  /** Calls that reached a worker too late for their rate slot and went back, unsent, for a new one. */
  slotsMissed: number;
  currentRate: number;
  configuredRate: number | string;
  /** The campaign's share of the account's limits, when `koophone-reset account --rate` set them. */
  accountShare?: { rate?: number; queryRate?: number };
  currentConcurrency: number;
  /**
   * Batches whose call is due (sent or being sent); ones waiting for their slot are not counted.
   * "Due" as of the workflow's last task (workflow time stands still in a query), so it can lag
   * by the few batches whose slot came since; `inFlight` counts every started batch's instances.
   */
  batchesInFlight: number;
  windowOpen: boolean;
  nextWindow?: string;
  cost: CampaignCost & { temporalActions: number; apiCalls: number };
  canary: 'pending' | 'running' | 'passed' | 'off';
  errorBudget: { used: number; limit: string };
  awaitingRetry: number;
  run: number;
  reportLocation?: string;
  /** Instances per batch-reset call: a finished campaign's result says it (the progress query not yet). */
  batchSize?: number;
  /** Errors the calls met lately, one per kind, each with what to do (src/campaign/troubles.ts). */
  troubles?: TroubleStatus[];
  /** Why the campaign is `blocked`, in one line with what to do. */
  blockedBy?: string;
  /** The own part that blocks it (src/campaign/blocking.ts), for scripts. */
  blockingCause?: BlockingCauseStatus;
  /** Odd answers the campaign dropped or collapsed, one per kind (src/campaign/anomalies.ts). */
  anomalies?: AnomalyStatus[];
  /** Fleet listing calls (the pre-flight's and later ones), also in `cost.apiCalls`. */
  listingCalls?: number;
  /** `--max-per-pool` in words, with each pool's limit: "10% of each pool at once (…)". */
  poolBudget?: string;
}

export interface BlockingCauseStatus {
  part: BlockingPart;
  /** ENOSPC, EACCES, a SQLSTATE, STORE_LOST, WRONG_STORE, IAM_401, WRONG_ACCOUNT, … */
  code: string;
  message: string;
  since: string;
  lastAt: string;
  fix: string;
}

export interface AnomalyStatus {
  kind: AnomalyKind;
  count: number;
  example: string;
  /** In words: "2 cmd_jobs for ids not asked (e.g. xyz) dropped". */
  text: string;
}

export function anomalyStatus(anomalies: readonly Anomaly[] | undefined): AnomalyStatus[] {
  return (anomalies ?? []).map((a) => ({
    kind: a.kind,
    count: a.count,
    example: a.example,
    text: describeAnomaly(a),
  }));
}

export interface TroubleStatus {
  kind: TroubleKind;
  code: string;
  message: string;
  calls: number;
  firstAt: string;
  lastAt: string;
  hint: string;
}

/** The fields of the operator contract (docs/design.md "Operator interface"): every status has them. */
type ContractStatus = Pick<
  CampaignStatus,
  | 'campaignId'
  | 'state'
  | 'total'
  | 'pending'
  | 'inFlight'
  | 'succeeded'
  | 'failed'
  | 'timedOut'
  | 'rejected'
  | 'missingJob'
  | 'skipped'
  | 'canceled'
  | 'resetsSent'
  | 'startedAt'
  | 'updatedAt'
>;

/**
 * The one status shape (docs/design.md "One declaration per fact"): a running campaign answers
 * the progress query with every field; a finished one is rebuilt from its result
 * (statusFromResult), which lacks the live-only extras.
 */
export type CampaignView = ContractStatus &
  Partial<Omit<CampaignStatus, keyof ContractStatus>> & {
    /** The report was rebuilt from the store and the journal after the campaign ended without it (terminated, timed out, failed). */
    reportRebuilt?: { after: 'terminated' | 'timed out' | 'failed'; at: string };
  };

export function statusFromCounts(counts: OutcomeCounts) {
  return {
    succeeded: counts.succeeded,
    failed: counts.failed,
    timedOut: counts.timed_out,
    rejected: counts.rejected,
    missingJob: counts.missing_job,
    skipped: counts.skipped,
    canceled: counts.canceled,
  };
}

/** The workflow's result: the summary counts and where the report is. */
export interface CampaignResult {
  campaignId: string;
  state: CampaignState;
  reason?: string;
  total: number;
  counts: OutcomeCounts;
  resetsSent: number;
  batchResetCalls: number;
  reportLocation: string;
  reportLines: number;
  startedAt: string;
  finishedAt: string;
  cost: CampaignStatus['cost'];
  /** The rate the campaign ran at (as in CampaignStatus) and its batch size, for the report. */
  configuredRate?: number | string;
  batchSize?: number;
  /** Odd answers the campaign dropped or collapsed (absent when none). */
  anomalies?: Anomaly[];
}

/** A finished campaign's status, from its result: the final counts, in the status object's spelling. */
export function statusFromResult(r: CampaignResult): CampaignView {
  return {
    campaignId: r.campaignId,
    state: r.state,
    total: r.total,
    pending: 0,
    inFlight: 0,
    ...statusFromCounts(r.counts),
    resetsSent: r.resetsSent,
    startedAt: r.startedAt,
    updatedAt: r.finishedAt,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    batchResetCalls: r.batchResetCalls,
    // What the result records of the live-only fields: a finished campaign's status says as much
    // (results of runs from before the workflow returned its cost, rate or batch size lack them).
    ...(r.cost !== undefined ? { cost: r.cost } : {}),
    ...(r.configuredRate !== undefined ? { configuredRate: r.configuredRate } : {}),
    ...(r.batchSize !== undefined ? { batchSize: r.batchSize } : {}),
    ...(r.reportLocation ? { reportLocation: r.reportLocation } : {}),
    ...(r.anomalies?.length ? { anomalies: anomalyStatus(r.anomalies) } : {}),
  };
}
