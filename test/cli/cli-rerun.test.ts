import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { CampaignStatus } from '../../src/campaign/status';
import { campaignEnv } from '../helpers/campaign-env';
import { CLI, cliEnv, hasStackTrace, runCli } from './run-cli';
import { standaloneDevServer } from './standalone-server';

const FLEET = 3000;
const FROZEN = 37;

async function postJson(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

async function resetsOf(simUrl: string, id: string): Promise<number> {
  const res = await fetch(`${simUrl}/__sim/instances/${id}`);
  return ((await res.json()) as { resets: number }).resets;
}

// rerun: a new campaign over exactly the phones of a finished one that did not succeed, through
// the same start path as `start`, with the old options unless overridden. Counted by the simulator.
describe('koophone-reset rerun', () => {
  const stopServer = standaloneDevServer();
  // Jobs fail (no retries) and get stuck (past a 3 s job timeout) at random; FROZEN instances are
  // frozen on purpose and come back rejected.
  const env = campaignEnv({
    instances: FLEET,
    regions: 3,
    jobDurationMs: '100..400',
    jobFailureRate: 0.012,
    stuckJobRate: 0.004,
  });
  stopServer();
  let vars: NodeJS.ProcessEnv;
  const cli = async (args: string[]) => {
    const run = await runCli(args, vars, undefined, 300_000);
    assert.ok(!hasStackTrace(run.stderr), `no stack trace expected:\n${run.stderr}`);
    return run;
  };

  before(() => {
    vars = cliEnv({
      TEMPORAL_ADDRESS: env.temporal.address,
      TEMPORAL_NAMESPACE: env.temporal.namespace,
      TEMPORAL_TASK_QUEUE: env.taskQueue,
      REPORT_DIR: env.reportDir,
    });
  });

  it(`resets exactly the failed, timed-out and rejected phones of ${FLEET}, once each`, async () => {
    const ids = env.ids(FLEET);
    const frozen = ids.filter((_, i) => i % 80 === 7).slice(0, FROZEN);
    assert.equal(frozen.length, FROZEN);
    for (const id of frozen) await postJson(`${env.sim.url}/__sim/instances/${id}`, { frozen: true });
    const file = env.writeIdsFile('rerun-fleet.txt', ids.join('\n') + '\n');
    const firstId = `first-${randomUUID().slice(0, 8)}`;
    const first = await cli([
      'start',
      '--ids-file',
      file,
      '--campaign-id',
      firstId,
      '--rate',
      '20',
      '--concurrency',
      '10',
      '--canary',
      '0',
      '--retry-failed',
      '0',
      '--job-timeout',
      '3s',
      '--max-errors',
      '100%',
      '--json',
    ]);
    assert.equal(first.code, 0, first.stderr);

    // While it runs: `watch --json | head -1` prints one object and ends quietly with exit 0.
    // (spawn, not spawnSync: the worker runs in this process and must keep answering.)
    const piped = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(
        'bash',
        [
          '-c',
          `"${process.execPath}" "${CLI}" watch ${firstId} --json | head -1; echo "exit=\${PIPESTATUS[0]}" >&2`,
        ],
        { env: vars },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('close', () => resolve({ stdout, stderr }));
    });
    assert.ok(piped.stdout.trim() !== '', `watch printed nothing:\n${piped.stderr}`);
    assert.equal((JSON.parse(piped.stdout) as CampaignStatus).campaignId, firstId);
    assert.match(piped.stderr, /exit=0\s*$/);
    assert.ok(!hasStackTrace(piped.stderr) && !/EPIPE/.test(piped.stderr), piped.stderr);

    const waited = await cli(['watch', firstId, '--json']);
    const final = JSON.parse(waited.stdout.trim().split('\n').pop()!) as CampaignStatus;
    assert.equal(final.state, 'completed');
    const report = await env.report(firstId);
    assert.equal(report.length, FLEET);
    const again = report
      .filter((l) => ['failed', 'timed_out', 'rejected'].includes(l.outcome))
      .map((l) => l.instance_id);
    const byOutcome = (o: string) => report.filter((l) => l.outcome === o).length;
    console.log(
      `first campaign: ${byOutcome('failed')} failed, ${byOutcome('timed_out')} timed out, ${byOutcome('rejected')} rejected`,
    );
    assert.equal(byOutcome('rejected'), FROZEN);
    assert.ok(
      byOutcome('failed') > 0 && byOutcome('timed_out') > 0,
      'the fault rates produced failures and timeouts',
    );
    assert.deepEqual(
      new Set(report.filter((l) => l.outcome === 'rejected').map((l) => l.instance_id)),
      new Set(frozen),
    );

    // The fleet heals; the rerun must touch only the phones that did not succeed.
    for (const id of frozen) await postJson(`${env.sim.url}/__sim/instances/${id}`, { frozen: false });
    await postJson(`${env.sim.url}/__sim/faults`, { jobFailureRate: 0, stuckJobRate: 0 });
    const before = new Map<string, number>();
    for (const id of again) before.set(id, await resetsOf(env.sim.url, id));
    const totalBefore = env.sim.stats().resets.total;

    const rerunId = `rerun-${randomUUID().slice(0, 8)}`;
    const rerun = await cli([
      'rerun',
      firstId,
      '--outcome',
      'failed,timed_out,rejected',
      '--campaign-id',
      rerunId,
      '--rate',
      '10',
      '--wait',
      '--json',
    ]);
    assert.equal(rerun.code, 0, rerun.stderr);
    const result = JSON.parse(rerun.stdout) as {
      campaignId: string;
      status: CampaignStatus;
      plan: { instances: number };
    };
    assert.equal(result.campaignId, rerunId);
    assert.equal(result.plan.instances, again.length);
    assert.equal(result.status.succeeded, again.length);

    // Simulator counts: each of those phones reset exactly once more, and nothing else was reset.
    for (const id of again) assert.equal(await resetsOf(env.sim.url, id), before.get(id)! + 1, id);
    assert.equal(env.sim.stats().resets.total - totalBefore, again.length);
    const rerunReport = await env.report(rerunId);
    assert.deepEqual(new Set(rerunReport.map((l) => l.instance_id)), new Set(again));

    // The old options (job timeout 3 s, no retries) carried over; --rate was overridden.
    const history = await env.temporal.client.workflow.getHandle(rerunId).fetchHistory();
    const payload = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    const input = env.temporal.client.options.loadedDataConverter.payloadConverter.fromPayload(payload) as {
      options: { rate: number; jobTimeoutMs: number; retryFailed: number; maxErrors: unknown };
      source: { kind: string; path: string };
    };
    assert.deepEqual(
      [input.options.rate, input.options.jobTimeoutMs, input.options.retryFailed, input.options.maxErrors],
      [10, 3000, 0, { kind: 'percent', value: 100 }],
    );
    assert.equal(input.source.kind, 'file');
    assert.equal(input.source.path, join(env.reportDir, 'inputs', `${rerunId}.ids`));
    assert.ok(existsSync(input.source.path));
  });

  it('by default reruns missing_job phones; 17 frozen + 6 missing_job: resets the 6, completes, names the 17', async () => {
    await postJson(`${env.sim.url}/__sim/faults`, { jobFailureRate: 0, stuckJobRate: 0, missingJobRate: 1 });
    const ids = env.ids(23, 2000);
    const frozen = ids.slice(0, 17);
    const missing = ids.slice(17);
    for (const id of frozen) await postJson(`${env.sim.url}/__sim/instances/${id}`, { frozen: true });
    const resetsBefore = new Map<string, number>();
    for (const id of ids) resetsBefore.set(id, await resetsOf(env.sim.url, id));
    const frozenRefusals = () => env.sim.stats().errorCodes['KOOPHONE.API.2004'] ?? 0;
    const refusedBefore = frozenRefusals();
    const firstId = `typical-${randomUUID().slice(0, 8)}`;
    const first = await cli(['start', ...ids, '--campaign-id', firstId, '--rate', '10', '--wait', '--json']);
    const firstStatus = (JSON.parse(first.stdout) as { status: CampaignStatus }).status;
    assert.deepEqual([firstStatus.state, firstStatus.rejected, firstStatus.missingJob], ['completed', 17, 6]);
    await postJson(`${env.sim.url}/__sim/faults`, { missingJobRate: 0 });

    // The default: the 6 phones accepted but never reset; the 17 frozen ones are named, left out.
    const rerunId = `rerun-${randomUUID().slice(0, 8)}`;
    const rerun = await cli(['rerun', firstId, '--campaign-id', rerunId, '--wait']);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stderr, /left out: 17 refused for good \(KOOPHONE\.API\.2004\), e\.g\. /);
    assert.match(rerun.stderr, /rerun of typical-\w+: 6 instances \(missing_job 6\)/);
    assert.match(rerun.stdout, new RegExp(`Campaign ${rerunId} completed`));
    // Counted at the simulator: each of the 6 reset once (the first campaign's call left them
    // without a job and reset nothing), the frozen ones never.
    for (const id of missing) assert.equal(await resetsOf(env.sim.url, id), resetsBefore.get(id)! + 1, id);
    for (const id of frozen) assert.equal(await resetsOf(env.sim.url, id), resetsBefore.get(id)!, id);

    // Named with --outcome, the 17 frozen phones are in the rerun: refused before any call
    // (2004, as the listing says), spending no error budget, so the canary does not abort it.
    const namedId = `named-${randomUUID().slice(0, 8)}`;
    const named = await cli(['rerun', firstId, '--outcome', 'rejected,missing_job', '--campaign-id', namedId, '--wait', '--json']);
    const status = (JSON.parse(named.stdout) as { status: CampaignStatus }).status;
    assert.deepEqual([status.state, status.succeeded, status.rejected], ['completed', 6, 17]);
    assert.equal(named.code, 1, 'completed with phones not reset: exit 1');
    const report = await env.report(namedId);
    assert.deepEqual(
      new Set(report.filter((l) => l.error_code === 'KOOPHONE.API.2004').map((l) => l.instance_id)),
      new Set(frozen),
    );
    // No call of the three campaigns carried a frozen phone: KooPhone never had to refuse one.
    assert.equal(frozenRefusals(), refusedBefore);
    for (const id of frozen) await postJson(`${env.sim.url}/__sim/instances/${id}`, { frozen: false });
  });

  it('phones in use are skipped, then rerun by default once they are free; an aborted campaign prints its next step', async () => {
    await postJson(`${env.sim.url}/__sim/faults`, { jobFailureRate: 0, stuckJobRate: 0, missingJobRate: 0 });
    const ids = env.ids(200, 2100);
    const busy = ids.filter((_, i) => i % 20 === 3);
    for (const id of busy) await postJson(`${env.sim.url}/__sim/instances/${id}`, { loggedIn: true, assignUser: 'dave' });
    const resetsBefore = new Map<string, number>();
    for (const id of busy) resetsBefore.set(id, await resetsOf(env.sim.url, id));
    const firstId = `busy-${randomUUID().slice(0, 8)}`;
    const first = await cli(['start', ...ids, '--campaign-id', firstId, '--rate', '10', '--wait']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /skipped 10/);
    for (const id of busy) assert.equal(await resetsOf(env.sim.url, id), resetsBefore.get(id)!, id);
    for (const id of busy) await postJson(`${env.sim.url}/__sim/instances/${id}`, { loggedIn: false, assignUser: null });
    const rerunId = `free-${randomUUID().slice(0, 8)}`;
    const rerun = await cli(['rerun', firstId, '--campaign-id', rerunId, '--wait']);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stderr, /10 instances \(skipped 10\)/);
    for (const id of busy) assert.equal(await resetsOf(env.sim.url, id), resetsBefore.get(id)! + 1, id);

    // Every job fails: the canary aborts, and the summary names the next step.
    await postJson(`${env.sim.url}/__sim/faults`, { jobFailureRate: 1 });
    const abortedId = `aborted-${randomUUID().slice(0, 8)}`;
    const aborted = await cli(['start', ...env.ids(20, 2400), '--campaign-id', abortedId, '--retry-failed', '0', '--wait']);
    await postJson(`${env.sim.url}/__sim/faults`, { jobFailureRate: 0 });
    assert.equal(aborted.code, 1);
    assert.match(aborted.stdout, new RegExp(`Campaign ${abortedId} aborted`));
    assert.match(aborted.stdout, new RegExp(`next +see why: koophone-reset report ${abortedId} --format html`));
    assert.match(aborted.stdout, new RegExp(`then reset what was not: koophone-reset rerun ${abortedId}\\n`));
    assert.match(aborted.stdout, new RegExp(`if these failures are expected: koophone-reset rerun ${abortedId} --max-errors 100%`));
  });

  it('start --dry-run with KooPhone credentials shows the pre-flight: per region, in use, frozen, not in the fleet', async () => {
    const ids = env.ids(300, 2600);
    await postJson(`${env.sim.url}/__sim/instances/${ids[5]}`, { loggedIn: true });
    await postJson(`${env.sim.url}/__sim/instances/${ids[6]}`, { frozen: true });
    const file = env.writeIdsFile('dry-run.txt', [...ids, 'nothere1', 'nothere2'].join('\n') + '\n');
    const withKoophone = { ...vars, KOOPHONE_ENDPOINT: env.sim.url, KOOPHONE_TOKEN: 'sim-token' };
    const text = await runCli(['start', '--ids-file', file, '--dry-run', '--max-per-pool', '10%'], withKoophone);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /to reset +298: cn-east-3 \d+, cn-north-4 \d+, cn-south-1 \d+ \(one region per batch\)/);
    assert.match(text.stdout, /skipped +1 in use \(--include-in-use resets them\)/);
    assert.match(text.stdout, /rejected +1 frozen, 2 not in the tenant's fleet \(no call is sent for them\)/);
    assert.match(text.stdout, /pools +at most 10% of any pool reset at once \(app-pool-1 100 of 1,000/);
    const json = await runCli(['start', '--ids-file', file, '--dry-run', '--json'], withKoophone);
    const plan = (JSON.parse(json.stdout) as { plan: { toReset: number; preflight: { inUse: number; notInFleet: number; frozen: number } } }).plan;
    assert.deepEqual([plan.toReset, plan.preflight.inUse, plan.preflight.frozen, plan.preflight.notInFleet], [298, 1, 1, 2]);
    // Without credentials the plan says the worker lists the fleet.
    const bare = await runCli(['start', '--ids-file', file, '--dry-run'], vars);
    assert.match(bare.stdout, /listing +the worker lists the fleet before the first call/);
    await postJson(`${env.sim.url}/__sim/instances/${ids[5]}`, { loggedIn: false });
    await postJson(`${env.sim.url}/__sim/instances/${ids[6]}`, { frozen: false });
  });

  it('refuses unknown outcomes and an unknown campaign, starting nothing', async () => {
    const bad = await cli(['rerun', 'x', '--outcome', 'failed,exploded']);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /--outcome: unknown outcome "exploded"; use a comma-separated list of succeeded, failed/,
    );
    const unknown = await cli(['rerun', 'no-such-campaign']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no campaign no-such-campaign/);
  });
});
