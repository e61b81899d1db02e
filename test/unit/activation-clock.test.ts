import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clockStoodStill, markOf, StaleClockError } from '../../src/workflows/activation-clock';
import { interceptors } from '../../src/workflows/interceptors';
import type { ActivateInput } from '@temporalio/workflow';

// The chaos history c-a4485bcf (seed 7, run 2): the last workflow task before the fault started at
// event 209 (00:11:17.617998786). A worker answering a status query replayed the history up to
// event 217 and decided the lane result (215) and a signal (212) on that task's clock; its timer
// went to the real task at event 218 (00:11:37.693185922), where every replay schedules a lane.
const t209 = { seconds: Date.parse('2026-12-08T00:11:17Z') / 1000, nanos: 617998786 };
const t218 = { seconds: Date.parse('2026-12-08T00:11:37Z') / 1000, nanos: 693185922 };
const signal = { signalWorkflow: { signalName: 'pause' } };
const resolved = { resolveActivity: { seq: 3 } };
const query = { queryWorkflow: { queryId: 'legacy_query', queryType: 'status' } };

function input(historyLength: number, timestamp: typeof t209 | undefined, jobs: object[], isReplaying = false): ActivateInput {
  return { activation: { historyLength, timestamp, isReplaying, jobs }, batchIndex: 0 } as ActivateInput;
}

function activator() {
  const internals = interceptors().internals![0]!;
  const seen: number[] = [];
  return (i: ActivateInput) => internals.activate!(i, (x) => void seen.push(x.activation.historyLength!));
}

describe('a workflow activation on the clock of an earlier task', () => {
  it('stood still: the history grew, the clock did not (to the nanosecond)', () => {
    const prev = markOf(input(209, t209, []).activation)!;
    assert.equal(clockStoodStill(prev, markOf(input(217, t209, []).activation)!), true);
    assert.equal(clockStoodStill(prev, markOf(input(218, t218, []).activation)!), false);
    // One activation in several batches, or a local activity resolved in the same task.
    assert.equal(clockStoodStill(prev, markOf(input(209, t209, []).activation)!), false);
    // Two tasks in the same millisecond are still two clocks.
    assert.equal(clockStoodStill(prev, markOf(input(212, { ...t209, nanos: t209.nanos + 1 }, []).activation)!), false);
  });

  it('fails the live activation a query replay decides on the last task clock', () => {
    const activate = activator();
    activate(input(209, t209, [resolved], true)); // replayed up to the last task
    assert.throws(() => activate(input(217, t209, [signal, resolved])), StaleClockError);
  });

  it('lets the real task through, and every replay', () => {
    const activate = activator();
    activate(input(209, t209, [resolved]));
    activate(input(209, undefined, [query])); // a query decides nothing and has no clock
    assert.doesNotThrow(() => activate(input(218, t218, [signal, resolved])));
    const replay = activator();
    replay(input(209, t209, [resolved], true));
    assert.doesNotThrow(() => replay(input(217, t209, [resolved], true)));
  });
});
