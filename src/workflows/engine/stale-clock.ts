/**
 * A workflow activation whose clock lags a timer that has fired: built by a worker that replayed
 * the history for a query (a query task on a run it did not have cached applies the events after
 * the last workflow task, a fired timer among them, at that task's time: @temporalio/worker
 * 1.24.0). Decisions taken on that clock differ from what a replay of the history decides (at the
 * time of the task that records them), so the history could never replay. Failing the activation
 * makes the worker drop the run (the query fails once); the real workflow task then replays it at
 * its own time. In a history as recorded it never happens: a timer's task starts after it fired.
 */
export class StaleClockError extends Error {
  override readonly name = 'StaleClockError';
}

/** Throws when a timer ending at `end` has fired but the workflow's clock says `now` < end. */
export function assertTimerReached(end: number, now: number): void {
  if (now < end) {
    throw new StaleClockError(
      `a timer due at ${new Date(end).toISOString()} fired while the workflow clock says ${new Date(now).toISOString()}: ` +
        'activation replayed for a query, not decided on',
    );
  }
}
