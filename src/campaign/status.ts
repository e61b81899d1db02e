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
  /** Running, but its calls keep failing for a reason only an operator can fix (troubles.ts). */
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
  /** Errors the calls met lately, one per kind, each with what to do (src/campaign/troubles.ts). */
  troubles?: TroubleStatus[];
  /** Why the campaign is `blocked`, in one line. */
  blockedBy?: string;
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
}
