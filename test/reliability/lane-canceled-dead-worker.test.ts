import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { campaignResult } from '../../src/temporal/campaign-result';
import { pauseSignal, resumeSignal } from '../../src/workflows';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { killHard, spawnWorker } from '../helpers/worker-process';

// Chaos seed 7 (c-979d390c, test/histories/explained): the engine re-planned and asked its lane to stop
// while the lane's worker was dead; the lane timed out on its heartbeat with retry state
// CANCEL_REQUESTED (Temporal does not retry a lane asked to stop), and the engine gave all its
// work up `failed ORCHESTRATOR_ERROR`: a campaign completed with 2 000 phones failed, most never
// sent. The lane did not fail: its work goes back, and the next lanes resume it from the journals.
describe('a lane asked to stop while its worker is dead', () => {
  const env = campaignEnv({ jobDurationMs: '1500..3000' }, { worker: false });
  const workers: ReturnType<typeof spawnWorker>[] = [];
  after(async () => {
    for (const w of workers) await killHard(w);
  });

  it('gives its work back: the campaign completes, every phone reset once, none given up', async () => {
    const frozen = spawnWorker(env.workerProcessEnv());
    workers.push(frozen);
    const ids = env.ids(60, 0);
    // One lane for a long term, on a heartbeat timeout longer than the sticky queue's 10 s: the
    // cancel is asked (by the other worker) before the lane times out.
    const handle = await env.start(
      { concurrency: 1, rate: 1, batchSize: 5, canary: 0, heartbeatTimeoutMs: 40_000, termMs: 180_000 },
      { kind: 'inline', ids },
    );
    await waitFor(() => env.sim.stats().calls.batchReset >= 3, 120_000, 200);
    // The other worker polls first; then the lane's worker stops dead (SIGSTOP: no heartbeat, no
    // workflow task), and the pause reaches the other one after the sticky queue's 10 s.
    await env.startWorker();
    await new Promise((r) => setTimeout(r, 2000));
    frozen.kill('SIGSTOP');
    await handle.signal(pauseSignal);
    const timedOut = async () =>
      (await handle.fetchHistory()).events!.some(
        (e) => e.activityTaskTimedOutEventAttributes?.retryState === 7 /* RETRY_STATE_CANCEL_REQUESTED */,
      );
    await waitFor(timedOut, 90_000, 1000).catch(async (err: unknown) => {
      const events = (await handle.fetchHistory()).events!;
      const seen = events.slice(-25).map((e) => `${String(e.eventId)} ${String(e.eventType)} ${JSON.stringify(e.activityTaskTimedOutEventAttributes ?? '')}`);
      throw new Error(`${String(err)}:\n${seen.join('\n')}`);
    });
    await killHard(frozen);
    // (Without the fix the campaign has already ended, its lane's phones given up.)
    await handle.signal(resumeSignal).catch(() => undefined);
    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed', JSON.stringify(result));
    const report = await env.report(handle.workflowId);
    assert.equal(report.length, ids.length);
    assert.deepEqual(countBy(report, (l) => l.error_code || l.outcome), { succeeded: ids.length });
    assert.deepEqual(ids.filter((id) => env.sim.instance(id)?.resets !== 1), []);
  });
});
