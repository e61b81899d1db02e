import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { pauseSignal, resumeSignal, statusQuery } from '../../src/workflows/definitions';
import { saveHistory } from '../helpers/histories';
import { campaignResult } from '../../src/temporal/campaign-result';

describe('reset campaign on the real dev server and the simulator', () => {
  const env = campaignEnv({ jobDurationMs: '200..600' });

  it('resets 1 050 ids in 11 batch-reset calls, one reset and one report line per instance', async () => {
    const ids = env.ids(1050);
    const path = env.writeIdsFile('fleet-1050.txt', ids.join('\n') + '\n');
    env.sim.reset();
    const { result, lines, handle } = await env.run(
      { concurrency: 4, rate: 20, canary: 1 },
      { kind: 'file', path, format: 'auto' },
    );
    assert.equal(result.state, 'completed');
    assert.equal(result.counts.succeeded, 1050);
    assert.equal(result.reportLines, 1050);
    assert.equal(lines.length, 1050);
    assert.deepEqual(
      countBy(lines, (l) => l.outcome),
      { succeeded: 1050 },
    );
    assert.equal(new Set(lines.map((l) => l.instance_id)).size, 1050);
    assert.ok(lines.every((l) => l.resets === 1 && l.job_id !== ''));
    const stats = env.sim.stats();
    assert.equal(stats.calls.batchReset, 11);
    assert.equal(stats.resets.total, 1050);
    assert.equal(stats.resets.max, 1);
    for (const id of [ids[0]!, ids[549]!, ids[1049]!]) assert.equal(env.sim.instance(id)?.resets, 1);
    await saveHistory(env.temporal.client, env.temporal.address, handle.workflowId, 'lane-campaign-1050');
  });

  it('drops duplicate ids and counts them as skipped', async () => {
    const ids = env.ids(30, 2000);
    const { result, lines } = await env.run(
      { rate: 20 },
      { kind: 'inline', ids: [...ids, ...ids.slice(0, 5)] },
    );
    assert.equal(result.state, 'completed');
    assert.equal(result.total, 35);
    assert.equal(result.counts.succeeded, 30);
    assert.equal(result.counts.skipped, 5);
    assert.equal(lines.length, 30);
  });

  it('bisects a batch refused for one frozen instance: the other 99 succeed, the frozen one is rejected', async () => {
    const ids = env.ids(100, 3000);
    // Frozen after the pre-flight listed the fleet (which would answer it without a call): the
    // campaign starts paused, the phone freezes once prepare is done, then it resumes.
    const handle = await env.start({ rate: 50 }, { kind: 'inline', ids });
    await handle.signal(pauseSignal);
    await waitFor(async () => (await handle.query(statusQuery)).total === 100);
    env.sim.setInstance(ids[37]!, { frozen: true });
    await handle.signal(resumeSignal);
    const result = await campaignResult(handle);
    const lines = await env.report(handle.workflowId);
    // Found by bisection: refused at 100, 50, 25, 13, 6, 3 and 1 phones, the halves beside them accepted.
    assert.ok(result.batchResetCalls >= 8, `batch-reset calls ${result.batchResetCalls}`);
    assert.equal(result.state, 'completed');
    assert.equal(result.counts.succeeded, 99);
    assert.equal(result.counts.rejected, 1);
    const frozen = lines.find((l) => l.instance_id === ids[37]);
    assert.equal(frozen?.outcome, 'rejected');
    assert.equal(frozen?.error_code, 'KOOPHONE.API.2004');
    assert.equal(frozen?.resets, 0);
    assert.equal(env.sim.instance(ids[37]!)?.resets, 0);
    assert.ok(
      lines
        .filter((l) => l.outcome === 'succeeded')
        .every((l) => env.sim.instance(l.instance_id)?.resets === 1),
    );
  });

  it('re-resets failed jobs up to --retry-failed times and reports the resets each instance received', async () => {
    env.sim.setFaults({ jobFailureRate: 1 });
    try {
      const ids = env.ids(10, 4000);
      const { result, lines } = await env.run(
        { rate: 50, retryFailed: 2, retryDelayMs: 500, maxErrors: '100%' },
        { kind: 'inline', ids },
      );
      assert.equal(result.state, 'completed');
      assert.equal(result.counts.failed, 10);
      assert.ok(lines.every((l) => l.outcome === 'failed' && l.resets === 3 && l.error_code !== ''));
      for (const id of ids) assert.equal(env.sim.instance(id)?.resets, 3);
    } finally {
      env.sim.setFaults({ jobFailureRate: 0 });
    }
  });

  it('aborts after the canary when the job-failure rate exceeds the budget, submitting nothing beyond it', async () => {
    env.sim.setFaults({ jobFailureRate: 0.6 });
    try {
      const before = env.sim.stats().calls.batchReset;
      const ids = env.ids(500, 5000);
      const { result, lines, handle } = await env.run(
        { rate: 50, canary: 1, maxErrors: '10%', retryFailed: 0 },
        { kind: 'inline', ids },
      );
      assert.equal(result.state, 'aborted');
      assert.match(result.reason ?? '', /canary failed/);
      assert.equal(env.sim.stats().calls.batchReset - before, 1, 'only the canary batch was submitted');
      assert.equal(result.counts.canceled, 400);
      assert.equal(lines.length, 500);
      for (const id of ids.slice(100)) assert.equal(env.sim.instance(id)?.resets, 0);
      await saveHistory(
        env.temporal.client,
        env.temporal.address,
        handle.workflowId,
        'lane-canary-aborted',
      );
    } finally {
      env.sim.setFaults({ jobFailureRate: 0 });
    }
  });

  it('marks ids without a cmd_job as missing_job and jobs past --job-timeout as timed_out', async () => {
    env.sim.setFaults({ stuckJobRate: 1 });
    try {
      const ids = env.ids(5, 6000);
      const { result, lines } = await env.run(
        { rate: 50, jobTimeoutMs: 3000, maxErrors: '100%' },
        { kind: 'inline', ids },
      );
      assert.equal(result.state, 'completed');
      assert.equal(result.counts.timed_out, 5);
      assert.ok(lines.every((l) => l.outcome === 'timed_out' && l.error_code === 'JOB_TIMEOUT'));
    } finally {
      env.sim.setFaults({ stuckJobRate: 0 });
    }
    env.sim.setFaults({ missingJobRate: 1 });
    try {
      const ids = env.ids(4, 6100);
      const { result, lines } = await env.run({ rate: 50, maxErrors: '100%' }, { kind: 'inline', ids });
      assert.equal(result.counts.missing_job, 4);
      // The accepted call may have reset them all the same: one possible reset each, said so.
      const counted = (l: (typeof lines)[number]) =>
        l.outcome === 'missing_job' && l.resets === 1 && l.job_id === '' && /1 possible reset counted/.test(l.error_msg);
      assert.ok(lines.every(counted), JSON.stringify(lines[0]));
      for (const id of ids) assert.equal(env.sim.instance(id)?.resets, 0);
    } finally {
      env.sim.setFaults({ missingJobRate: 0 });
    }
  });

  it('refuses to continue when the source file changes under a running campaign', async () => {
    const { appendFileSync } = await import('node:fs');
    const ids = env.ids(400, 7000);
    const path = env.writeIdsFile('changing.txt', ids.join('\n') + '\n');
    const handle = await env.start(
      { rate: 1, batchSize: 50, canary: 0, concurrency: 1 },
      { kind: 'file', path, format: 'text' },
    );
    await new Promise((r) => setTimeout(r, 2500));
    appendFileSync(path, 'zz999999\n');
    const result = await campaignResult(handle);
    assert.equal(result.state, 'aborted');
    assert.match(result.reason ?? '', /SOURCE_CHANGED: source file .* changed since the campaign started/);
    const lines = await env.report(handle.workflowId);
    assert.equal(lines.length, 400);
    assert.ok(result.counts.canceled > 0);
  });
});
