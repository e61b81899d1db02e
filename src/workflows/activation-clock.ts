import type { coresdk } from '@temporalio/proto';

/**
 * Where a workflow activation stands: how far into the history it is, and its clock (the start
 * time of the workflow task whose events it applies, to the nanosecond).
 */
export interface ActivationMark {
  historyLength: number;
  clock: string;
}

/**
 * A workflow activation decided on a clock that does not belong to its events: built by a worker
 * that replayed the history for a query (a query task on a run it did not have cached applies the
 * events after the last workflow task, at that task's time: @temporalio/worker 1.24.0) and then
 * kept the run, so the commands it decided go to the next real workflow task. Any replay decides
 * those events at that task's time, so the history could never replay (chaos seeds 7: a timer
 * recorded where the replay schedules a lane). Failing the activation makes the worker drop the
 * run; the query fails once and the real workflow task replays the run at its own time.
 */
export class StaleClockError extends Error {
  override readonly name = 'StaleClockError';
}

export function markOf(activation: coresdk.workflow_activation.IWorkflowActivation): ActivationMark | undefined {
  const t = activation.timestamp;
  if (!t) return undefined;
  return { historyLength: activation.historyLength ?? 0, clock: `${String(t.seconds ?? 0)}.${String(t.nanos ?? 0).padStart(9, '0')}` };
}

/**
 * True when `next` applied new events without a new workflow task: its history grew while its
 * clock stood still. A workflow task always starts with its own WorkflowTaskStarted event, whose
 * time no other task shares, so a history as recorded never shows this.
 */
export function clockStoodStill(prev: ActivationMark, next: ActivationMark): boolean {
  return next.historyLength > prev.historyLength && next.clock === prev.clock;
}
