import { Context } from '@temporalio/activity';
import { batchItem, emptyTotals, HEARTBEAT_THROTTLE_MS, type LaneInput, type LaneProgress, type LaneResult } from '../campaign/lane';
import { addCounts, emptyCounts, errorsOf, totalOf, type OutcomeCounts } from '../campaign/outcome';
import type { ResetBatchResult, WorkItem } from '../campaign/work-item';
import { KOOPHONE_CODES, sameCode } from '../koophone/codes';
import { abortRuleFired, budgetExceeded } from '../workflows/budget';
import { laneProgressSignal } from '../workflows/definitions';
import { limitFromMessage, onClean, onOverloaded, onThrottled } from '../workflows/rate-slots';
import { LanePacer } from './lane-pacer';
import { resetItem, type ResetBatchDeps } from './reset-batch';

/** How often a lane heartbeats (the worker sends at most one per HEARTBEAT_THROTTLE_MS). */
const BEAT_MS = 1000;
/** How often a lane tells its workflow what it has done so far (one billed signal each). */
const PROGRESS_MS = 2000;

/**
 * Runs one lane's term (see src/campaign/lane.ts): sends its items' calls on its own pace, tracks
 * the jobs, and returns every outcome at once. Its term ends after `sendForMs` for sending and
 * after `returnAfterMs` for tracking: what is still tracking then is handed over, its journal holding the
 * accepted call, and the next term's lane resumes it without sending again. A Temporal
 * cancellation (the workflow re-plans: pause, cancel, a new share) ends the term at once.
 */
export async function runLane(deps: Omit<ResetBatchDeps, 'pacer'>, input: LaneInput): Promise<LaneResult> {
  const ctx = Context.current();
  const attempt = ctx.info.attempt;
  const by = `${ctx.info.workflowExecution?.runId ?? ''}/${ctx.info.activityId}`;
  const heartbeatTimeoutMs = ctx.info.heartbeatTimeoutMs ?? input.item.heartbeatTimeoutMs;
  const rate = { ...input.rate };

  // Ends tracking: the term's end, a Temporal cancellation, or a stop that needs the workflow now.
  const end = new AbortController();
  const endNow = () => end.abort();
  ctx.cancellationSignal.addEventListener('abort', endNow, { once: true });
  const returnTimer =
    input.returnAfterMs !== undefined ? setTimeout(endNow, input.returnAfterMs) : undefined;
  const startedAt = Date.now();

  const pacer = new LanePacer(
    {
      notBefore: startedAt + input.startDelayMs,
      until: startedAt + input.sendForMs,
      stallMs: heartbeatTimeoutMs / 2,
    },
    () => rate.current,
    sleep,
    end.signal,
  );

  const result: LaneResult = {
    results: [],
    totals: emptyTotals(),
    unsent: [],
    handedOver: [],
    rate,
    calls: 0,
    polls: 0,
    heartbeats: 0,
    attempt,
  };
  const laneCounts = emptyCounts();
  let resultIds = 0;

  // Heartbeats show the lane is alive; a gap in them means this process stalled, and Temporal may
  // already have started the lane again elsewhere: send nothing more.
  let lastBeatAt = Date.now();
  let lastCountedAt = -Infinity;
  const progress = progressSender(input, laneCounts, result);
  const beat = setInterval(() => {
    const now = Date.now();
    progress(now);
    if (now - lastBeatAt > heartbeatTimeoutMs / 2) pacer.stop(`the worker stalled for ${now - lastBeatAt} ms`);
    lastBeatAt = now;
    ctx.heartbeat({ calls: result.calls, polls: result.polls, finished: result.totals.items });
    if (now - lastCountedAt >= Math.min(heartbeatTimeoutMs * 0.8, HEARTBEAT_THROTTLE_MS)) {
      result.heartbeats += 1;
      lastCountedAt = now;
    }
  }, BEAT_MS);

  // Calls are counted when they go (an item handed over at the term's end reports its call from
  // the next lane, which sends none), plus the calls of workers that died: those a result says
  // may have reset its phones, and those an earlier attempt of this lane had accepted.
  const record = (item: WorkItem, r: ResetBatchResult) => {
    // A call of this lane whose answer was lost is in `uncertain` too, and was counted as it went.
    result.calls += (r.uncertain ?? 0) - (r.kind === 'retry' && r.lostAnswer ? 1 : 0);
    const now = Date.now();
    if (r.kind === 'tracked') {
      result.polls += r.polls;
      if (r.calls > 0) onClean(rate, input.ceiling);
      addCounts(laneCounts, r.counts);
    } else if (r.kind === 'retry' && r.throttled) {
      // A limit the gateway names is the account's: this lane's part of it is its share.
      const limit = limitFromMessage(r.message);
      onThrottled(rate, input.ceiling, now, limit ? `limit:${limit / input.lanes}` : r.message);
    } else if (r.kind === 'retry' && sameCode(r.code, KOOPHONE_CODES.internalError)) {
      onOverloaded(rate, input.ceiling, now);
    }
    const errors = r.kind === 'tracked' ? r.failedJobs + (r.counts.timed_out ?? 0) + (r.counts.rejected ?? 0) : 0;
    const spent = r.kind === 'tracked' && (r.counts.failed ?? 0) + (r.counts.timed_out ?? 0) + (r.counts.rejected ?? 0) > 0;
    if (!input.detail && r.kind === 'tracked' && r.retryIds.length === 0) {
      const t = result.totals;
      t.items += 1;
      addCounts(t.counts, r.counts);
      t.resets += r.resets;
      if (item.round === 0 && errors === 0) t.cleanFirstRound += 1;
    } else {
      result.results.push({ item, result: r });
      resultIds += (item.ids?.length ?? 0) + (r.kind === 'tracked' ? r.retryIds.length : 0);
      if (resultIds >= input.maxResultIds) pacer.stop('results full');
    }
    if (r.kind === 'fatal') return stopNow(`${r.code}: ${r.message}`);
    const exceeded = spent ? budgetBroken() : undefined;
    if (exceeded) stopNow(exceeded);
  };
  const stopNow = (reason: string) => {
    result.stopped ??= reason;
    pacer.stop(reason);
    endNow();
  };
  // Judged as if every lane fared as this one: its counts scaled by the lanes, on top of the
  // campaign's when the term started. The workflow judges the real totals when the lane returns.
  const budgetBroken = (): string | undefined => {
    const b = input.budget;
    if (!b) return undefined;
    const scaled = emptyCounts();
    for (const k of Object.keys(scaled) as (keyof OutcomeCounts)[]) {
      scaled[k] = b.counts[k] + input.lanes * laneCounts[k];
    }
    const judged = totalOf(scaled) - scaled.skipped;
    return (
      budgetExceeded(b.maxErrors, errorsOf(scaled), judged, b.total) ??
      abortRuleFired(b.abortOn, scaled, judged, b.abortMinFinished)
    );
  };

  const runItem = async (item: WorkItem) => {
    try {
      const r = await resetItem(
        deps,
        { campaignId: input.campaignId, item, ...input.item },
        {
          attempt,
          by,
          slotExpiry: false,
          gate: async () => ((await pacer.next()) === 'go' ? undefined : 'stop'),
          sending: () => {
            pacer.sent();
            result.calls += 1;
          },
          unreported: (calls) => (result.calls += calls),
          track: { sleep: (ms) => sleep(ms, end.signal), signal: end.signal },
        },
      );
      // Never sent: whatever it was handed over as, its journal holds no accepted call.
      if (r === null) result.unsent.push(notHandedOver(item));
      else record(item, r);
    } catch (err) {
      // Tracking cut by the term's end: the journal holds the accepted call; the next lane resumes it.
      if (end.signal.aborted) result.handedOver.push(item);
      else throw err;
    }
  };

  const slots = new Slots(input.concurrency);
  const running: Promise<void>[] = [];
  const launch = async (item: WorkItem) => {
    await slots.take(end.signal);
    running.push(runItem(item).finally(() => slots.give()));
  };
  try {
    for (const item of input.items) {
      // A handed-over item may only need tracking: let its journal decide, even once sending stopped.
      if (end.signal.aborted) (item.handedOver ? result.handedOver : result.unsent).push(item);
      else if (pacer.stopped && !item.handedOver) result.unsent.push(item);
      else await launch(item);
    }
    const b = input.batches;
    let next = b?.from ?? 0;
    for (; b && next < b.to && !pacer.stopped && !end.signal.aborted; next++) {
      await launch(batchItem(next, input.batchSize, input.spoolTotal));
    }
    if (b && next < b.to) result.unsentBatches = { from: next, to: b.to };
    await Promise.all(running);
  } finally {
    clearInterval(beat);
    if (returnTimer) clearTimeout(returnTimer);
    ctx.cancellationSignal.removeEventListener('abort', endNow);
  }
  if (pacer.stopped && pacer.stopped !== 'term ended' && pacer.stopped !== 'results full') {
    result.stopped ??= pacer.stopped;
  }
  ctx.log.info('lane term ended', {
    campaignId: input.campaignId,
    lane: input.lane,
    calls: result.calls,
    finished: result.totals.items + result.results.length,
    handedOver: result.handedOver.length,
    unsent: result.unsent.length,
    ...(result.stopped ? { stopped: result.stopped } : {}),
  });
  return result;
}

/**
 * Signals the lane's outcomes so far to its workflow, for the status, every PROGRESS_MS while
 * they change. Best effort: a lost signal only delays the status until the term's end.
 */
function progressSender(input: LaneInput, counts: OutcomeCounts, result: LaneResult): (now: number) => void {
  const ctx = Context.current();
  const run = ctx.info.workflowExecution;
  let sentAt = Date.now();
  let sent = '';
  return (now) => {
    if (now - sentAt < PROGRESS_MS || !run) return;
    const progress: LaneProgress = {
      term: input.term,
      lane: input.lane,
      counts: { ...counts },
      finished: totalOf(counts),
      calls: result.calls,
      polls: result.polls,
      rate: Math.round(result.rate.current * 1000) / 1000,
      startRate: input.rate.current,
    };
    const key = JSON.stringify(progress);
    if (key === sent) return;
    sentAt = now;
    sent = key;
    ctx.client.workflow
      .getHandle(run.workflowId, run.runId)
      .signal(laneProgressSignal, progress)
      .catch((err: unknown) => ctx.log.debug('lane progress not delivered', { error: String(err) }));
  };
}

function notHandedOver(item: WorkItem): WorkItem {
  const { handedOver: _, ...rest } = item;
  return rest;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('lane term ended'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('lane term ended'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** In-flight items at most `size`; a wait ends early when the term does (the item then goes unsent). */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = Math.max(1, size);
  }

  async take(signal: AbortSignal): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.free -= 1;
  }

  give(): void {
    this.free += 1;
    this.waiting.shift()?.();
  }
}
