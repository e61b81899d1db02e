import type { OwnPartFault } from './blocking';
import type { Anomaly } from './anomalies';
import { batchRange, type BatchLayout } from './batch-layout';
import type { ErrorBudget } from './options';
import type { SpoolHold } from './spool-hold';
import type { SpoolSeal } from './spool-seal';
import { emptyCounts, type OutcomeCounts } from './outcome';
import type { RateState } from './rate-slots';
import type { TroubleSeen } from './troubles';
import type { ResetBatchResult, WorkItem } from './work-item';

/**
 * A lane: one long-running activity that owns a share of the campaign's rate and concurrency for
 * one term, sends its items' batch-reset calls on its own pace (so the campaign's rate holds
 * across lanes and workers with no workflow round trip per call), journals each call before it
 * is sent, tracks the jobs and returns the outcomes in bulk. See docs/design.md, "Campaign engine".
 */
/**
 * Workers send a lane's heartbeats this often at most (the SDK's default waits up to 0.8 × the
 * heartbeat timeout): a heartbeat's answer is how a cancellation reaches a lane, so pause, cancel
 * and a new account share reach the lanes within this long. Each heartbeat is a billed action.
 */
export const HEARTBEAT_THROTTLE_MS = 2000;

export interface LaneInput {
  campaignId: string;
  /** The term this lane belongs to: names its progress signals. */
  term: number;
  /** This lane's place among the term's lanes (their shares add up to the campaign's). */
  lane: number;
  lanes: number;
  /** Items to run first: handed over by the last term (their tracking resumes) and due retries. */
  items: WorkItem[];
  /**
   * New first-round batches [from, to) of the spool, `batchSize` instances each, or as the
   * campaign's batch layout cuts them (read by the lane from the prepared record).
   */
  batches?: { from: number; to: number };
  batchSize: number;
  spoolTotal: number;
  /** The lane's part of the campaign's rate, with its own AIMD state. */
  rate: RateState;
  /** What the lane's rate may grow back to: its part of the configured (or shared) rate. */
  ceiling: number;
  // Times are durations from when the lane starts, on its worker's own clock: a worker whose clock
  // runs ahead of the server's (or a server that skips time) must neither wait nor stop early.
  /** No call before this long (one lane interval after the last term's call, the lane's stagger). */
  startDelayMs: number;
  /** No call after this long: the term, or what is left of the maintenance window. 0: track only. */
  sendForMs: number;
  /** Hand over what is still tracking after this long; absent: track everything to its end. */
  returnAfterMs?: number;
  /** Items in flight at most (sending or tracking). */
  concurrency: number;
  /** Stop sending and return at once when this lane's errors would break the campaign's budget. */
  budget?: LaneBudget;
  /** Every result on its own (the canary judges per batch); otherwise clean ones are summed. */
  detail: boolean;
  /** Stop sending once the results carry this many explicit ids (re-resets, halves): payload bound. */
  maxResultIds: number;
  item: LaneItemOptions;
}

export interface LaneItemOptions {
  retryFailed: number;
  retryTimedOut: number;
  noRetryCodes: string[];
  jobTimeoutMs: number;
  heartbeatTimeoutMs: number;
  minPollIntervalMs?: number;
  sourceFile?: { path: string; size: number; mtimeMs: number; sha256: string };
  /** What prepare wrote into the spool: every slice is proved against it before it is used. */
  seal?: SpoolSeal;
}

export interface LaneBudget {
  maxErrors: ErrorBudget;
  abortOn: { failed?: ErrorBudget; timed_out?: ErrorBudget; rejected?: ErrorBudget };
  abortMinFinished: number;
  /** The campaign's counts when the term started. */
  counts: OutcomeCounts;
  /** Of its failed, those written for an unusable journal (they spend no budget). */
  quarantined?: number;
  total: number;
}

/** Clean tracked items, summed: their only effect on the campaign is their counts. */
export interface LaneTotals {
  items: number;
  counts: OutcomeCounts;
  resets: number;
  /** First-round items that ended with no error and nothing to re-reset (the ramp's progress). */
  cleanFirstRound: number;
  /** Of `counts.failed`, phones whose journal could not be used (no error budget spent). */
  quarantined?: number;
}

export interface LaneResult {
  /** Items whose result needs a decision (retries, halves, re-resets, give-ups), or all with `detail`. */
  results: { item: WorkItem; result: ResetBatchResult }[];
  totals: LaneTotals;
  /** Items never started (the term ended first): exactly as they came. */
  unsent: WorkItem[];
  /** New batches never started. */
  unsentBatches?: { from: number; to: number };
  /** Items whose call was accepted and whose tracking the next lane resumes from the journal. */
  handedOver: WorkItem[];
  rate: RateState;
  calls: number;
  polls: number;
  heartbeats: number;
  /** Why the lane returned before its term ended. */
  stopped?: string;
  attempt: number;
  /** Errors its calls and queries met, by kind (absent from results of earlier versions). */
  troubles?: TroubleSeen[];
  /** How long before returning KooPhone last accepted a call or answered a query of this lane. */
  answeredAgoMs?: number;
  /**
   * One of our own parts failed (its store): the lane stopped sending at once and returned what it
   * did; the campaign is blocked until a probe finds the part healed (src/campaign/blocking.ts).
   */
  blocked?: OwnPartFault;
  /** Odd answers to its accepted calls (absent when none, and from earlier versions). */
  anomalies?: Anomaly[];
  /**
   * Items whose slice of the spool did not read as prepare wrote it: nothing of them was sent, and
   * the campaign holds them until the spool is restored (src/campaign/spool-hold.ts).
   */
  held?: SpoolHold;
  /**
   * The input the lane was given, as the history recorded it (absent from earlier versions): the
   * workflow's own account of it can differ (src/workflows/engine/lane-received.ts).
   */
  received?: LaneReceived;
}

/** The items (by key) and new batches a lane was given. */
export interface LaneReceived {
  keys: string[];
  batches?: { from: number; to: number };
}

export function receivedBy(input: LaneInput): LaneReceived {
  return { keys: input.items.map((i) => i.key), ...(input.batches ? { batches: { ...input.batches } } : {}) };
}

export function emptyTotals(): LaneTotals {
  return { items: 0, counts: emptyCounts(), resets: 0, cleanFirstRound: 0 };
}

/**
 * A lane that could not start because an own part fails (its store no longer holds the campaign,
 * or takes no writes): it sent nothing, and everything goes back as it came.
 */
export function untouchedLane(input: LaneInput, attempt: number, blocked: OwnPartFault): LaneResult {
  return {
    results: [],
    totals: emptyTotals(),
    unsent: input.items.filter((i) => !i.handedOver),
    handedOver: input.items.filter((i) => i.handedOver),
    ...(input.batches ? { unsentBatches: input.batches } : {}),
    rate: { ...input.rate },
    calls: 0,
    polls: 0,
    heartbeats: 0,
    attempt,
    stopped: blocked.message,
    blocked,
    received: receivedBy(input),
  };
}

/** A first-round batch of the spool: a range, so a lane's input stays a few bytes per batch. */
export function batchItem(batchNo: number, layout: BatchLayout): WorkItem {
  return {
    key: `b${String(batchNo).padStart(7, '0')}`,
    batchNo,
    round: 0,
    range: batchRange(layout, batchNo),
    resets: 0,
    submitAttempts: 0,
    notBefore: 0,
  };
}

/** What a lane has done so far in its term, signalled to its workflow every few seconds. */
export interface LaneProgress {
  term: number;
  lane: number;
  counts: OutcomeCounts;
  /** Instances whose items ended (their lines are written). */
  finished: number;
  calls: number;
  polls: number;
  /** The lane's rate now and when it started: the campaign's moves by the difference. */
  rate: number;
  startRate: number;
  troubles?: TroubleSeen[];
  answeredAgoMs?: number;
  anomalies?: Anomaly[];
}
