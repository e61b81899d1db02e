import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { createKoophoneClient, Secret } from '../../src/koophone';
import { CampaignState } from '../../src/temporal/search-attributes';
import { createCampaignWorker } from '../../src/worker';
import { statusQuery } from '../../src/workflows';
import { campaignEnv, waitFor, workflowBundle, type CampaignEnv } from '../helpers/campaign-env';
import { operatorCli } from '../cli/run-cli';
import { campaignResult } from '../../src/temporal/campaign-result';

/** A worker whose KOOPHONE_TOKEN the API refuses (revoked, or a typo in the deployment). */
async function workerWithToken(env: CampaignEnv, token: string): Promise<{ stop(): Promise<void> }> {
  const worker: Worker = await createCampaignWorker({
    connection: env.temporal.nativeConnection,
    namespace: env.temporal.namespace,
    taskQueue: env.taskQueue,
    client: createKoophoneClient({ endpoint: env.sim.url, timeoutMs: 5000, auth: { kind: 'static', token: new Secret(token) } }),
    store: env.store,
    workflowBundle: await workflowBundle(),
  });
  const run = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await run;
    },
  };
}

// What the operator sees when KooPhone refuses every call: the cause by name in status (text,
// JSON, the Temporal UI's list), `blocked` after --blocked-after, watch exiting 4 — and the
// campaign resuming by itself once a worker with a good token runs it. Counted by the simulator.
describe('a campaign whose calls KooPhone refuses says why, turns blocked, and resumes', () => {
  const env = campaignEnv({ jobDurationMs: '200..600' }, { worker: false });
  const cli = operatorCli(env, () => ({}), 90_000);

  it('revoked token: status names 401 APIGW.0301 with its count; blocked after the deadline; watch exits 4; a fixed worker finishes it', async () => {
    const bad = await workerWithToken(env, 'revoked-token');
    const ids = env.ids(400, 0);
    const handle = await env.start(
      { rate: 10, concurrency: 20, batchSize: 20, canary: 0, blockedAfterMs: 8000, submitBackoffMaxMs: 4000 },
      { kind: 'inline', ids },
    );
    const id = handle.workflowId;

    // The cause by name within seconds (lanes report every 2 s), before the deadline makes it blocked.
    await waitFor(async () => ((await handle.query(statusQuery)).troubles ?? []).some((t) => t.kind === 'auth'), 30_000);
    const early = JSON.parse((await cli(['status', id, '--json'])).stdout) as {
      state: string;
      troubles: { kind: string; code: string; calls: number; hint: string }[];
    };
    const auth = early.troubles.find((t) => t.kind === 'auth')!;
    assert.equal(auth.code, 'APIGW.0301');
    assert.match(auth.hint, /KooPhone rejects the token \(APIGW\.0301: .*\) on \d+ calls? since \d\d:\d\d UTC — fix KOOPHONE_TOKEN/);
    const refusedBySim = env.sim.stats().errorCodes['APIGW.0301'] ?? 0;
    assert.ok(auth.calls >= 1 && auth.calls <= refusedBySim, `status counts ${auth.calls} refusals, the simulator answered ${refusedBySim}`);

    await waitFor(async () => (await handle.query(statusQuery)).state === 'blocked', 60_000);
    const text = await cli(['status', id]);
    assert.match(text.stdout, /^Campaign \S+: blocked/m);
    assert.match(text.stdout, /BLOCKED\s+KooPhone rejects the token \(APIGW\.0301/);
    const watch = await cli(['watch', id]);
    assert.equal(watch.code, 4, watch.stdout + watch.stderr);
    assert.match(watch.stdout, /resumes by itself/);
    assert.match(watch.stdout, /--through-blocked/);
    // The Temporal UI's list (and `list --state blocked`) read the search attribute.
    await waitFor(async () => (await handle.describe()).typedSearchAttributes.get(CampaignState) === 'blocked', 30_000);
    assert.equal(env.sim.stats().resets.total, 0, 'nothing was reset with a refused token');

    // The operator fixes the token: the campaign resumes by itself.
    await bad.stop();
    await env.startWorker();
    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed');
    assert.equal(result.counts.succeeded, ids.length);
    const lines = await env.report(id);
    assert.equal(lines.length, ids.length);
    for (const l of lines) assert.equal(l.resets, env.sim.instance(l.instance_id)?.resets, l.instance_id);
    assert.equal((await handle.describe()).typedSearchAttributes.get(CampaignState), 'completed');
  });
});
