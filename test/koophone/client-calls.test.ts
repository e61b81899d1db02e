import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { beforeEach, describe, it } from 'node:test';
import type { Instance } from '../../src/koophone';
import { sleep, useSimulator } from '../simulator/fixture';

void describe('client calls against the simulator', () => {
  const fx = useSimulator({ instances: 1000, jobDurationMs: '100..150' });
  beforeEach(() => fx.sim.reset());

  void it('sends a fresh UUID x-request-id and the token on every request', async () => {
    const seen: Headers[] = [];
    const recording: typeof fetch = (input, init) => {
      seen.push(new Headers(init?.headers));
      return fetch(input, init);
    };
    const client = fx.client({ fetch: recording });
    const reset = await client.batchReset(fx.ids(2));
    await client.getTask(reset.taskId);
    await client.queryStatus(fx.ids(2));
    const requestIds = seen.map((h) => h.get('x-request-id'));
    assert.equal(new Set(requestIds).size, 3);
    assert.equal(requestIds[0], reset.requestId);
    assert.ok(seen.every((h) => h.get('x-auth-token') === 'sim-token'));
  });

  void it('a long-lived caller signal (an activity cancellation signal) keeps no listener per call', async () => {
    const controller = new AbortController();
    const client = fx.client();
    for (let i = 0; i < 25; i += 1) await client.queryStatus(fx.ids(1, i), { signal: controller.signal });
    fx.sim.setFaults({ latencyMs: 300 });
    await assert.rejects(fx.client({ timeoutMs: 30 }).queryStatus(fx.ids(1), { signal: controller.signal }), {
      name: 'KoophoneError',
    });
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  void it('follows a reset: jobs run, then succeed; status goes 4 (starting) then 2 (running)', async () => {
    const client = fx.client();
    const ids = fx.ids(5, 100);
    const reset = await client.batchReset(ids);
    const jobIds = new Set(reset.jobs.map((j) => j.jobId));
    assert.equal(jobIds.size, 5);
    const running = await client.getTask(reset.taskId);
    assert.deepEqual(new Set(running.jobs.map((j) => j.jobId)), jobIds, 'jobs match back by job_id');
    assert.ok(running.jobs.every((j) => j.status === 1));
    assert.ok((await client.queryStatus(ids)).statuses.every((s) => s.status === 4));
    await sleep(200);
    const done = await client.getTask(reset.taskId);
    assert.ok(done.jobs.every((j) => j.status === 2 && j.errorCode === ''));
    const statuses = await client.queryStatus(ids);
    assert.deepEqual(
      statuses.statuses.map((s) => [s.instanceId, s.status]),
      ids.map((id) => [id, 2]),
    );
  });

  void it('failed jobs carry their own error code, message and output', async () => {
    fx.sim.setFaults({ jobFailureRate: 1, jobDurationMs: '0..0' });
    const client = fx.client();
    const reset = await client.batchReset(fx.ids(3, 200));
    const task = await client.getTask(reset.taskId);
    for (const job of task.jobs) {
      assert.equal(job.status, -1);
      assert.equal(job.errorCode, 'CPS0005');
      assert.equal(job.errorMsg, 'Phone not found.');
      assert.ok(job.executeMsg.length > 0 && Buffer.byteLength(job.executeMsg) <= 1024);
    }
  });

  void it('stuck jobs stay at 1 and keep the phone starting', async () => {
    fx.sim.setFaults({ stuckJobRate: 1, jobDurationMs: '0..0' });
    const client = fx.client();
    const ids = fx.ids(2, 300);
    const reset = await client.batchReset(ids);
    await sleep(100);
    assert.ok((await client.getTask(reset.taskId)).jobs.every((j) => j.status === 1));
    assert.ok((await client.queryStatus(ids)).statuses.every((s) => s.status === 4));
    assert.equal(fx.sim.stats().jobs.stuck, 2);
  });

  void it('missing cmd_jobs: the response names only the instances that got a job', async () => {
    fx.sim.setFaults({ missingJobRate: 1 });
    const ids = fx.ids(4, 400);
    const reset = await fx.client().batchReset(ids);
    assert.deepEqual(reset.jobs, []);
    assert.ok(ids.every((id) => fx.sim.instance(id)?.resets === 0));
    assert.equal(fx.sim.stats().faults.missingJob, 4);
  });

  void it('lists one page, with the documented fields', async () => {
    const page = await fx.client().listInstances({ pageNo: 2, pageSize: 10 });
    assert.equal(page.totalCount, 1000);
    assert.equal(page.pageNo, 2);
    assert.equal(page.instances.length, 10);
    assert.deepEqual(
      page.instances.map((i) => i.instanceId),
      fx.ids(10, 10),
    );
    const first = page.instances[0] as Instance;
    assert.equal(first.region, 'cn-north-4');
    assert.equal(first.frozenStatus, 0);
    assert.match(first.instanceName, /^phone-\d{7}$/);
    assert.ok(first.instanceSku.length > 0);
  });

  void it('iterates over every page exactly once', async () => {
    const seen: string[] = [];
    for await (const instance of fx.client().iterateInstances({}, 77)) seen.push(instance.instanceId);
    assert.equal(seen.length, 1000);
    assert.deepEqual(seen, fx.ids(1000));
    assert.equal(fx.sim.stats().calls.listInstances, Math.ceil(1000 / 77));
  });

  void it('filters by pool scene tag, pool name, name prefix, id and creation time', async () => {
    const client = fx.client();
    const collect = async (filter: Parameters<typeof client.iterateInstances>[0]): Promise<Instance[]> => {
      const out: Instance[] = [];
      for await (const instance of client.iterateInstances(filter, 50)) out.push(instance);
      return out;
    };
    const apps = await collect({ poolSceneTag: 'CLOUD_APP' });
    assert.equal(apps.length, 333);
    assert.ok(apps.every((i) => fx.sim.instance(i.instanceId)?.poolName === 'app-pool-1'));
    const phones = await collect({ poolSceneTag: 'CLOUD_PHONE' });
    assert.equal(phones.length, 667);
    assert.equal((await collect({ poolName: 'phone-pool-2' })).length, 333);
    assert.equal((await collect({ poolName: 'phone-pool-2', poolSceneTag: 'CLOUD_APP' })).length, 0);

    const prefixed = await collect({ instanceName: 'phone-00001' });
    assert.deepEqual(
      prefixed.map((i) => i.instanceName),
      Array.from({ length: 100 }, (_, i) => `phone-${String(100 + i).padStart(7, '0')}`),
    );
    const prefixedApps = await collect({ instanceName: 'phone-00001', poolSceneTag: 'CLOUD_APP' });
    assert.ok(prefixedApps.length === 33 || prefixedApps.length === 34);

    const one = fx.ids(1, 567)[0] as string;
    assert.deepEqual(
      (await collect({ instanceId: one })).map((i) => i.instanceId),
      [one],
    );
    assert.equal((await collect({ instanceId: 'zz9notme' })).length, 0);

    const timed = await collect({
      queryStartTime: '2023-01-01 00:10:00',
      queryEndTime: new Date('2023-01-01T00:19:30Z'),
    });
    assert.deepEqual(
      timed.map((i) => i.instanceId),
      fx.ids(10, 10),
    );
  });

  void it('a page past the end is empty but keeps the total', async () => {
    const page = await fx.client().listInstances({ pageNo: 99, pageSize: 100 });
    assert.equal(page.instances.length, 0);
    assert.equal(page.totalCount, 1000);
  });
});
