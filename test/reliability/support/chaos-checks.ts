import type { ReportLine } from '../../../src/campaign/outcome';
import { hasEnded, type CampaignStatus } from '../../../src/campaign/status';

// The chaos test's checker, pure so a unit test shows it catching broken reports and silent
// waits (test/unit/chaos-checks.test.ts).

/**
 * What is wrong with a report beside the simulator's own counts: a phone with no line or with
 * two, a line for a phone never asked, a line counting fewer resets than the simulator applied,
 * a phone called succeeded that the simulator never reset. Empty when the report keeps its promise.
 */
export function reportProblems(
  lines: readonly ReportLine[],
  ids: readonly string[],
  applied: (id: string) => number,
): string[] {
  const problems: string[] = [];
  const asked = new Set(ids);
  const seen = new Map<string, number>();
  for (const l of lines) {
    seen.set(l.instance_id, (seen.get(l.instance_id) ?? 0) + 1);
    if (!asked.has(l.instance_id)) problems.push(`${l.instance_id}: a line for a phone never asked`);
    const n = applied(l.instance_id);
    if (l.resets < n)
      problems.push(`${l.instance_id}: line says ${l.resets} resets, the simulator applied ${n}`);
    if (l.outcome === 'succeeded' && n < 1) problems.push(`${l.instance_id}: succeeded, never reset`);
  }
  for (const id of ids) {
    const count = seen.get(id) ?? 0;
    if (count !== 1) problems.push(`${id}: ${count} lines`);
  }
  return problems;
}

/** One `status` query answer (or none: no worker answered the query then). */
export interface StatusSample {
  at: number;
  status?: CampaignStatus;
}

/** How far a cause's time may lag the wait it names: trouble times are the lanes' reports. */
const CLOCK_SLACK_MS = 2000;

/**
 * The cause `status` names for a wait that began at `since`: the part that blocks it, a trouble
 * the campaign met during the wait (KooPhone unreachable, throttling, server errors, …), a pause,
 * a cancel under way, a closed window. Undefined when it names none.
 */
export function namedCause(status: CampaignStatus, since: number): string | undefined {
  if (status.state === 'blocked' && status.blockedBy) return `blocked: ${status.blockedBy}`;
  if (status.blockingCause) return `${status.blockingCause.part}: ${status.blockingCause.message}`;
  if (status.state === 'paused' || status.state === 'canceling') return status.state;
  if (!status.windowOpen) return 'outside its window';
  const trouble = (status.troubles ?? []).find((t) => Date.parse(t.lastAt) >= since - CLOCK_SLACK_MS);
  return trouble ? `${trouble.kind}: ${trouble.code} ${trouble.message}` : undefined;
}

export interface Wait {
  /** When the campaign last made progress. */
  since: number;
  /** The last sample of the wait. */
  until: number;
  /** What status named while the wait was longer than the bound (the first cause seen). */
  cause?: string;
  /** A sample past the bound that named no cause (or went unanswered): a silent wait. */
  unnamed?: { at: number; status?: CampaignStatus };
}

/**
 * The campaign's waits, from its status samples: progress is a phone finished or a batch-reset
 * call sent beyond any seen before (counts that fall back and climb again, as when a killed
 * worker's batches are tracked again, are no progress). Every wait longer than `boundMs` is
 * returned, with the first sample past the bound that named no cause, or that no worker
 * answered more than `silenceMs` after the last answer, if any (unanswered samples within the
 * bound are skipped).
 */
export function longWaits(samples: readonly StatusSample[], boundMs: number, silenceMs = 0): Wait[] {
  const waits: Wait[] = [];
  let finished = -1;
  let calls = -1;
  let wait: Wait | undefined;
  let heard = -Infinity;
  for (const { at, status } of samples) {
    if (!status) {
      // No answer past the bound, for longer than `silenceMs` since the last answer (no worker
      // could answer the query): the operator is told nothing.
      if (wait && at - wait.since > boundMs && at - Math.max(heard, wait.since) > silenceMs) wait.unnamed ??= { at };
      if (wait) wait.until = at;
      continue;
    }
    heard = at;
    const done =
      status.succeeded +
      status.failed +
      status.timedOut +
      status.rejected +
      status.missingJob +
      status.skipped +
      status.canceled;
    if (done > finished || status.batchResetCalls > calls || hasEnded(status.state)) {
      if (wait && wait.until - wait.since > boundMs) waits.push(wait);
      finished = Math.max(finished, done);
      calls = Math.max(calls, status.batchResetCalls);
      wait = { since: at, until: at };
      continue;
    }
    wait ??= { since: at, until: at };
    wait.until = at;
    if (at - wait.since <= boundMs) continue;
    const cause = namedCause(status, wait.since);
    if (cause) wait.cause ??= cause;
    else wait.unnamed ??= { at, status };
  }
  if (wait && wait.until - wait.since > boundMs) waits.push(wait);
  return waits;
}

/** A wait in words, for a failure message or the run's summary. */
export function describeWait(w: Wait): string {
  const s = Math.round((w.until - w.since) / 1000);
  if (!w.unnamed) return `${s} s (${w.cause ?? 'named'})`;
  const st = w.unnamed.status;
  const into = Math.round((w.unnamed.at - w.since) / 1000);
  if (!st)
    return `${s} s with no progress, ${into} s in it status went unanswered (no worker answered the query)`;
  return (
    `${s} s with no progress, ${into} s in it named no cause: ${st.state}, ` +
    `${st.succeeded} succeeded, ${st.inFlight} in flight, ${st.pending} pending, ${st.batchResetCalls} calls, ` +
    `troubles ${JSON.stringify(st.troubles ?? [])}`
  );
}

/**
 * Whether a campaign, as its status last said, holds a share of the account's limit it still
 * uses: it joined the coordinator (it has a share) and has phones left to send or track. One
 * without a share has not joined yet (it is preparing, or waiting for the coordinator); one with
 * nothing left is ending, and leaves the coordinator before it ends.
 */
export function holdsShare(status: CampaignStatus | undefined): boolean {
  return (
    status?.accountShare !== undefined && !hasEnded(status.state) && status.pending + status.inFlight > 0
  );
}

/** A re-created account coordinator's first look, beside the campaigns. */
export interface CoordinatorLook {
  /** Campaigns that held a share as the coordinator was terminated (holdsShare). */
  holding: readonly string[];
  /** Campaigns running before and after the look. */
  running: readonly string[];
  /** The campaigns the re-created coordinator lists. */
  members: readonly string[];
}

/**
 * What a re-created coordinator's first look says. `lost`: campaigns that held a share and that
 * it does not list — they keep sending on a share it does not count, so the account may go over
 * its limit: a failure at once. `joining`: running campaigns it does not list that held no share
 * when it went — they had not joined yet (still preparing, or their join was under way when it
 * went) and send nothing before they do: each must be listed within the bound the product
 * promises a blocked campaign (it resumes within a minute of its part healing), or have ended.
 */
export function coordinatorGaps(look: CoordinatorLook): { lost: string[]; joining: string[] } {
  const unlisted = look.running.filter((id) => !look.members.includes(id));
  return {
    lost: unlisted.filter((id) => look.holding.includes(id)),
    joining: unlisted.filter((id) => !look.holding.includes(id)),
  };
}
