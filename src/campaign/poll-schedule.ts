// The one schedule a task's jobs are polled on: the tracking activity follows it, the plan and
// the benchmarks reckon with it. KooPhone jobs take seconds at best: never poll a task faster.

export const FIRST_POLL_MS = 2000;
export const POLL_FACTOR = 1.5;
export const MAX_POLL_MS = 15_000;

/** The wait after a wait of `interval`. */
export function nextPollInterval(interval: number): number {
  return Math.min(Math.round(interval * POLL_FACTOR), MAX_POLL_MS);
}

/** When (ms after submission) the poll that first sees a job of `jobMs` ended comes, and how many polls that took. */
export function firstPollAfter(jobMs: number): { atMs: number; polls: number } {
  let at = FIRST_POLL_MS;
  let interval = FIRST_POLL_MS;
  let polls = 1;
  while (at < jobMs) {
    interval = nextPollInterval(interval);
    at += interval;
    polls += 1;
  }
  return { atMs: at, polls };
}
