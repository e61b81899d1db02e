import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { statusQuery } from '../../src/workflows';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { startSimulatorProcess, type SimulatorProcess } from '../helpers/simulator-process';
import { killHard, spawnWorker } from '../helpers/worker-process';
import { campaignResult } from '../../src/temporal/campaign-result';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RATE = 10;

/**
 * A worker that stops running for a few seconds (CPU starved, a long GC pause, a VM migrated;
 * here SIGSTOP) wakes with every call it was holding due at once. Sent then, they would land on
 * top of the calls its lanes send next: the first engine, before late calls went back for a fresh
 * slot, saw twice the campaign's rate here. A lane spaces each call from when its previous one
 * really went, so a stalled lane sends later, never in a burst.
 */
describe('a stalled worker', () => {
  const env = campaignEnv({}, { worker: false });
  // The calls per second are counted by a simulator in its own process (see simulator-process.ts).
  let sim: SimulatorProcess | undefined;
  const workers: ReturnType<typeof spawnWorker>[] = [];
  after(async () => {
    for (const w of workers) {
      w.kill('SIGCONT');
      await killHard(w);
    }
    await sim?.close();
  });

  it('does not burst the calls it held when it resumes: no second over the campaign rate + 1', async () => {
    sim = await startSimulatorProcess(['--instances', '20000', '--job-duration-ms', '300..800']);
    const calls = async () => (await sim!.stats()).calls.batchReset;
    for (let i = 0; i < 2; i += 1)
      workers.push(spawnWorker(env.workerProcessEnv({ KOOPHONE_ENDPOINT: sim.url })));
    const ids = await sim.ids(1500, 0);
    const handle = await env.start(
      { batchSize: 10, concurrency: 40, rate: RATE, canary: 0, maxErrors: '100%' },
      { kind: 'inline', ids },
    );
    // Stall each worker in turn, once the campaign runs at its rate.
    for (const w of workers) {
      const before = await calls();
      await waitFor(async () => (await calls()) >= before + 20, 60_000);
      w.kill('SIGSTOP');
      await sleep(2500);
      w.kill('SIGCONT');
    }
    const result = await campaignResult(handle);
    const status = await handle.query(statusQuery);
    const lines = await env.report(handle.workflowId);
    const stats = await sim.stats();

    assert.equal(result.state, 'completed');
    assert.deepEqual(
      countBy(lines, (l) => l.outcome),
      { succeeded: ids.length },
    );
    for (const id of ids) assert.equal(await sim.resets(id), 1, `${id} reset once`);
    // The README's promise: at most rate + max(1, rate/10) in any second.
    assert.ok(
      stats.peakRequestsPerSecond <= RATE + Math.max(1, RATE / 10),
      `peak ${stats.peakRequestsPerSecond}/s at a rate of ${RATE}/s`,
    );
    console.log(
      `# stalled workers: ${stats.calls.batchReset} calls, peak ${stats.peakRequestsPerSecond}/s at ${RATE}/s, ` +
        `${status.run} run(s)`,
    );
  });
});
