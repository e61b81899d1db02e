import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { statusQuery } from '../../src/workflows';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { killHard, spawnWorker } from '../helpers/worker-process';

describe('worker crash', () => {
  const env = campaignEnv({ jobDurationMs: '1000..3000' }, { worker: false });
  const children: ReturnType<typeof spawnWorker>[] = [];
  after(async () => {
    for (const c of children) await killHard(c);
  });

  it('a SIGKILLed worker is replaced and the campaign completes with one reset per instance', async () => {
    const workerEnv = {
      TEMPORAL_ADDRESS: env.temporal.address,
      TEMPORAL_NAMESPACE: env.temporal.namespace,
      TEMPORAL_TASK_QUEUE: env.taskQueue,
      KOOPHONE_ENDPOINT: env.sim.url,
      KOOPHONE_TOKEN: 'sim-token',
      REPORT_DIR: env.reportDir,
    };
    const first = spawnWorker(workerEnv);
    children.push(first);
    const ids = env.ids(1200, 0);
    const handle = await env.start(
      { concurrency: 4, rate: 8, batchSize: 50, canary: 0, heartbeatTimeoutMs: 6000 },
      { kind: 'inline', ids },
    );
    // Kill it while batches are in flight: some submitted and being tracked.
    await waitFor(async () => {
      const s = await handle.query(statusQuery).catch(() => undefined);
      return !!s && s.succeeded >= 200 && s.inFlight > 0;
    }, 120_000, 100);
    await killHard(first);
    const second = spawnWorker(workerEnv);
    children.push(second);
    const result = await handle.result();
    assert.equal(result.state, 'completed', second.output());
    const lines = await env.report(handle.workflowId);
    assert.equal(lines.length, 1200);
    assert.deepEqual(countBy(lines, (l) => l.outcome), { succeeded: 1200 });
    // The simulator never lost a response here, so no instance may have been reset twice.
    const resets = ids.map((id) => env.sim.instance(id)?.resets);
    assert.deepEqual(countBy(resets, String), { '1': 1200 });
    assert.ok(lines.every((l) => l.resets === 1));
  });
});
