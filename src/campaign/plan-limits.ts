import { Cron } from 'croner';
import { formatDuration } from './duration';
import type { MaintenanceWindow } from './options';

// What `start` refuses before anything runs: a plan that cannot finish. A window whose cron never
// fires ("0 0 30 2 *", Feb 30) started a campaign that waited forever showing "next opens ?".

/** How far ahead a plan must be able to finish. */
export const PLAN_HORIZON_MS = 365 * 86_400_000;

const cronOf = (w: MaintenanceWindow) => new Cron(w.cron, { timezone: w.timezone, paused: true });

/** When `w` next opens after `now`, or undefined when its cron never fires again. */
export function nextOpening(w: MaintenanceWindow, now: number): number | undefined {
  return cronOf(w).nextRun(new Date(now))?.getTime();
}

/** Why this window cannot serve a campaign (it never opens within the horizon), or undefined. */
export function windowProblem(
  w: MaintenanceWindow,
  now: number,
  horizonMs = PLAN_HORIZON_MS,
): string | undefined {
  const next = nextOpening(w, now);
  if (next === undefined) return `"${w.cron}" (${w.timezone}) never opens: no date matches it`;
  if (next - now > horizonMs)
    return (
      `"${w.cron}" (${w.timezone}) opens next on ${new Date(next).toISOString().slice(0, 10)}, ` +
      `more than ${formatDuration(horizonMs)} away`
    );
  return undefined;
}

/**
 * The share of time at least one window is open, over the coming horizon (1 without windows).
 * A cron that fires often is followed for its first `maxRuns` openings only, which is plenty
 * to know its share.
 */
export function windowOpenShare(
  windows: MaintenanceWindow[],
  now: number,
  horizonMs = PLAN_HORIZON_MS,
  maxRuns = 5000,
): number {
  if (windows.length === 0) return 1;
  let span = horizonMs;
  const intervals: Array<[number, number]> = [];
  for (const w of windows) {
    // A window opened up to one duration ago may still be open now.
    const runs = cronOf(w).nextRuns(maxRuns, new Date(now - w.durationMs));
    if (runs.length === maxRuns) span = Math.min(span, runs[runs.length - 1]!.getTime() - now);
    for (const r of runs) intervals.push([r.getTime(), r.getTime() + w.durationMs]);
  }
  if (span <= 0) return 1;
  intervals.sort((a, b) => a[0] - b[0]);
  const end = now + span;
  let open = 0;
  let reached = now;
  for (const [from, to] of intervals) {
    const a = Math.max(from, reached);
    const b = Math.min(to, end);
    if (b > a) {
      open += b - a;
      reached = b;
    }
  }
  return Math.min(1, open / span);
}
