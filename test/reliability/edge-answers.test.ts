import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReportLine } from '../../src/campaign/outcome';
import type { CampaignStatus } from '../../src/campaign/status';
import type { FaultKind, SimulatorFaultsInput } from '../../src/simulator';
import { campaignEnv, countBy, waitFor, type CampaignEnv } from '../helpers/campaign-env';
import { cliEnv, runCli } from '../cli/run-cli';

// Answers at the edges of the API, with the call really applied at the simulator: whatever the
// answer, one line per phone, and no line counting fewer resets than the simulator applied — a
// line counting more says why. A proven refusal counts nothing.

const N = 20;
const campaign = {
  batchSize: 5,
  concurrency: 4,
  rate: 5,
  canary: 0,
  maxErrors: '100%',
  retryDelayMs: 300,
  submitBackoffMaxMs: 2000,
  jobTimeoutMs: 30_000,
} as const;

/** What each phone's line says beside what the simulator applied to it. */
function check(env: CampaignEnv, ids: string[], lines: ReportLine[]) {
  assert.equal(lines.length, ids.length, 'one line per phone');
  assert.deepEqual(new Set(lines.map((l) => l.instance_id)), new Set(ids));
  return lines.map((l) => ({ line: l, applied: env.sim.instance(l.instance_id)?.resets ?? -1 }));
}

/**
 * Runs a campaign with `faults` on until the simulator has answered `kind` at least `times`
 * times, then off: every batch meets it at first, and the campaign can end.
 */
async function runWithFault(
  env: CampaignEnv,
  offset: number,
  faults: SimulatorFaultsInput,
  kind: FaultKind,
  times: number,
) {
  env.sim.reset();
  const off = Object.fromEntries(Object.keys(faults).map((k) => [k, 0]));
  env.sim.setFaults(faults);
  const ids = env.ids(N, offset);
  const handle = await env.start(campaign, { kind: 'inline', ids });
  await waitFor(() => env.sim.stats().faults[kind] >= times, 60_000, 20);
  env.sim.setFaults(off);
  const result = await handle.result();
  const lines = await env.report(handle.workflowId);
  return { ids, result, lines, stats: env.sim.stats() };
}

describe('answers that do not prove "not applied" count a possible reset, and say why', () => {
  const env = campaignEnv({ instances: 5000, jobDurationMs: '200..500' });
  let offset = 0;
  const next = () => (offset += N);

  const AMBIGUOUS: { name: string; faults: SimulatorFaultsInput; kind: FaultKind; why: RegExp }[] = [
    {
      name: 'a gateway 502 page',
      faults: { appliedBadGatewayRate: 1 },
      kind: 'appliedBadGateway',
      why: /HTTP 502 after the call was sent/,
    },
    {
      name: 'HTTP 200 with KOOPHONE.API.9999',
      faults: { applied9999Http200Rate: 1 },
      kind: 'applied9999Http200',
      why: /KOOPHONE\.API\.9999 \(HTTP 200\) after the call was sent/,
    },
    {
      name: 'HTTP 500 with KOOPHONE.API.9999',
      faults: { applied9999Rate: 1 },
      kind: 'applied9999',
      why: /KOOPHONE\.API\.9999 \(HTTP 500\) after the call was sent/,
    },
    {
      name: 'an HTTP 200 whose JSON is cut off',
      faults: { appliedTruncatedRate: 1 },
      kind: 'appliedTruncated',
      why: /an unreadable answer \(HTTP 200\) after the call was sent/,
    },
  ];

  for (const c of AMBIGUOUS) {
    it(`${c.name} after the reset was applied`, async () => {
      const { ids, result, lines, stats } = await runWithFault(env, next(), c.faults, c.kind, 4);
      assert.equal(result.state, 'completed');
      assert.ok(stats.faults[c.kind] >= 4, `${c.kind}: ${stats.faults[c.kind]}`);
      const seen = check(env, ids, lines);
      let twice = 0;
      for (const { line, applied } of seen) {
        assert.ok(line.resets >= applied, `${line.instance_id}: report ${line.resets} < applied ${applied}`);
        assert.equal(line.outcome, 'succeeded', JSON.stringify(line));
        // Reset by the faulted call and by the one that went through: the line names the first.
        if (applied >= 2) {
          twice += 1;
          assert.match(line.error_msg, /possible resets? counted/);
          assert.match(line.error_msg, c.why);
        }
      }
      assert.ok(twice >= 4, `phones reset twice at the simulator: ${twice}`);
      assert.equal(
        result.resetsSent,
        lines.reduce((n, l) => n + l.resets, 0),
      );
    });
  }

  it('an accepted call that leaves ids without a cmd_job but resets them', async () => {
    env.sim.reset();
    env.sim.setFaults({ appliedMissingJobRate: 0.3 });
    const ids = env.ids(N, next());
    const { result, lines } = await env.run(campaign, { kind: 'inline', ids });
    env.sim.setFaults({ appliedMissingJobRate: 0 });
    assert.equal(result.state, 'completed');
    assert.ok(env.sim.stats().faults.appliedMissingJob > 0, 'some ids were left out');
    for (const { line, applied } of check(env, ids, lines)) {
      assert.ok(line.resets >= applied, `${line.instance_id}: report ${line.resets} < applied ${applied}`);
      if (line.outcome === 'missing_job') {
        assert.deepEqual([line.resets, applied], [1, 1]);
        assert.match(line.error_msg, /no cmd_job for this instance in task .*1 possible reset counted/);
      } else assert.deepEqual([line.outcome, line.resets, line.error_msg], ['succeeded', 1, '']);
    }
    assert.ok(result.counts.missing_job > 0);
  });

  it('a proven refusal (2006, 429) counts no reset', async () => {
    // Every call is refused as busy until the simulator said so 4 times, and the gateway throttles.
    const { ids, result, lines, stats } = await runWithFault(
      env,
      next(),
      { http200ErrorRate: 1, rateLimit: 2 },
      'http200Error',
      4,
    );
    assert.equal(result.state, 'completed');
    assert.ok(stats.faults.throttled > 0 && stats.faults.http200Error >= 4, JSON.stringify(stats.faults));
    for (const { line, applied } of check(env, ids, lines)) {
      assert.deepEqual([line.outcome, line.resets, applied, line.error_msg], ['succeeded', 1, 1, '']);
    }
  });
});

describe('odd cmd_jobs are data: foreign ids dropped, duplicates collapsed, the campaign completes', () => {
  const env = campaignEnv({ instances: 5000, jobDurationMs: '200..500' });

  it('foreign and duplicate cmd_jobs in every answer', async () => {
    env.sim.reset();
    env.sim.setFaults({ foreignJobRate: 1, duplicateJobRate: 1 });
    const ids = env.ids(N, 1000);
    const { result, lines, handle } = await env.run(campaign, { kind: 'inline', ids });
    const stats = env.sim.stats();
    assert.equal(result.state, 'completed', result.reason);
    assert.ok(stats.faults.foreignJob >= 4 && stats.faults.duplicateJob >= 4, JSON.stringify(stats.faults));
    // One line per asked phone, none for the foreign ids; nobody reset a phone outside the campaign.
    const seen = check(env, ids, lines);
    assert.equal(
      stats.resets.total,
      seen.reduce((n, s) => n + s.applied, 0),
      'only asked phones were reset',
    );
    assert.deepEqual(
      countBy(lines, (l) => l.outcome),
      { succeeded: N },
    );
    for (const { line, applied } of seen) {
      assert.ok(line.resets >= applied, `${line.instance_id}: report ${line.resets} < applied ${applied}`);
      // A second job on one phone (odd task numbers) is followed and counted, and said.
      if (applied === 2) assert.match(line.error_msg, /KooPhone answered 2 cmd_jobs for this phone/);
    }
    assert.ok(
      seen.some((s) => s.applied === 2),
      'some phone got a second job',
    );
    // Tracking ended with the asked jobs: no task was asked about again once all its jobs had ended
    // (a dropped foreign job was never waited for).
    const endedQueries = countBy(
      env.sim.calls().filter((c) => c.endpoint === 'getTask' && c.ended),
      (c) => c.taskId ?? '',
    );
    for (const [task, n] of Object.entries(endedQueries))
      assert.ok(n <= 1, `${task} queried ${n} times after its jobs ended`);

    // status --json and the text status and the HTML report say what was dropped and collapsed.
    const cli = cliEnv(env.workerProcessEnv());
    const status = JSON.parse(
      (await runCli(['status', handle.workflowId, '--json'], cli)).stdout,
    ) as CampaignStatus;
    const anomalies = Object.fromEntries((status.anomalies ?? []).map((a) => [a.kind, a]));
    assert.equal(anomalies.foreign_job?.count, 2 * stats.faults.foreignJob, JSON.stringify(status.anomalies));
    assert.equal(anomalies.duplicate_job?.count, stats.faults.duplicateJob);
    assert.match(anomalies.foreign_job!.text, /cmd_jobs for ids not asked \(e\.g\. .+\) dropped/);
    const text = (await runCli(['status', handle.workflowId], cli)).stdout;
    assert.match(text, /odd answer +\d+ duplicate cmd_jobs for an asked id/);
    const html = (await runCli(['report', handle.workflowId, '--format', 'html'], cli)).stdout;
    assert.match(html, /data-anomaly="foreign_job" data-count="\d+">\d+ cmd_jobs for ids not asked/);
    assert.match(html, /data-anomaly="duplicate_job"/);
  });
});
