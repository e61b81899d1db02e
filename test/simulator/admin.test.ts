// The admin API over HTTP, as a test in another process (or an operator with curl) uses it.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { SimulatorStats } from '../../src/simulator';
import { expectKoophoneError, useSimulator } from './fixture';

void describe('simulator admin API', () => {
  const fx = useSimulator({ instances: 2500, jobDurationMs: '0..0', seed: 9 });
  beforeEach(() => fx.sim.reset());

  const admin = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> => {
    const response = await fetch(`${fx.sim.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  };

  void it('GET /__sim/stats has the documented shape', async () => {
    await fx.client().batchReset(fx.ids(3));
    const { status, json } = await admin('GET', '/__sim/stats');
    assert.equal(status, 200);
    const stats = json as SimulatorStats;
    assert.deepEqual(Object.keys(stats.calls).sort(), [
      'batchReset',
      'getTask',
      'iamToken',
      'listInstances',
      'queryStatus',
    ]);
    assert.equal(stats.calls.batchReset, 1);
    assert.equal(typeof stats.faults.drop, 'number');
    assert.equal(stats.peakRequestsPerSecond, 1);
    assert.equal(typeof stats.peakRequestsPerSecondByEndpoint.getTask, 'number');
    assert.deepEqual(stats.resets, { total: 3, instances: 3, max: 1, histogram: { '1': 3 } });
  });

  void it('GET /__sim/ids pages through the fleet in index order', async () => {
    const first = (await admin('GET', '/__sim/ids?offset=0&limit=1000')).json as {
      total: number;
      ids: string[];
    };
    const rest = (await admin('GET', '/__sim/ids?offset=1000&limit=5000')).json as { ids: string[] };
    assert.equal(first.total, 2500);
    assert.deepEqual([...first.ids, ...rest.ids], fx.ids(2500));
    assert.equal((await admin('GET', '/__sim/ids?limit=0')).status, 400);
  });

  void it('GET and POST /__sim/instances/:id', async () => {
    const [id] = fx.ids(1, 77) as [string];
    const { taskId, jobs } = await fx.client().batchReset([id]);
    assert.ok(taskId);
    const view = (await admin('GET', `/__sim/instances/${id}`)).json as Record<string, unknown>;
    assert.equal(view.instance_id, id);
    assert.equal(view.resets, 1);
    assert.equal(view.status, 2);
    assert.equal(view.region, 'cn-north-4');
    assert.equal(view.frozen, false);
    assert.equal(view.recovering_until, null);
    assert.equal(view.last_job_id, jobs[0]?.jobId);

    const frozen = (await admin('POST', `/__sim/instances/${id}`, { frozen: true, recoveringForMs: 60_000 }))
      .json as Record<string, unknown>;
    assert.equal(frozen.frozen, true);
    assert.equal(typeof frozen.recovering_until, 'string');
    await expectKoophoneError(fx.client().batchReset([id]), { code: 'KOOPHONE.API.2004' });
    const listed = await fx.client().listInstances({ pageNo: 1, pageSize: 1, instanceId: id });
    assert.equal(listed.instances[0]?.frozenStatus, 1);

    await admin('POST', `/__sim/instances/${id}`, { frozen: false });
    await expectKoophoneError(fx.client().batchReset([id]), { code: 'KOOPHONE.API.2005' });
    await admin('POST', `/__sim/instances/${id}`, { recoveringForMs: 0, backingUpForMs: 60_000 });
    await expectKoophoneError(fx.client().batchReset([id]), { code: 'KOOPHONE.API.2006' });

    assert.equal((await admin('GET', '/__sim/instances/zz9notme')).status, 404);
    const bad = await admin('POST', `/__sim/instances/${id}`, { frozen: 'yes' });
    assert.equal(bad.status, 400);
    assert.match((bad.json as { error: string }).error, /frozen/);
  });

  void it('POST /__sim/instances/:id failNextJob: the next reset job fails with the given text, once', async () => {
    const [id] = fx.ids(1, 88) as [string];
    const failure = { code: '=X\x1b[2J', message: 'msg \x1b]0;t\x07', executeMsg: 'exec \x9b' };
    assert.equal((await admin('POST', `/__sim/instances/${id}`, { failNextJob: failure })).status, 200);
    const first = await fx.client().batchReset([id]);
    const failed = (await fx.client().getTask(first.taskId)).jobs[0];
    assert.deepEqual(
      { status: failed?.status, code: failed?.errorCode, msg: failed?.errorMsg, exec: failed?.executeMsg },
      { status: -1, code: failure.code, msg: failure.message, exec: failure.executeMsg },
    );
    const second = await fx.client().batchReset([id]);
    assert.equal((await fx.client().getTask(second.taskId)).jobs[0]?.status, 2, 'only the next job fails');
    const bad = await admin('POST', `/__sim/instances/${id}`, { failNextJob: { code: 1 } });
    assert.equal(bad.status, 400);
  });

  void it('POST /__sim/faults changes faults while running and validates them', async () => {
    const ok = await admin('POST', '/__sim/faults', { fault9999Rate: 1, latencyMs: '0..5' });
    assert.equal(ok.status, 200);
    assert.equal((ok.json as { fault9999Rate: number }).fault9999Rate, 1);
    await expectKoophoneError(fx.client().batchReset(fx.ids(1)), { code: 'KOOPHONE.API.9999' });
    const bad = await admin('POST', '/__sim/faults', { dropRate: 7 });
    assert.equal(bad.status, 400);
    assert.match((bad.json as { error: string }).error, /--drop-rate/);
    const fixed = await admin('POST', '/__sim/faults', { instances: 5 });
    assert.match((fixed.json as { error: string }).error, /instances can only be set at start/);
    assert.equal(
      ((await admin('GET', '/__sim/faults')).json as { fault9999Rate: number }).fault9999Rate,
      1,
      'a refused change changes nothing',
    );
  });

  void it('POST /__sim/reset clears counts, jobs, injections and faults; old task ids are gone', async () => {
    const { taskId } = await fx.client().batchReset(fx.ids(5));
    await admin('POST', '/__sim/faults', { malformedRate: 1 });
    await admin('POST', '/__sim/inject', {
      status: 200,
      body: { error_code: 'KOOPHONE.API.1004', error_msg: 'x' },
    });
    assert.equal((await admin('POST', '/__sim/reset')).status, 200);
    const stats = fx.sim.stats();
    assert.equal(stats.resets.total, 0);
    assert.equal(stats.calls.batchReset, 0);
    assert.equal(stats.tasks, 0);
    assert.equal(fx.sim.faults().malformedRate, 0);
    await expectKoophoneError(fx.client().getTask(taskId), { code: 'KOOPHONE.API.1000' });
    const again = await fx.client().batchReset(fx.ids(5));
    assert.notEqual(again.taskId, taskId, 'task ids are not reused across a reset');
  });

  void it('POST /__sim/inject answers the next matching call, then stops', async () => {
    const injected = await admin('POST', '/__sim/inject', {
      endpoint: 'queryStatus',
      status: 200,
      body: { error_code: 'KOOPHONE.API.0000', error_msg: 'tenant does not exist' },
      times: 2,
    });
    assert.equal(injected.status, 200);
    await fx.client().batchReset(fx.ids(1));
    await expectKoophoneError(fx.client().queryStatus(fx.ids(1)), { code: 'KOOPHONE.API.0000' });
    await expectKoophoneError(fx.client().queryStatus(fx.ids(1)), { code: 'KOOPHONE.API.0000' });
    await fx.client().queryStatus(fx.ids(1));
    assert.equal(fx.sim.stats().faults.injected, 2);
    assert.equal((await admin('POST', '/__sim/inject', { status: 99 })).status, 400);
  });
});
