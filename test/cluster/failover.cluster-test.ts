import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { statusQuery } from '../../src/workflows';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { killHard, spawnWorker } from '../helpers/worker-process';
import { clusterUp, killService, servicePid } from './cluster-control';
import type { ClusterService } from './layout';
import { campaignResult } from '../../src/temporal/campaign-result';

// On the multi-service cluster (npm run test:cluster): a 20 000-phone campaign on two worker
// processes survives the history service, then the matching service, being SIGKILLed and
// restarted mid-campaign, and the report still matches what the simulator applied.
describe('a campaign on the cluster through history and matching crashes', () => {
  const env = campaignEnv({ instances: 20_000, jobDurationMs: '200..800' }, { worker: false });
  const workers: ReturnType<typeof spawnWorker>[] = [];
  after(async () => {
    for (const w of workers) await killHard(w);
  });

  it('20 000 phones, two workers: completes with one line per phone and resets equal to the simulator', async () => {
    for (let i = 0; i < 2; i += 1) workers.push(spawnWorker(env.workerProcessEnv()));
    const ids = env.ids(20_000);
    const handle = await env.start(
      { concurrency: 40, rate: 4, batchSize: 100, canary: 0, heartbeatTimeoutMs: 10_000 },
      // More ids than an inline source holds (5 000): the workflow refuses such an input at once.
      { kind: 'file', path: env.writeIdsFile('failover.txt', ids.join('\n') + '\n'), format: 'text' },
    );
    const succeeded = async () => (await handle.query(statusQuery).catch(() => undefined))?.succeeded;
    // CI runs this suite beside npm test at nice 10: while npm test keeps both cores busy these
    // processes get a tenth of the CPU, so the waits are long (this is no timing test), and a
    // worker that died ends the wait at once with what it printed.
    const workersAlive = () => {
      const dead = workers.find((w) => w.exitCode !== null || w.signalCode !== null);
      if (dead)
        throw new Error(`worker ${dead.pid} exited (${dead.exitCode ?? dead.signalCode}):\n${dead.output().slice(-4000)}`);
      return true;
    };
    let seen: number | undefined;
    const progressed = async (atLeast: number) => {
      workersAlive();
      // (the server may not answer while a service restarts: only a closed campaign ends the wait)
      const status = (await handle.describe().catch(() => undefined))?.status.name;
      if (status !== undefined && status !== 'RUNNING') throw new Error(`the campaign ended ${status} mid-test`);
      seen = (await succeeded()) ?? seen;
      return (seen ?? 0) >= atLeast;
    };
    const until = (atLeast: number, timeoutMs: number) =>
      waitFor(() => progressed(atLeast), timeoutMs, 200).catch((e: Error) => {
        throw new Error(`${e.message}: waiting for ${atLeast} succeeded, last seen ${seen ?? 'no answer to the status query'}`);
      });

    /** Kills the service once the campaign is that far, restarts it, and times the outage. */
    const crash = async (service: ClusterService, atSucceeded: number) => {
      await until(atSucceeded, 900_000);
      const before = (await succeeded())!;
      const killedAt = Date.now();
      const pid = await killService(service);
      clusterUp();
      assert.notEqual(servicePid(service), pid, `${service} runs as a new process`);
      const restartedAt = Date.now();
      await until(before + 1, 600_000);
      const progressAt = Date.now();
      console.log(
        `${service} SIGKILLed at ${before} succeeded: restarted in ${((restartedAt - killedAt) / 1000).toFixed(1)} s, ` +
          `campaign progressing again ${((progressAt - killedAt) / 1000).toFixed(1)} s after the kill`,
      );
    };
    await crash('history', 4_000);
    await crash('matching', 10_000);

    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed');
    const lines = await env.report(handle.workflowId);
    assert.equal(lines.length, ids.length, 'one line per phone');
    assert.deepEqual(new Set(lines.map((l) => l.instance_id)), new Set(ids));
    assert.deepEqual(
      countBy(lines, (l) => l.outcome),
      { succeeded: ids.length },
    );
    const applied = (id: string) => env.sim.instance(id)?.resets ?? 0;
    const differing = lines.filter((l) => l.resets !== applied(l.instance_id));
    assert.deepEqual(
      differing
        .slice(0, 5)
        .map((l) => `${l.instance_id}: report ${l.resets}, simulator ${applied(l.instance_id)}`),
      [],
      `${differing.length} lines count other resets than the simulator applied`,
    );
    assert.equal(
      lines.reduce((sum, l) => sum + l.resets, 0),
      env.sim.stats().resets.total,
      'the report counts every reset the simulator applied',
    );
  });
});
