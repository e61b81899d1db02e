// The benchmark's failover arithmetic and row selection, on hand-made call logs: which tasks the
// killed worker had in flight, and when each was touched again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { busiestDoor, failoverTouches, orphanTasks } from '../../bench/lib/failover';
import { rateLimitOf, selectRows } from '../../bench/lib/rows';
import type { SimulatorCall } from '../../src/simulator';

const VICTIM = 1001;
const SURVIVOR = 1002;
const call = (
  at: number,
  endpoint: SimulatorCall['endpoint'],
  door: number,
  taskId: string | null,
  ended = false,
): SimulatorCall => ({ at, endpoint, door, taskId, ended });

void describe('bench failover figures', () => {
  const calls = [
    call(0, 'batchReset', VICTIM, 'T1'), // in flight at the kill (never polled)
    call(10, 'batchReset', VICTIM, 'T2'),
    call(20, 'getTask', VICTIM, 'T2', true), // seen finished: not in flight
    call(30, 'batchReset', SURVIVOR, 'T3'), // the survivor's
    call(40, 'batchReset', VICTIM, 'T4'),
    call(50, 'getTask', VICTIM, 'T4'), // still running at the kill
    // kill at 100
    call(101, 'batchReset', VICTIM, 'T7'), // sent before the kill, logged just after it
    call(150, 'batchReset', SURVIVOR, 'T5'),
    call(400, 'getTask', SURVIVOR, 'T3', true),
    call(5000, 'getTask', SURVIVOR, 'T4', true),
    call(7000, 'batchReset', SURVIVOR, 'T6'), // resends T1's phones
    call(8000, 'batchReset', SURVIVOR, 'T8'), // resends T7's phones
  ];
  const phones: Record<string, string[]> = {
    T1: ['a', 'b'],
    T5: ['x'],
    T6: ['b', 'y'],
    T7: ['p'],
    T8: ['p', 'q'],
  };
  const kill = { at: 100, victimDoor: VICTIM };

  void it('the victim is the door with the most recent calls', () => {
    assert.equal(busiestDoor(calls.slice(0, 6), [SURVIVOR, VICTIM], 60, 1000), VICTIM);
  });

  void it('in flight: last call before the kill through the victim, not seen ended', () => {
    assert.deepEqual(orphanTasks(calls, kill).sort(), ['T1', 'T4', 'T7']);
  });

  void it('failover: first and last touch of the in-flight tasks, resends and stalls', () => {
    const t = failoverTouches(calls, kill, (id) => phones[id] ?? []);
    assert.deepEqual(
      { ...t, orphanTasks: [...t.orphanTasks].sort() },
      {
        orphanTasks: ['T1', 'T4', 'T7'],
        resumedTasks: 3,
        firstResumeMs: 4900,
        allResumedMs: 7900,
        maxBatchResetGapMs: 6850,
        resentOrphanCalls: 2,
      },
    );
  });
});

void describe('bench rows', () => {
  void it('--only selects by id or prefix; an unknown name is an error that lists the rows', () => {
    assert.deepEqual(
      selectRows({ only: ['rate100'], big: false, instances: [] }).map((r) => r.id),
      ['rate100-100k', 'rate100-200k'],
    );
    assert.deepEqual(
      selectRows({ only: [], big: true, instances: [5000], rate: 50 }).map((r) => [r.id, r.rate]),
      [
        ['custom-5000', 50],
        ['big', 50],
      ],
    );
    // --big alone runs at the row's own rate; --rate and --concurrency move it (e.g. to rate 100).
    assert.deepEqual(
      selectRows({ only: [], big: true, instances: [] }).map((r) => [r.id, r.rate, r.concurrency]).at(-1),
      ['big', 20, 250],
    );
    assert.deepEqual(
      selectRows({ only: ['big'], big: false, instances: [], rate: 100, concurrency: 500 }).map((r) => [
        r.id,
        r.rate,
        r.concurrency,
      ]),
      [['big', 100, 500]],
    );
    assert.throws(
      () => selectRows({ only: ['nope'], big: false, instances: [] }),
      /--only nope matches no row; rows: rate20-10k/,
    );
  });

  void it('the rate promise is rate + max(1, rate/10)', () => {
    assert.deepEqual([rateLimitOf(5), rateLimitOf(20), rateLimitOf(100)], [6, 22, 110]);
  });
});
