import type { CampaignOptions } from '../../campaign/options';
import { addCounts } from '../../campaign/outcome';
import { addPossible } from '../../campaign/possible-resets';
import { afterResult, itemSize, type ResetBatchResult, type WorkItem } from '../../campaign/work-item';
import type { CampaignCarry } from '../campaign-state';
import { canaryItemDone, type CanaryVerdict } from './canary';

// Submit retries back off exponentially from this, up to options.submitBackoffMaxMs.
export const BACKOFF_MIN_MS = 2000;

/** A line to write for an item the campaign gives up on (an activity does it). */
export interface GiveUp {
  item: WorkItem;
  outcome: 'failed' | 'rejected' | 'canceled';
  code: string;
  message: string;
  /** Its last activity never reported: the journal tells what its calls may have done. */
  failedActivity?: boolean;
}

export interface OutcomeContext {
  options: CampaignOptions;
  /** Batches the canary holds (the first `--canary` batches, at most all of them). */
  canaryBatches: number;
  now: number;
  /** Jitter source: Math.random in a workflow is deterministic (seeded by Temporal). */
  random: () => number;
  newKey: () => string;
}

export interface ItemEffects {
  giveUp?: GiveUp;
  /** The campaign must stop: an answer no retry or split can fix. */
  abort?: string;
  canary?: CanaryVerdict;
}

/**
 * What one item's result does to the campaign: its counts, and what comes of the item next — a
 * re-reset round for failed jobs, a retry after backoff, halves of a refused call, a wait for a
 * busy phone, or a line given up. Mutates the campaign state `s` only; what needs an activity
 * (writing given-up lines) comes back as effects for the workflow to run.
 */
export function applyItemResult(
  s: CampaignCarry,
  done: WorkItem,
  r: ResetBatchResult,
  ctx: OutcomeContext,
): ItemEffects {
  const { options, now } = ctx;
  const size = itemSize(done);
  // Calls that died with their worker, or whose answer proved nothing, may have reset these
  // phones: whatever comes of the item next (a retry, halves, a re-reset round, a line given up)
  // counts them, and its lines say why.
  const uncertain = r.uncertain ?? 0;
  const item = afterResult(uncertain > 0 ? doubted(done, uncertain, r.uncertainWhy) : done, false);
  if (r.kind !== 'tracked') s.resetsSent += uncertain * size;
  const effects: ItemEffects = {};
  const canary = (delta: number, errors: number, instances: number) => {
    const verdict = canaryItemDone(s, options, ctx.canaryBatches, item, delta, errors, instances);
    if (verdict) effects.canary = verdict;
  };
  switch (r.kind) {
    case 'tracked': {
      addCounts(s.counts, r.counts);
      s.resetsSent += r.resets;
      if (r.quarantined) s.quarantined = (s.quarantined ?? 0) + r.quarantined;
      if (r.retryIds.length > 0) {
        s.pending.push({
          key: ctx.newKey(),
          batchNo: item.batchNo,
          round: item.round + 1,
          ids: r.retryIds,
          resets: item.resets + 1,
          ...(item.possible ? { possible: item.possible } : {}),
          submitAttempts: 0,
          notBefore: now + options.retryDelayMs,
        });
      }
      const errs = r.failedJobs + (r.counts.timed_out ?? 0) + (r.counts.rejected ?? 0);
      canary(-1, errs, size);
      if (item.round === 0 && errs === 0 && r.retryIds.length === 0) s.rampSucceeded += 1;
      break;
    }
    case 'retry': {
      if (r.ambiguous) s.resetsSent += size;
      const attempts = item.submitAttempts + 1;
      const first = item.firstSubmitAt ?? now;
      // `ambiguous`: a result of an earlier version whose call may have been applied.
      const retried: WorkItem = {
        ...(r.ambiguous ? doubted(item, 1, `${r.code} after the call was sent`) : item),
        submitAttempts: attempts,
        firstSubmitAt: first,
        lastError: { code: r.code, message: r.message },
      };
      if (now - first >= options.submitTimeoutMs) {
        effects.giveUp = {
          item: retried,
          outcome: 'failed',
          code: r.code,
          message: `gave up submitting after ${attempts} attempts: ${r.message}`,
        };
        canary(-1, size, size);
        break;
      }
      const backoff = Math.min(options.submitBackoffMaxMs, BACKOFF_MIN_MS * 2 ** Math.min(attempts - 1, 10));
      const jitter = Math.floor(ctx.random() * backoff * 0.2);
      retried.notBefore = now + Math.max(r.retryAfterMs ?? 0, backoff + jitter);
      s.pending.push(retried);
      break;
    }
    case 'rejected': {
      if (size > 1) {
        // Refused for one instance's sake: split so the others still go through.
        const halves = splitItem(item, now, ctx.newKey);
        s.pending.push(...halves);
        canary(halves.length - 1, 0, 0);
        break;
      }
      // A single busy instance (recovery/backup): wait and try again until the submit timeout.
      const first = item.firstSubmitAt ?? now;
      if (now - first >= options.submitTimeoutMs) {
        effects.giveUp = {
          item,
          outcome: 'rejected',
          code: r.code,
          message: `still refused after ${options.submitTimeoutMs} ms: ${r.message}`,
        };
        canary(-1, 1, 1);
        break;
      }
      // It waits outside the canary: a phone in recovery for hours must not hold the rollout
      // back, and being busy says nothing about whether the reset is safe.
      const leaves = !s.canary.passed && !item.outsideCanary;
      s.pending.push({
        ...item,
        firstSubmitAt: first,
        submitAttempts: item.submitAttempts + 1,
        notBefore: now + Math.max(options.retryDelayMs, BACKOFF_MIN_MS),
        lastError: { code: r.code, message: r.message },
        ...(leaves ? { outsideCanary: true as const } : {}),
      });
      if (leaves) canary(-1, 0, 0);
      break;
    }
    case 'fatal': {
      // Refused by the API for a configuration reason, or never sent (source changed).
      effects.giveUp = { item, outcome: r.calls > 0 ? 'rejected' : 'canceled', code: r.code, message: r.message };
      canary(-1, 0, 0);
      effects.abort = `${r.code}: ${r.message}`;
      break;
    }
  }
  return effects;
}

/** The item with `count` more possible resets counted, for `why`. */
function doubted(item: WorkItem, count: number, why: string | undefined): WorkItem {
  const possible = addPossible(item.possible, count, why);
  return { ...item, resets: item.resets + count, ...(possible ? { possible } : {}) };
}

/** Two halves of an item, each a call of its own. */
export function splitItem(item: WorkItem, now: number, newKey: () => string): WorkItem[] {
  const base = {
    batchNo: item.batchNo,
    round: item.round,
    resets: item.resets,
    ...(item.possible ? { possible: item.possible } : {}),
    submitAttempts: 0,
    notBefore: now,
  };
  if (item.range) {
    const mid = item.range.start + Math.floor((item.range.end - item.range.start) / 2);
    return [
      { ...base, key: newKey(), range: { start: item.range.start, end: mid } },
      { ...base, key: newKey(), range: { start: mid, end: item.range.end } },
    ];
  }
  const ids = item.ids ?? [];
  const mid = Math.floor(ids.length / 2);
  return [
    { ...base, key: newKey(), ids: ids.slice(0, mid) },
    { ...base, key: newKey(), ids: ids.slice(mid) },
  ];
}
