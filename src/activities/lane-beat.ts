import { Context } from '@temporalio/activity';
import { HEARTBEAT_THROTTLE_MS, type LaneInput, type LaneProgress } from '../campaign/lane';
import { totalOf } from '../campaign/outcome';
import { troublesSeen } from '../campaign/troubles';
import { laneProgressSignal } from '../workflows/definitions';
import type { LaneLedger } from '../campaign/lane-ledger';

/** How often a lane heartbeats (the worker sends at most one per HEARTBEAT_THROTTLE_MS). */
const BEAT_MS = 1000;
/**
 * How often a lane tells its workflow what it has done so far: one billed signal each, and one
 * workflow task with it, in the history the Temporal UI shows (a term of 30 s: at most 7 per lane).
 */
export const PROGRESS_MS = 5000;
/** A trouble the lane had not met before is told sooner: the status names it where people look. */
export const TROUBLE_PROGRESS_MS = 1000;

/**
 * The lane's pulse: heartbeats that show it alive (and bring a cancellation), progress signals
 * for the status, and the stall check — a gap in its own beats means this process stalled, and
 * Temporal may already have started the lane again elsewhere, so it must send nothing more.
 * Returns the function that stops it.
 */
export function startBeat(
  input: LaneInput,
  ledger: LaneLedger,
  heartbeatTimeoutMs: number,
  onStall: (reason: string) => void,
): () => void {
  const ctx = Context.current();
  const result = ledger.result;
  let lastBeatAt = Date.now();
  let lastCountedAt = -Infinity;
  const progress = progressSender(input, ledger);
  const beat = setInterval(() => {
    const now = Date.now();
    progress(now);
    if (now - lastBeatAt > heartbeatTimeoutMs / 2) onStall(`the worker stalled for ${now - lastBeatAt} ms`);
    lastBeatAt = now;
    ctx.heartbeat({ calls: result.calls, polls: result.polls, finished: result.totals.items });
    if (now - lastCountedAt >= Math.min(heartbeatTimeoutMs * 0.8, HEARTBEAT_THROTTLE_MS)) {
      result.heartbeats += 1;
      lastCountedAt = now;
    }
  }, BEAT_MS);
  return () => clearInterval(beat);
}

/**
 * Signals the lane's outcomes so far to its workflow, for the status, every PROGRESS_MS while
 * they change (TROUBLE_PROGRESS_MS when a new trouble appears). Best effort: a lost signal only
 * delays the status until the term's end.
 */
function progressSender(input: LaneInput, ledger: LaneLedger): (now: number) => void {
  const ctx = Context.current();
  const run = ctx.info.workflowExecution;
  const result = ledger.result;
  let sentAt = Date.now();
  let sent = '';
  let sentTroubles = '';
  return (now) => {
    const troubleKinds = ledger.troubles.map((t) => `${t.kind}:${t.code}`).join(',');
    const due = troubleKinds !== sentTroubles ? TROUBLE_PROGRESS_MS : PROGRESS_MS;
    if (now - sentAt < due || !run) return;
    const progress: LaneProgress = {
      term: input.term,
      lane: input.lane,
      counts: { ...ledger.counts },
      finished: totalOf(ledger.counts),
      calls: result.calls,
      polls: result.polls,
      rate: Math.round(result.rate.current * 1000) / 1000,
      startRate: input.rate.current,
    };
    const troubles = troublesSeen(ledger.troubles, now);
    // Ages change every time: only new calls, outcomes or errors make a signal worth sending.
    const key = JSON.stringify([
      progress,
      ledger.troubles.map((t) => t.calls),
      ledger.answeredAt,
      ledger.anomalies.map((a) => a.count),
    ]);
    if (key === sent) return;
    sentAt = now;
    sent = key;
    sentTroubles = troubleKinds;
    if (troubles.length > 0) progress.troubles = troubles;
    if (ledger.anomalies.length > 0) progress.anomalies = ledger.anomalies;
    if (ledger.answeredAt !== undefined) progress.answeredAgoMs = now - ledger.answeredAt;
    ctx.client.workflow
      .getHandle(run.workflowId, run.runId)
      .signal(laneProgressSignal, progress)
      .catch((err: unknown) => ctx.log.debug('lane progress not delivered', { error: String(err) }));
  };
}
