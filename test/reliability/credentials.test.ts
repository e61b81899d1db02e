import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { PREPARED_ACCOUNT_MEMO } from '../../src/campaign/account-memo';
import type { ReportLine } from '../../src/campaign/outcome';
import type { CampaignStatus } from '../../src/campaign/status';
import { IAM_REFUSAL_PAUSE_MS } from '../../src/koophone';
import { startSimulator, type RunningSimulator } from '../../src/simulator';
import { campaignResult } from '../../src/temporal/campaign-result';
import { operatorCli } from '../cli/run-cli';
import { campaignEnv, waitFor, workflowBundle } from '../helpers/campaign-env';
import { killHard } from '../helpers/worker-process';
import { startWorkerProcess, workerStarted, type WorkerProcess } from '../production/helpers/workers';

// The workers' KooPhone credentials are one of our own parts. IAM refusing them blocks the campaign
// at once with the cause by name, IAM is asked at most once a minute per worker (Huawei IAM locks
// users after repeated failed sign-ins), nothing is sent, no phone is marked; a worker restarted
// with the right password finishes it. A worker of another KooPhone account (another endpoint: a
// second simulator) refuses the campaign's KooPhone work: no call reaches the other account, no
// line carries its answer, and with no worker of the campaign's account left the campaign is
// blocked naming both. Real worker processes, a real dev server, simulators counting every call.

const IAM_USER = 'reset-operator';
const PASSWORD = 'the-right-Password-1';

describe("the workers' KooPhone credentials: refused by IAM, or another account's", () => {
  const env = campaignEnv({ jobDurationMs: '200..600', iamUser: IAM_USER, iamPassword: PASSWORD }, { worker: false });
  const cli = operatorCli(env, () => ({}), 90_000);
  const workers: WorkerProcess[] = [];
  let other: RunningSimulator | undefined;
  after(async () => {
    for (const w of workers) await killHard(w);
    await other?.close();
  });
  const worker = async (extra: Record<string, string>): Promise<WorkerProcess> => {
    const w = await startWorkerProcess(env.workerProcessEnv(extra));
    workers.push(w);
    await workerStarted(w);
    return w;
  };
  const iamWorker = (password: string) =>
    worker({
      KOOPHONE_TOKEN: '',
      KOOPHONE_IAM_ENDPOINT: env.sim.url,
      KOOPHONE_IAM_USERNAME: IAM_USER,
      KOOPHONE_IAM_PASSWORD: password,
      KOOPHONE_IAM_DOMAIN: 'acme',
    });
  const status = async (id: string): Promise<CampaignStatus> => {
    const run = await cli(['status', id, '--json']);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as CampaignStatus;
  };
  const blockedOn = async (handle: WorkflowHandle, code: string, withinMs: number): Promise<CampaignStatus> => {
    let seen: CampaignStatus | undefined;
    await waitFor(
      async () => {
        // A killed worker's sticky workflow task leaves a query unanswered for a few seconds.
        const run = await cli(['status', handle.workflowId, '--json']);
        if (run.code !== 0) return false;
        seen = JSON.parse(run.stdout) as CampaignStatus;
        return seen.state === 'blocked' && seen.blockingCause?.code === code;
      },
      withinMs,
      1000,
    ).catch((err: Error) => assert.fail(`${err.message}: ${JSON.stringify(seen)}`));
    return seen!;
  };
  /** One line per phone, each counting exactly the resets `sim` applied to it, which is one. */
  const everyPhoneResetOnce = (lines: ReportLine[], ids: string[], sim: RunningSimulator) => {
    assert.equal(lines.length, ids.length, 'one line per phone');
    assert.deepEqual(new Set(lines.map((l) => l.instance_id)), new Set(ids));
    for (const l of lines) {
      assert.equal(l.outcome, 'succeeded', JSON.stringify(l));
      assert.equal(sim.instance(l.instance_id)?.resets, 1, `${l.instance_id} reset once at the simulator`);
      assert.equal(l.resets, 1, `${l.instance_id}: its line counts one reset`);
    }
  };

  it('wrong IAM password: blocked at once with the cause, ≤ 1 IAM sign-in a minute for two campaigns, nothing sent, no phone marked; a worker with the right password completes both', async (t) => {
    env.sim.reset();
    const wrong = await iamWorker('not-the-Password');
    // Two campaigns of several lanes on the one worker: IAM is still asked once a minute at most.
    const a = env.ids(300, 0);
    const b = env.ids(200, 1000);
    const options = { rate: 20, concurrency: 6, batchSize: 20, canary: 2 };
    const handles = [
      await env.start(options, { kind: 'inline', ids: a }),
      await env.start({ ...options, canary: 0 }, { kind: 'inline', ids: b }),
    ];

    for (const handle of handles) {
      const seen = await blockedOn(handle, 'IAM_401', 60_000);
      assert.equal(seen.blockingCause?.part, 'credentials');
      assert.match(
        seen.blockingCause!.message,
        new RegExp(`^credentials: IAM refused the credentials \\(HTTP 401\\) of user "${IAM_USER}" in domain "acme": The username or password is wrong`),
      );
      assert.match(seen.blockingCause!.fix, /KOOPHONE_IAM_PASSWORD .* at most once a minute/);
      assert.equal(seen.rejected, 0);
      assert.equal(seen.failed, 0);
      assert.equal((seen.troubles ?? []).length, 0, 'a refused sign-in is the blocking cause, not a KooPhone trouble');
    }
    const text = await cli(['status', handles[0]!.workflowId]);
    assert.match(text.stdout, /^Campaign \S+: blocked/m);
    assert.match(text.stdout, /BLOCKED\s+credentials: IAM refused the credentials \(HTTP 401\)/);

    // Wrong for over two minutes: the campaigns probe every 30 s, their lanes would call at 20/s.
    const since = env.sim.signIns()[0]!.at;
    await waitFor(() => Date.now() - since > 2 * IAM_REFUSAL_PAUSE_MS + 10_000, 4 * IAM_REFUSAL_PAUSE_MS, 1000);
    const signIns = env.sim.signIns();
    const window = Date.now() - since;
    t.diagnostic(`IAM sign-ins in ${Math.round(window / 1000)} s with the wrong password: ${signIns.length} (${signIns.map((s) => new Date(s.at).toISOString().slice(14, 19)).join(', ')})`);
    assert.ok(signIns.every((s) => !s.granted));
    for (let i = 1; i < signIns.length; i++) {
      const gap = signIns[i]!.at - signIns[i - 1]!.at;
      assert.ok(gap >= IAM_REFUSAL_PAUSE_MS, `sign-ins ${i} and ${i + 1} came ${gap} ms apart`);
    }
    assert.ok(signIns.length <= Math.floor(window / IAM_REFUSAL_PAUSE_MS) + 1, `${signIns.length} sign-ins in ${window} ms`);
    assert.ok(signIns.length >= 2, 'it keeps asking (once a minute), to resume by itself');
    const calls = env.sim.stats().calls;
    assert.equal(calls.batchReset, 0, 'no batch-reset call without a token');
    assert.equal(calls.getTask, 0);
    assert.equal(env.sim.stats().resets.total, 0);
    for (const handle of handles) {
      const s = await status(handle.workflowId);
      assert.equal(s.state, 'blocked');
      assert.equal(s.pending, s.total, 'no phone counted, the canary included');
    }

    // The operator fixes the password and restarts the worker: the campaigns resume by themselves.
    await killHard(wrong);
    await iamWorker(PASSWORD);
    for (const [handle, ids] of [
      [handles[0]!, a],
      [handles[1]!, b],
    ] as const) {
      const result = await campaignResult(handle);
      assert.equal(result.state, 'completed', JSON.stringify(result));
      assert.equal(result.counts.succeeded, ids.length);
      everyPhoneResetOnce(await env.report(handle.workflowId), ids, env.sim);
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await handle.fetchHistory(), handle.workflowId);
    }
    assert.equal(env.sim.stats().resets.total, a.length + b.length);
    assert.deepEqual(
      env.sim.signIns().filter((s) => s.granted).length,
      1,
      'the fixed worker signed in once for both campaigns',
    );
  });

  it('two workers of different KooPhone accounts on one task queue, the right one killed: no call to the other account, no line with its answer, blocked naming both; completes once a right worker is back', async (t) => {
    for (const w of workers.splice(0)) await killHard(w);
    env.sim.reset();
    // The other account: another endpoint with the same phone ids (the same seed), which would
    // accept the campaign's calls and know nothing of its tasks.
    other = await startSimulator({ port: 0, instances: 20_000, jobDurationMs: '200..600' });
    const right = await worker({});
    // 240 calls at 20 a second, two lanes a term, a term every 2 s: many lanes to dispatch.
    const ids = env.ids(1200, 2000);
    const handle = await env.start(
      { rate: 20, concurrency: 8, batchSize: 5, canary: 0, termMs: 2000 },
      { kind: 'inline', ids },
    );
    const id = handle.workflowId;
    // Prepared on the right worker: the campaign's account is its endpoint.
    await waitFor(async () => (await handle.describe()).memo?.[PREPARED_ACCOUNT_MEMO] !== undefined, 60_000);
    assert.deepEqual((await handle.describe()).memo?.[PREPARED_ACCOUNT_MEMO], { id: env.sim.url });

    const wrong = await worker({ KOOPHONE_ENDPOINT: other.url });
    assert.match(
      wrong.output(),
      new RegExp(`campaign ${id} talks to the KooPhone account ${env.sim.url}, this worker to ${other.url}: it refuses`),
      'the other account\'s worker warns at start',
    );
    // Both serve the task queue for a while: lanes that reach the wrong one go to the right one.
    await waitFor(() => env.sim.stats().resets.total >= 300, 120_000, 100);
    const before = env.sim.stats().resets.total;
    assert.ok(before < ids.length, `killed mid-campaign (${before} of ${ids.length} reset)`);
    await killHard(right);

    // Blocked for good once the killed worker drops off the task queue's pollers (about a minute;
    // until then a probe may pass on its word: credentials.ts, probe).
    await blockedOn(handle, 'WRONG_ACCOUNT', 180_000);
    await new Promise((r) => setTimeout(r, 75_000));
    const seen = await blockedOn(handle, 'WRONG_ACCOUNT', 60_000);
    assert.equal(seen.blockingCause?.part, 'credentials');
    assert.equal(
      seen.blockingCause?.message,
      `credentials: this worker talks to the KooPhone account ${other.url}; campaign ${id} was prepared for ${env.sim.url}, and another account's answers must never reach its phones`,
    );
    assert.match(seen.blockingCause!.fix, /same KOOPHONE_ENDPOINT/);
    const text = await cli(['status', id]);
    assert.match(text.stdout, new RegExp(`BLOCKED\\s+credentials: this worker talks to the KooPhone account ${other.url}`));
    assert.equal(seen.failed + seen.rejected + seen.missingJob + seen.timedOut, 0, 'no phone marked');
    t.diagnostic(`blocked on the other account's worker with ${seen.succeeded} of ${ids.length} finished`);
    assert.ok(/another account's answers must never reach its phones/.test(wrong.output()), 'the wrong worker logs its refusals');
    assert.equal(wrong.exitCode, null, 'the wrong worker refuses cleanly and stays up');

    // The right account's worker is back: the campaign resumes by itself.
    const back = Date.now();
    await worker({});
    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed', JSON.stringify(result));
    t.diagnostic(`completed ${Math.round((Date.now() - back) / 1000)} s after a right worker was back, beside the wrong one`);
    // A call in flight when the worker was killed counts as a possible reset: ≥, not =.
    const lines = await env.report(id);
    assert.equal(lines.length, ids.length, 'one line per phone');
    assert.deepEqual(new Set(lines.map((l) => l.instance_id)), new Set(ids));
    for (const l of lines) {
      assert.equal(l.outcome, 'succeeded', JSON.stringify(l));
      const applied = env.sim.instance(l.instance_id)?.resets ?? 0;
      assert.ok(applied >= 1 && l.resets >= applied, `${l.instance_id}: line ${l.resets}, the simulator ${applied}`);
    }
    const otherCalls = other.stats().calls;
    t.diagnostic(`calls at the other account's simulator: ${JSON.stringify(otherCalls)}`);
    for (const [endpoint, n] of Object.entries(otherCalls)) assert.equal(n, 0, `${endpoint} calls at the other account`);
    assert.equal(other.stats().resets.total, 0);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await handle.fetchHistory(), id);
  });
});
