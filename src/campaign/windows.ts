import { Cron } from 'croner';
import type { MaintenanceWindow } from './options';

// Pure functions of the workflow's own clock: croner evaluates the cron in the window's time
// zone for the instant it is given, so replay computes the same windows.

function cronOf(w: MaintenanceWindow): Cron {
  return new Cron(w.cron, { timezone: w.timezone, paused: true });
}

/** The end of the window open at `now`, or undefined when none is open (always open without windows). */
export function openWindowEnd(windows: MaintenanceWindow[], now: number): number | undefined {
  if (windows.length === 0) return Infinity;
  let end: number | undefined;
  for (const w of windows) {
    const start = cronOf(w).nextRun(new Date(now - w.durationMs));
    if (start && start.getTime() <= now) {
      const e = start.getTime() + w.durationMs;
      if (e > now) end = Math.max(end ?? 0, e);
    }
  }
  return end;
}

/** When the next window opens after `now`. */
export function nextWindowStart(windows: MaintenanceWindow[], now: number): number | undefined {
  let next: number | undefined;
  for (const w of windows) {
    const t = cronOf(w).nextRun(new Date(now))?.getTime();
    if (t !== undefined && (next === undefined || t < next)) next = t;
  }
  return next;
}

/** Throws a clear error for a bad cron expression or time zone (used at the edge). */
export function validateWindow(w: Pick<MaintenanceWindow, 'cron' | 'timezone'>): void {
  try {
    new Cron(w.cron, { timezone: w.timezone, paused: true }).nextRun();
  } catch (e) {
    throw new Error(`maintenance window "${w.cron}" (${w.timezone}): ${(e as Error).message}`, { cause: e });
  }
}
