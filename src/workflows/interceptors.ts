import type { ActivateInput, Next, WorkflowInterceptors, WorkflowInternalsInterceptor } from '@temporalio/workflow';
import { clockStoodStill, markOf, StaleClockError, type ActivationMark } from './activation-clock';

/** Refuses to decide on a stale clock (see activation-clock.ts), for every workflow of the bundle. */
class ActivationClockInterceptor implements WorkflowInternalsInterceptor {
  private last: ActivationMark | undefined;

  activate(input: ActivateInput, next: Next<WorkflowInternalsInterceptor, 'activate'>): void {
    const { activation, batchIndex } = input;
    // Queries decide nothing; the later batches of one activation share its mark.
    const decides = batchIndex === 0 && activation.jobs?.some((j) => !j.queryWorkflow);
    const mark = decides ? markOf(activation) : undefined;
    if (mark) {
      // Only live: a replay is decided at the recorded task times, where this never holds.
      if (this.last && !activation.isReplaying && clockStoodStill(this.last, mark)) {
        throw new StaleClockError(
          `history grew from ${this.last.historyLength} to ${mark.historyLength} events on the clock of the last workflow task: ` +
            'activation replayed for a query, not decided on',
        );
      }
      this.last = mark;
    }
    next(input);
  }
}

export const interceptors = (): WorkflowInterceptors => ({ internals: [new ActivationClockInterceptor()] });
