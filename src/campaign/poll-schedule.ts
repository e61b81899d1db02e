// The one schedule a task's jobs are polled on: the tracking activity follows it, the plan and
// the benchmarks reckon with it. KooPhone jobs take seconds at best: never poll a task faster
// than FIRST_POLL_MS.

export const FIRST_POLL_MS = 2000;
// Polls at the first spacing before the wait grows: a job of a few seconds is seen within 2 s of
// its end (at 2 s or 4 s, as a plain 2 s loop sees it, not at 5 s), and a long job costs one poll
// more than a schedule growing from the first poll on.
export const STEADY_POLLS = 2;
export const POLL_FACTOR = 1.5;
export const MAX_POLL_MS = 15_000;

/** The wait before poll `n` (1-based: poll 1 comes FIRST_POLL_MS after the call was accepted). */
export function pollWait(n: number): number {
  return Math.min(Math.round(FIRST_POLL_MS * POLL_FACTOR ** Math.max(0, n - STEADY_POLLS)), MAX_POLL_MS);
}

/** When (ms after submission) the poll that first sees a job of `jobMs` ended comes, and how many polls that took. */
export function firstPollAfter(jobMs: number): { atMs: number; polls: number } {
  let polls = 1;
  let at = pollWait(polls);
  while (at < jobMs) {
    polls += 1;
    at += pollWait(polls);
  }
  return { atMs: at, polls };
}
