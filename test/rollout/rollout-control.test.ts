import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { temporal } from '@temporalio/proto';
import { statusQuery } from '../../src/workflows';
import { campaignEnv } from '../helpers/campaign-env';
import { campaignResult } from '../../src/temporal/campaign-result';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rollout control: ramp, adaptive rate, abort and retry rules, windows, cost', () => {
  const env = campaignEnv({ jobDurationMs: '300..700' });

  it('ramps the batches in flight exponentially up to --concurrency', async () => {
    const ids = env.ids(600, 100);
    const handle = await env.start(
      { batchSize: 10, concurrency: 8, rampStart: 1, rampFactor: 2, rampAfter: 1, rate: 50, canary: 0 },
      { kind: 'inline', ids },
    );
    const samples: { limit: number; items: number }[] = [];
    for (;;) {
      const s = await handle.query(statusQuery);
      samples.push({ limit: s.currentConcurrency, items: s.batchesInFlight });
      if (s.state !== 'running') break;
      await sleep(100);
    }
    const result = await campaignResult(handle);
    assert.equal(result.counts.succeeded, 600);
    const limits = samples.map((x) => x.limit);
    assert.equal(limits[0], 1);
    assert.ok(
      limits.every((l, i) => i === 0 || l >= limits[i - 1]!),
      `never shrinks: ${limits.join(',')}`,
    );
    // Levels move by ×2 per successful batch; a sample every 100 ms may miss a short-lived one.
    const levels = [...new Set(limits)];
    assert.ok(
      levels.every((l) => [1, 2, 4, 8].includes(l)),
      `levels are 1×2^k: ${levels.join(',')}`,
    );
    assert.ok(
      levels.length >= 3 && levels.at(-1) === 8,
      `ramps up to 8 through at least 3 levels: ${levels.join(',')}`,
    );
    assert.ok(
      samples.every((x) => x.items <= x.limit),
      'in flight never above the ramp',
    );
    assert.ok(Math.max(...samples.map((x) => x.items)) > 4, 'reaches the full window');
  });

  it('with --rate auto, finds a rate limit it was not told and holds it with few 429s', async () => {
    env.sim.setFaults({ rateLimit: 6 });
    try {
      const ids = env.ids(1600, 1000);
      const before = env.sim.stats();
      const handle = await env.start(
        { batchSize: 10, concurrency: 20, rate: 'auto', rateMax: 40, canary: 0, maxErrors: '100%' },
        { kind: 'inline', ids },
      );
      // Converged once it has met the limit (a 429) and the rate then stopped moving for 4 s;
      // measure 429s from there on. Lanes report their rate every 2 s, so the 4 s after the first
      // 429 show its cut. Not before it: the climb holds still for 4 s at times too (clean answers
      // come in clusters, with the polls), which once passed for convergence at 4.32/s.
      let converged: { throttled: number; calls: number } | undefined;
      let rates: number[] = [];
      while ((await handle.query(statusQuery)).state === 'running') {
        const s = await handle.query(statusQuery);
        const st = env.sim.stats();
        // Rates seen before the first 429 never count.
        rates = st.faults.throttled > before.faults.throttled ? [...rates.slice(-19), s.currentRate] : [];
        if (
          !converged &&
          rates.length === 20 &&
          Math.max(...rates) - Math.min(...rates) < 0.01 &&
          s.batchResetCalls > 20
        ) {
          converged = { throttled: st.faults.throttled, calls: st.calls.batchReset };
          assert.ok(Math.abs(s.currentRate - 6) / 6 <= 0.2, `converged to ${s.currentRate}/s, limit 6/s`);
        }
        await sleep(200);
      }
      const result = await campaignResult(handle);
      assert.equal(result.counts.succeeded, 1600);
      assert.ok(converged, 'the rate converged');
      const after = env.sim.stats();
      const calls = after.calls.batchReset - converged.calls;
      const throttled = after.faults.throttled - converged.throttled;
      assert.ok(calls > 50, `enough calls after convergence (${calls})`);
      assert.ok(throttled / calls < 0.05, `429 share after convergence ${throttled}/${calls}`);
      assert.ok(after.faults.throttled - before.faults.throttled > 0, 'it did meet the limit');
    } finally {
      env.sim.setFaults({ rateLimit: 0 });
    }
  });

  it('fires an abort rule per failure kind only once its minimum of finished instances is reached', async () => {
    env.sim.setFaults({ jobFailureRate: 0.5 });
    try {
      const ids = env.ids(1000, 3000);
      const { result } = await env.run(
        {
          batchSize: 20,
          concurrency: 2,
          rate: 50,
          canary: 0,
          retryFailed: 0,
          maxErrors: '100%',
          abortOn: { failed: '20%' },
          abortMinFinished: 200,
        },
        { kind: 'inline', ids },
      );
      assert.equal(result.state, 'aborted');
      assert.match(result.reason ?? '', /abort rule failed > 20% fired: \d+ of (\d+) finished/);
      const finished = Number(/of (\d+) finished/.exec(result.reason ?? '')![1]);
      assert.ok(finished >= 200 && finished <= 240, `fired at the first verdict past 200 (at ${finished})`);
    } finally {
      env.sim.setFaults({ jobFailureRate: 0 });
    }
    env.sim.setFaults({ stuckJobRate: 1 });
    try {
      const { result } = await env.run(
        {
          batchSize: 5,
          concurrency: 1,
          rate: 50,
          canary: 0,
          jobTimeoutMs: 1000,
          maxErrors: '100%',
          abortOn: { timed_out: '7' },
          abortMinFinished: 0,
        },
        { kind: 'inline', ids: env.ids(40, 4000) },
      );
      assert.equal(result.state, 'aborted');
      assert.equal(result.counts.timed_out, 10, 'fires on the batch that takes timed_out past 7');
      assert.match(result.reason ?? '', /abort rule timed_out > 7 fired/);
    } finally {
      env.sim.setFaults({ stuckJobRate: 0 });
    }
  });

  it('applies retry rules: never-retried job codes, and re-resets of timed-out jobs', async () => {
    env.sim.setFaults({ jobFailureRate: 1 });
    try {
      const ids = env.ids(10, 4100);
      const { result, lines } = await env.run(
        { rate: 50, retryFailed: 3, retryDelayMs: 200, noRetryCodes: ['CPS0005'], maxErrors: '100%' },
        { kind: 'inline', ids },
      );
      assert.equal(result.counts.failed, 10);
      assert.ok(lines.every((l) => l.resets === 1 && l.error_code === 'CPS0005'));
      for (const id of ids) assert.equal(env.sim.instance(id)?.resets, 1);
    } finally {
      env.sim.setFaults({ jobFailureRate: 0 });
    }
    env.sim.setFaults({ stuckJobRate: 1 });
    try {
      const ids = env.ids(5, 4200);
      const { result, lines } = await env.run(
        { rate: 50, retryTimedOut: 1, retryDelayMs: 200, jobTimeoutMs: 1000, maxErrors: '100%' },
        { kind: 'inline', ids },
      );
      assert.equal(result.counts.timed_out, 5);
      assert.ok(lines.every((l) => l.resets === 2));
      for (const id of ids) assert.equal(env.sim.instance(id)?.resets, 2);
    } finally {
      env.sim.setFaults({ stuckJobRate: 0 });
    }
  });

  it('submits nothing outside its maintenance window and starts when the window opens', async () => {
    // A window that opens ~8 s from now, every minute, for 30 s (cron with seconds).
    const opensAt = new Date(Date.now() + 8000);
    const cron = `${opensAt.getUTCSeconds()} * * * * *`;
    const before = env.sim.stats().calls.batchReset;
    const handle = await env.start(
      { rate: 50, canary: 0, windows: [{ cron, durationMs: 30_000, timezone: 'UTC' }] },
      { kind: 'inline', ids: env.ids(50, 4300) },
    );
    await sleep(3000);
    const waiting = await handle.query(statusQuery);
    assert.equal(waiting.windowOpen, false);
    assert.ok(waiting.nextWindow, 'status shows the next window');
    assert.ok(
      Math.abs(Date.parse(waiting.nextWindow!) - opensAt.getTime()) < 1500,
      `next window ${waiting.nextWindow}`,
    );
    assert.equal(env.sim.stats().calls.batchReset, before, 'nothing submitted before the window');
    const result = await campaignResult(handle);
    assert.equal(result.counts.succeeded, 50);
    const firstCallAt = Date.parse(result.finishedAt);
    assert.ok(firstCallAt >= opensAt.getTime() - 1000, 'finished after the window opened');
  });

  it('counts its Temporal actions exactly as the histories show them', async () => {
    const { result, handle } = await env.run(
      // One-second terms: enough of them for the runs to continue as new.
      { batchSize: 20, rate: 50, concurrency: 2, canary: 0, maxHistoryEvents: 100, termMs: 1000 },
      { kind: 'inline', ids: env.ids(400, 5000) },
    );
    let fromHistory = 0;
    const kinds: Record<string, number> = {};
    const bump = (k: string) => {
      kinds[k] = (kinds[k] ?? 0) + 1;
      fromHistory += 1;
    };
    for await (const wf of env.temporal.client.workflow.list({
      query: `WorkflowId = '${handle.workflowId}'`,
    })) {
      const history = await env.temporal.client.workflow
        .getHandle(handle.workflowId, wf.runId)
        .fetchHistory();
      for (const e of (history.events ?? []) as temporal.api.history.v1.IHistoryEvent[]) {
        if (e.workflowExecutionStartedEventAttributes) bump('workflowExecutionStarted');
        if (e.activityTaskScheduledEventAttributes) bump('activityTaskScheduled');
        if (e.activityTaskStartedEventAttributes && (e.activityTaskStartedEventAttributes.attempt ?? 1) > 1)
          fromHistory += 1;
        if (e.timerStartedEventAttributes) bump('timerStarted');
        if (e.workflowExecutionSignaledEventAttributes) bump('workflowExecutionSignaled');
        if (e.workflowExecutionUpdateAcceptedEventAttributes) bump('workflowExecutionUpdateAccepted');
        if (e.upsertWorkflowSearchAttributesEventAttributes) bump('upsertWorkflowSearchAttributes');
      }
    }
    assert.ok(result.cost.workflowRuns >= 2, 'the campaign continued as new');
    assert.equal(
      result.cost.temporalActions - result.cost.heartbeats,
      fromHistory,
      JSON.stringify({ kinds, cost: result.cost }),
    );
    // KooPhone calls: batch-reset calls, task queries and the pre-flight's fleet listing.
    const status = await handle.query(statusQuery);
    assert.ok((status.listingCalls ?? 0) > 0, 'the fleet was listed');
    assert.equal(result.cost.apiCalls, result.batchResetCalls + status.taskPolls + (status.listingCalls ?? 0));
  });
});
