import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  statusQuery,
  pauseUpdate,
  resumeUpdate,
  cancelUpdate,
  pauseSignal,
  resumeSignal,
} from '../../src/workflows';
import { campaignEnv, waitFor } from '../helpers/campaign-env';
import { saveHistory } from '../helpers/histories';
import { campaignResult } from '../../src/temporal/campaign-result';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An update refused by its validator: the reason is the failure's cause. */
async function refused(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    const cause = (err as { cause?: Error }).cause;
    assert.match(cause?.message ?? String(err), pattern);
    return true;
  });
}

describe('campaign control: pause, resume, cancel, continue-as-new', () => {
  const env = campaignEnv({ jobDurationMs: '300..900' });

  it('pause holds submissions while tracking finishes; resume continues; cancel marks the rest canceled', async () => {
    const ids = env.ids(3000, 0);
    const handle = await env.start(
      { concurrency: 2, rate: 4, batchSize: 50, canary: 0 },
      { kind: 'inline', ids: ids.slice(0, 2000) },
    );
    await waitFor(async () => (await handle.query(statusQuery)).batchResetCalls >= 3);
    const paused = await handle.executeUpdate(pauseUpdate);
    assert.equal(paused.state, 'paused');
    await refused(handle.executeUpdate(pauseUpdate), /already paused/);
    // In-flight batches finish tracking, then nothing more is submitted.
    await waitFor(async () => (await handle.query(statusQuery)).inFlight === 0, 30_000);
    const callsAtPause = env.sim.stats().calls.batchReset;
    const finishedAtPause = (await handle.query(statusQuery)).succeeded;
    await sleep(3000);
    assert.equal(env.sim.stats().calls.batchReset, callsAtPause, 'no batch-reset call while paused');
    assert.ok(finishedAtPause > 0);

    const resumed = await handle.executeUpdate(resumeUpdate);
    assert.equal(resumed.state, 'running');
    await waitFor(() => env.sim.stats().calls.batchReset >= callsAtPause + 2);

    const canceling = await handle.executeUpdate(cancelUpdate, { args: ['operator test'] });
    assert.ok(['canceling', 'canceled'].includes(canceling.state));
    const result = await campaignResult(handle);
    assert.equal(result.state, 'canceled');
    assert.ok(result.counts.canceled > 0);
    assert.equal(result.counts.succeeded + result.counts.canceled, 2000);
    const lines = await env.report(handle.workflowId);
    assert.equal(lines.length, 2000);
    for (const l of lines.filter((x) => x.outcome === 'canceled')) {
      assert.equal(env.sim.instance(l.instance_id)?.resets, 0);
    }
    const status = await handle.query(statusQuery);
    assert.equal(status.state, 'canceled');
    await refused(handle.executeUpdate(resumeUpdate), /already ended|completed|closed/i);
  });

  it('continues as new at least twice with correct counts, and a signal sent during the hand-over is not lost', async () => {
    const ids = env.ids(1500, 5000);
    const handle = await env.start(
      // One-second terms: every term adds its lanes' events, so the runs hand over often.
      { concurrency: 8, rate: 20, batchSize: 5, canary: 0, maxHistoryEvents: 100, termMs: 1000 },
      { kind: 'inline', ids },
    );
    const firstRun = (await handle.describe()).runId;
    // Wait for the first hand-over, then signal straight into it.
    await waitFor(async () => (await handle.describe()).runId !== firstRun, 60_000, 50);
    await handle.signal(pauseSignal);
    await waitFor(async () => (await handle.query(statusQuery)).state === 'paused', 30_000);
    await waitFor(async () => (await handle.query(statusQuery)).inFlight === 0, 30_000);
    const callsPaused = env.sim.stats().calls.batchReset;
    await sleep(2000);
    assert.equal(env.sim.stats().calls.batchReset, callsPaused);
    await handle.signal(resumeSignal);
    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed');
    assert.equal(result.counts.succeeded, 1500);
    const status = await handle.query(statusQuery);
    assert.ok(status.run >= 3, `expected at least 2 continue-as-new, got run ${status.run}`);
    const lines = await env.report(handle.workflowId);
    assert.equal(lines.length, 1500);
    assert.equal(new Set(lines.map((l) => l.instance_id)).size, 1500);
    const notOnce = ids.filter((id) => env.sim.instance(id)?.resets !== 1);
    assert.deepEqual(
      notOnce.map((id) => ({
        id,
        resets: env.sim.instance(id)?.resets,
        line: lines.find((l) => l.instance_id === id),
      })),
      [],
    );
    await saveHistory(
      env.temporal.client,
      env.temporal.address,
      handle.workflowId,
      'lane-continue-as-new',
    );
  });

  it('canceled while paused after a hand-over: an item handed over mid-tracking is followed to its end', async () => {
    // Jobs outlast the terms, so every hand-over carries items whose calls were accepted.
    env.sim.setFaults({ jobDurationMs: '20000..30000' });
    try {
      const ids = env.ids(60, 9000);
      const callsBefore = env.sim.stats().calls.batchReset;
      const handle = await env.start(
        {
          concurrency: 30,
          rate: 50,
          batchSize: 1,
          canary: 0,
          maxHistoryEvents: 100,
          termMs: 1000,
        },
        { kind: 'inline', ids },
      );
      const firstRun = (await handle.describe()).runId;
      await waitFor(() => env.sim.stats().calls.batchReset >= callsBefore + 10, 30_000, 50);
      // A hand-over while jobs run: the next run resumes their tracking from the journals.
      await waitFor(async () => (await handle.describe()).runId !== firstRun, 30_000);
      await handle.executeUpdate(pauseUpdate);
      await waitFor(async () => (await handle.query(statusQuery)).state === 'paused', 30_000);
      await handle.executeUpdate(cancelUpdate, { args: ['operator test'] });
      const result = await campaignResult(handle);
      assert.equal(result.state, 'canceled');

      const lines = await env.report(handle.workflowId);
      assert.equal(lines.length, ids.length);
      const accepted = lines.filter((l) => (env.sim.instance(l.instance_id)?.resets ?? 0) > 0);
      assert.ok(accepted.length >= 10, `${accepted.length} phones reset before the hand-over`);
      for (const l of lines) {
        const applied = env.sim.instance(l.instance_id)?.resets ?? 0;
        assert.ok(
          l.resets >= applied,
          `${l.instance_id} (${l.outcome}): report ${l.resets} < applied ${applied}`,
        );
      }
      // Cancel sends nothing more but follows what was sent: every accepted reset ends as its job did.
      for (const l of accepted) {
        assert.equal(l.outcome, 'succeeded', `${l.instance_id}: ${l.outcome} ${l.error_msg}`);
        assert.notEqual(l.job_id, '', l.instance_id);
      }
      const neverSent = lines.filter((l) => (env.sim.instance(l.instance_id)?.resets ?? 0) === 0);
      assert.ok(neverSent.every((l) => l.outcome === 'canceled' && l.resets === 0));
    } finally {
      env.sim.setFaults({ jobDurationMs: '300..900' });
    }
  });

  it("the Temporal UI's Cancel: nothing more is sent, what was sent is followed, every phone has its line, the execution ends Canceled", async () => {
    const ids = env.ids(600, 12_000);
    const handle = await env.start({ concurrency: 6, rate: 10, batchSize: 10, canary: 0 }, { kind: 'inline', ids });
    await waitFor(async () => (await handle.query(statusQuery)).batchResetCalls >= 8, 60_000);
    // What the UI's button sends: a cancel request for the workflow execution itself.
    await handle.cancel();
    await assert.rejects(handle.result(), (err: Error) => err.name === 'WorkflowFailedError');
    const calls = env.sim.stats().calls.batchReset;
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    const lines = await env.report(handle.workflowId);
    assert.equal(lines.length, ids.length);
    assert.equal(new Set(lines.map((l) => l.instance_id)).size, ids.length);
    for (const l of lines) {
      const applied = env.sim.instance(l.instance_id)?.resets ?? 0;
      if (applied > 0) assert.equal(l.outcome, 'succeeded', `${l.instance_id}: ${l.outcome} ${l.error_msg}`);
      else assert.equal(l.outcome, 'canceled', l.instance_id);
      assert.equal(l.resets, applied, l.instance_id);
    }
    assert.ok(lines.some((l) => l.outcome === 'canceled'), 'the cancel stopped the campaign early');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(env.sim.stats().calls.batchReset, calls, 'nothing sent after the campaign ended');
  });
});
