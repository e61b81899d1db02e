// The benchmark's failover arithmetic and row selection, on hand-made call logs: which tasks the
// killed worker had in flight, and when each was touched again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { busiestDoor, failoverSafe, failoverTouches, orphanTasks } from '../../bench/lib/failover';
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
  answeredAt: number | null = at + 10,
): SimulatorCall => ({ at, endpoint, door, taskId, ended, answeredAt });

void describe('bench failover figures', () => {
  const calls = [
    call(0, 'batchReset', VICTIM, 'T1'), // accepted, never polled before the kill
    call(90, 'batchReset', VICTIM, 'T9', false, 105), // in doubt: its answer went out after the kill
    call(10, 'batchReset', VICTIM, 'T2'),
    call(20, 'getTask', VICTIM, 'T2', true), // seen finished: not in flight
    call(30, 'batchReset', SURVIVOR, 'T3'), // the survivor's
    call(40, 'batchReset', VICTIM, 'T4'),
    call(50, 'getTask', VICTIM, 'T4'), // still running at the kill
    // kill at 100
    call(101, 'batchReset', VICTIM, 'T7', false, null), // sent before the kill, logged just after it, never answered
    call(150, 'batchReset', SURVIVOR, 'T5'),
    call(400, 'getTask', SURVIVOR, 'T3', true),
    call(5000, 'getTask', SURVIVOR, 'T4', true),
    call(7000, 'batchReset', SURVIVOR, 'T6'), // resends T1's phones
    call(8000, 'batchReset', SURVIVOR, 'T8'), // resends T7's phones
    call(8100, 'batchReset', SURVIVOR, 'T10'), // resends T9's phones
  ];
  const phones: Record<string, string[]> = {
    T1: ['a', 'b'],
    T5: ['x'],
    T6: ['b', 'y'],
    T7: ['p'],
    T8: ['p', 'q'],
    T9: ['r', 's'],
    T10: ['r', 's'],
  };
  const kill = { at: 100, victimDoor: VICTIM };

  void it('the victim is the door with the most recent calls', () => {
    assert.equal(busiestDoor(calls.slice(0, 6), [SURVIVOR, VICTIM], 60, 1000), VICTIM);
  });

  void it('in flight: last call before the kill through the victim, not seen ended', () => {
    assert.deepEqual(orphanTasks(calls, kill).sort(), ['T1', 'T4', 'T7', 'T9']);
  });

  void it('failover: first and last touch of the in-flight tasks, resends and stalls', () => {
    const t = failoverTouches(calls, kill, (id) => phones[id] ?? []);
    assert.deepEqual(
      { ...t, orphanTasks: [...t.orphanTasks].sort(), inDoubtTasks: [...t.inDoubtTasks].sort() },
      {
        orphanTasks: ['T1', 'T4', 'T7', 'T9'],
        inDoubtTasks: ['T7', 'T9'],
        resumedTasks: 4,
        firstResumeMs: 4900,
        allResumedMs: 8000,
        maxBatchResetGapMs: 6850,
        resentAcceptedCalls: 1,
        resentInDoubtCalls: 2,
        phonesInDoubt: 3,
      },
    );
  });

  void it('safe: no accepted call resent, nothing under-reported, and only phones in doubt reset twice', () => {
    const clean = { phonesUnderReported: 0, resentAcceptedCalls: 0, phonesResetTwice: 100, phonesInDoubt: 100 };
    assert.equal(failoverSafe(clean), true);
    assert.equal(failoverSafe({ ...clean, resentAcceptedCalls: 1 }), false);
    assert.equal(failoverSafe({ ...clean, phonesResetTwice: 101 }), false);
    assert.equal(failoverSafe({ ...clean, phonesUnderReported: 1 }), false);
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
      /--only nope matches no row; rows: worker-start, rate20-10k/,
    );
  });

  void it('the rate promise is rate + max(1, rate/10)', () => {
    assert.deepEqual([rateLimitOf(5), rateLimitOf(20), rateLimitOf(100)], [6, 22, 110]);
  });
});
