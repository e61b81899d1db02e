// The simulator's call timeline and journal, which benchmarks read to check a rate second by
// second and to see which client (door) touched which task.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { SimulatorCall, SimulatorTimeline } from '../../src/simulator';
import { useSimulator } from './fixture';

void describe('simulator call log', () => {
  const fx = useSimulator({ instances: 1000, jobDurationMs: '0..0', seed: 4 });
  beforeEach(() => fx.sim.reset());

  void it('counts calls per endpoint per calendar second and serves them under /__sim/timeline', async () => {
    const client = fx.client();
    const accepted = await client.batchReset(fx.ids(5));
    await client.getTask(accepted.taskId);
    await client.getTask(accepted.taskId);
    const timeline = (await (await fetch(`${fx.sim.url}/__sim/timeline`)).json()) as SimulatorTimeline;
    const total = (e: 'batchReset' | 'getTask') => timeline.seconds.reduce((n, s) => n + s[e], 0);
    assert.equal(total('batchReset'), 1);
    assert.equal(total('getTask'), 2);
    assert.ok(timeline.peakPerSecond.getTask >= 1 && timeline.peakPerSecond.getTask <= 2);
    assert.equal(timeline.peakSlidingWindow.getTask, 2);
    assert.deepEqual(fx.sim.timeline(), timeline);
    fx.sim.reset();
    assert.deepEqual(fx.sim.timeline().seconds, []);
  });

  void it('logs the door each call came through and the task it touched', async () => {
    const door = await fx.sim.openDoor();
    const viaDoor = fx.client({ endpoint: door.url });
    const since = Date.now();
    const a = await fx.client().batchReset(fx.ids(3));
    const b = await viaDoor.batchReset(fx.ids(4, 10));
    await viaDoor.getTask(a.taskId);
    const calls = fx.sim.calls(since);
    // Jobs of 0 ms have ended by the first task query: the client has seen the task finish.
    assert.deepEqual(
      calls.map((c) => [c.endpoint, c.door, c.taskId, c.ended]),
      [
        ['batchReset', fx.sim.port, a.taskId, false],
        ['batchReset', door.port, b.taskId, false],
        ['getTask', door.port, a.taskId, true],
      ],
    );
    // Each answer's time is kept: a client that died waiting for one could not know the call's fate.
    assert.ok(
      calls.every((c) => c.answeredAt !== null && c.answeredAt >= c.at),
      `answered calls: ${JSON.stringify(calls.map((c) => [c.at, c.answeredAt]))}`,
    );
    fx.sim.setFaults({ jobDurationMs: { min: 60_000, max: 60_000 } });
    const running = await viaDoor.batchReset(fx.ids(2, 20));
    await viaDoor.getTask(running.taskId);
    assert.equal(fx.sim.calls(since).at(-1)?.ended, false, 'a task with running jobs has not ended');
    assert.deepEqual(fx.sim.instancesOfTask(b.taskId), fx.ids(4, 10));
    assert.deepEqual(fx.sim.instancesOfTask('RM_nope'), []);
    const served = (await (await fetch(`${fx.sim.url}/__sim/calls?since=${since}&limit=2`)).json()) as {
      calls: SimulatorCall[];
      dropped: number;
    };
    assert.deepEqual(served, { calls: calls.slice(0, 2), dropped: 0 });
    const bad = await fetch(`${fx.sim.url}/__sim/calls?limit=0`);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /invalid calls query/);
  });

  void it('keeps when each answer went out, and none for a reset whose answer was lost', async () => {
    const since = Date.now();
    fx.sim.setFaults({ latencyMs: { min: 50, max: 50 } });
    await fx.client().batchReset(fx.ids(2));
    fx.sim.setFaults({ latencyMs: { min: 0, max: 0 }, lostResponseRate: 1 });
    await assert.rejects(fx.client().batchReset(fx.ids(2, 10)));
    const [answered, lost] = fx.sim.calls(since);
    assert.ok(answered!.answeredAt! - answered!.at >= 45, `answered ${answered!.answeredAt! - answered!.at} ms after arriving`);
    assert.equal(lost!.endpoint, 'batchReset');
    assert.equal(lost!.answeredAt, null, 'applied, but no answer went out');
    assert.equal(fx.sim.stats().resets.total, 4);
  });
});
