import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { statusQuery } from '../../src/workflows';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { killHard, spawnWorker } from '../helpers/worker-process';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RATE = 10;

/**
 * A worker that stops running for a few seconds (CPU starved, a long GC pause, a VM migrated;
 * here SIGSTOP) wakes with every call it was holding for a slot due at once, and with the tasks
 * the server handed its open polls meanwhile, all of them late. Sent then, they would land on top
 * of the calls the other worker sends in the slots the workflow hands out next: before late calls
 * went back for a fresh slot, this test saw twice the campaign's rate.
 */
describe('a stalled worker', () => {
  const env = campaignEnv({ jobDurationMs: '300..800' }, { worker: false });
  const workers: ReturnType<typeof spawnWorker>[] = [];
  after(async () => {
    for (const w of workers) {
      w.kill('SIGCONT');
      await killHard(w);
    }
  });

  it('does not burst the calls it held when it resumes: no second over the campaign rate + 1', async () => {
    env.sim.reset();
    for (let i = 0; i < 2; i += 1) workers.push(spawnWorker(env.workerProcessEnv()));
    const ids = env.ids(1500, 0);
    const handle = await env.start(
      { batchSize: 10, concurrency: 40, rate: RATE, canary: 0, maxErrors: '100%' },
      { kind: 'inline', ids },
    );
    // Stall each worker in turn, once the campaign runs at its rate.
    for (const w of workers) {
      const before = env.sim.stats().calls.batchReset;
      await waitFor(() => env.sim.stats().calls.batchReset >= before + 20, 60_000);
      w.kill('SIGSTOP');
      await sleep(2500);
      w.kill('SIGCONT');
    }
    const result = await handle.result();
    const status = await handle.query(statusQuery);
    const lines = await env.report(handle.workflowId);
    const stats = env.sim.stats();

    assert.equal(result.state, 'completed');
    assert.deepEqual(
      countBy(lines, (l) => l.outcome),
      { succeeded: ids.length },
    );
    for (const id of ids) assert.equal(env.sim.instance(id)?.resets, 1, `${id} reset once`);
    assert.ok(status.slotsMissed > 0, 'the stalls made calls miss their slots');
    // Sends stay within [slot, slot + 1/rate]: at most rate + 1 in any second, and one more for
    // arrival jitter on a busy machine.
    assert.ok(
      stats.peakRequestsPerSecond <= RATE + 2,
      `peak ${stats.peakRequestsPerSecond}/s at a rate of ${RATE}/s`,
    );
    // Items that missed 3 slots in a row go however late (the clock-skew way out): how many did.
    const sentLate = workers.map((w) => w.output().split('sending this one however late').length - 1);
    console.log(
      `# stalled workers: ${status.slotsMissed} slots missed, ${sentLate.reduce((a, b) => a + b)} sent ` +
        `however late, ${stats.calls.batchReset} calls, peak ${stats.peakRequestsPerSecond}/s at ${RATE}/s`,
    );
  });
});
