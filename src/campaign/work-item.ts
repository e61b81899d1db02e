import type { Anomaly } from './anomalies';
import type { Verdict } from './fleet-facts';
import type { OutcomeCounts } from './outcome';
import type { PossibleResets } from './possible-resets';
import type { SpoolSeal } from './spool-seal';

/**
 * The unit the workflow schedules: one batch-reset call's worth of instances (≤ 100) and the
 * tracking of its jobs. A spool batch becomes one item; bisection and retries make more. Items
 * hold either a spool range (first round: a few bytes of history) or explicit ids (≤ 100).
 */
export interface WorkItem {
  /** Unique within the campaign; names the item's journal and report part. */
  key: string;
  batchNo: number;
  /** 0 for the first reset, n for the n-th re-reset of failed jobs. */
  round: number;
  range?: { start: number; end: number };
  ids?: string[];
  /** Resets each instance of the item already received or may have received. */
  resets: number;
  /** Of `resets`, those that may not have happened, and why: its lines say so. */
  possible?: PossibleResets;
  submitAttempts: number;
  /** Workflow time of the first submission attempt; bounds retries by submitTimeout. */
  firstSubmitAt?: number;
  /** Epoch ms before which the item must not be submitted. */
  notBefore: number;
  /** Last error that made it wait, for the report if it is given up. */
  lastError?: { code: string; message: string };
  /** Left the canary's sample: a phone refused as busy says nothing about the rollout. */
  outsideCanary?: true;
  /** Slots missed in a row: the call reached a worker too late to be sent in it. */
  missedSlots?: number;
  /**
   * Its activity was canceled at a hand-over (continue-as-new) and reported nothing: its journal
   * may hold an accepted call or a call in flight that `resets` does not count yet.
   */
  handedOver?: true;
  /**
   * Its journal as its lane last had to write it, when the store refused the write (a full disk, a
   * database down) after the item's call went: the accepted call, or the mark of a refused one. The
   * next lane writes it before anything else, so no call of the item is lost or sent again.
   */
  journal?: JobJournal;
}

/**
 * The submitted call of one work item, written before tracking so no crash resubmits it. With an
 * empty taskId it is the mark written just before a call: a worker that dies mid-call leaves it.
 */
export interface JobJournal {
  taskId: string;
  jobs: { instanceId: string; jobId: string }[];
  submittedAt: number;
  /**
   * Calls for this item that may have reset its phones without being accepted (a worker died
   * mid-call, an answer that proves nothing) and that the workflow has not been told about yet.
   * Absent in journals of earlier versions.
   */
  uncertain?: number;
  /** Why the latest of `uncertain` was counted; absent: its worker died mid-call. */
  why?: string;
  /** The activity (run id and activity id) that wrote it: tells its own retries from later items. */
  by?: string;
  /** On a mark: the call was answered with an error, so it reset nothing. */
  answered?: true;
  /** On an answered mark: a call was made (and refused), not only handed back unsent. */
  refused?: true;
  /** On a refused mark: its answer proved nothing, so `uncertain` counts its call too. */
  possiblyApplied?: true;
  /** On an accepted call: the cmd_jobs its answer held that `jobs` leaves out or collapses. */
  anomalies?: Anomaly[];
  /**
   * Phones of the item held back from this call by the latest fleet listing (in use, frozen,
   * gone since prepare), with why: they get their line from it, the call went without them.
   */
  screened?: Record<string, Verdict>;
  /**
   * The item's phones (its spool range or ids) and the resets they had before its call: what a
   * report rebuilt from the store after a terminate needs to count this call for its phones.
   * Absent in journals of earlier versions.
   */
  item?: JournaledItem;
  /**
   * The campaign and item it was written for: a journal copied from another campaign or item is
   * not read as this one's (src/report/journal-check.ts). Absent in journals of earlier versions.
   */
  campaign?: string;
  key?: string;
}

/**
 * How many distinct jobs an accepted call's cmd_jobs list for a phone: each reset it (KooPhone may
 * list a second job for one phone), so each counts, as a lane counts them.
 */
export function jobsFor(journal: Pick<JobJournal, 'jobs'>, instanceId: string): number {
  return new Set(journal.jobs.filter((j) => j.instanceId === instanceId).map((j) => j.jobId)).size;
}

export type JournaledItem = Pick<WorkItem, 'range' | 'ids' | 'resets'>;

/**
 * The item as an activity's result leaves it: what its last activity did is now reported (so it
 * is no longer handed over), and slots missed count only in a row.
 */
export function afterResult(item: WorkItem, missedSlot: boolean): WorkItem {
  const { missedSlots, handedOver: _, ...rest } = item;
  return missedSlot && missedSlots !== undefined ? { ...rest, missedSlots } : rest;
}

export function itemSize(item: Pick<WorkItem, 'range' | 'ids'>): number {
  return item.ids ? item.ids.length : item.range ? item.range.end - item.range.start : 0;
}

export interface ResetBatchInput {
  campaignId: string;
  item: WorkItem;
  /** When this item's call may be sent: the workflow spaces calls by the campaign rate. */
  slotAt: number;
  minIntervalMs: number;
  /**
   * How late after its slot the call may still go. A later call is handed back (`SLOT_MISSED`)
   * for a fresh slot: only the workflow knows the slots every worker holds. Absent: sent however
   * late, spaced within the worker (an item that missed several slots, or an older workflow).
   */
  lateToleranceMs?: number;
  retryFailed: number;
  /** Re-resets for instances whose job was still running at the job timeout (default 0). */
  retryTimedOut?: number;
  /** Job error codes that are never retried (the phone will not get better by resetting again). */
  noRetryCodes?: string[];
  jobTimeoutMs: number;
  heartbeatTimeoutMs: number;
  /** Shortest wait between two task queries: the campaign's share of the account's query limit. */
  minPollIntervalMs?: number;
  /** File sources: refuse to continue when the file changed since prepare. */
  sourceFile?: { path: string; size: number; mtimeMs: number; sha256: string };
  /** The campaign's seal (lanes prove the spool against it; its journals name their campaign and item). */
  seal?: SpoolSeal;
}

export type ResetBatchResult = ResetBatchOutcome & {
  /** Which attempt of the activity produced this (attempts beyond 1 are billed retries). */
  attempt?: number;
  /**
   * Calls for the item that may have reset its phones without being accepted (a worker died
   * mid-call, or an answer that does not prove a refusal: README, "Possibly applied"), not yet in
   * `item.resets`. Already in a tracked result's report lines and `resets`.
   */
  uncertain?: number;
  /** Why the latest of `uncertain` was counted; absent: its worker died mid-call. */
  uncertainWhy?: string;
  /**
   * This attempt's own call is one of `uncertain` (its answer proved nothing): it was counted
   * among the calls as it went. Older versions set it on `retry` results only.
   */
  lostAnswer?: true;
};

export type ResetBatchOutcome =
  | {
      /** The call was accepted and every job was followed to its end. */
      kind: 'tracked';
      counts: Partial<OutcomeCounts>;
      /** Instances whose job failed and that have re-resets left. */
      retryIds: string[];
      /** Jobs that ended in -1 this round, retried or not (the canary's failure signal). */
      failedJobs: number;
      resets: number;
      calls: number;
      polls: number;
      /** Estimated heartbeats recorded (billed actions that history does not show). */
      heartbeats?: number;
      /**
       * Of `counts.failed`, phones written `JOURNAL_UNREADABLE` because their item's journal could
       * not be used: our own store's fault, which spends no error budget.
       */
      quarantined?: number;
    }
  | {
      /** Not accepted, worth sending again later (9999, 5xx, 429, network, timeout). */
      kind: 'retry';
      code: string;
      message: string;
      retryAfterMs?: number;
      /** `SLOT_MISSED`: how late after its slot the call would have gone. */
      lateMs?: number;
      throttled: boolean;
      /**
       * The call may have been applied: count a possible reset. Only results of earlier versions
       * set it; a possible reset now goes in `uncertain`, so the journal carries it should the
       * result never reach the workflow.
       */
      ambiguous: boolean;
      calls: number;
    }
  | {
      /** The whole call was refused because of some of its instances. */
      kind: 'rejected';
      code: string;
      message: string;
      /** 2005/2006: the instance is busy (recovery/backup) and can be tried again later. */
      transient: boolean;
      calls: number;
    }
  | {
      /** A configuration error that no retry or split can fix; the campaign stops. */
      kind: 'fatal';
      code: string;
      message: string;
      calls: number;
    };

export interface RecordOutcomesInput {
  campaignId: string;
  part: string;
  ids?: string[];
  /** A slice of the spool (an item that never got past submission). */
  spoolRange?: { start: number; end: number };
  /** All spool ids from this index on (the untouched rest of a stopped campaign). */
  spoolFrom?: number;
  outcome: 'failed' | 'rejected' | 'canceled';
  resets: number;
  /** Of `resets`, those that may not have happened, and why (the lines say so). */
  possible?: PossibleResets;
  /**
   * The item's last batch activity never reported (it failed after all its attempts, or it was
   * handed over and the campaign stopped before it ran again): add the calls its journal (named
   * `part`) shows it made (at worst it counts again a call an earlier result did report: the
   * report errs on the high side, never the low), and name an accepted call's jobs.
   */
  failedActivity?: boolean;
  /** With failedActivity: the item's journal its lane could not write (WorkItem.journal), read instead of the store's. */
  journal?: JobJournal;
  errorCode: string;
  errorMsg: string;
  /** What prepare wrote into the spool: lines only for the records that still read so. */
  seal?: SpoolSeal;
}
