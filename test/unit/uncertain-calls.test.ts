import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { resetBatch } from '../../src/activities/reset-batch';
import { SubmitPacer } from '../../src/activities/submit-pacer';
import { recordOutcomes } from '../../src/activities/record-outcomes';
import { uncertainCalls, unreportedResets } from '../../src/activities/uncertain-calls';
import type { ResetBatchInput, ResetBatchResult } from '../../src/campaign/work-item';
import { API_PATHS, KoophoneError, type KoophoneClient } from '../../src/koophone';
import { FolderStore } from '../../src/report/folder-store';
import { storeIdentity } from '../../src/report/store-identity';

/** A worker process dying: not a KooPhone error, so the activity attempt fails as a crash would. */
class WorkerDied extends Error {}

/**
 * A KooPhone that applies every call it receives, with a script of what happens to the answer:
 * 'die' applies the reset and then the worker dies before reading the answer; 'busy' refuses the
 * call unapplied; 'ok' accepts it; 'lost' applies it and the answer times out (the worker lives).
 * Tracking dies while `dieWhileTracking` is above 0.
 */
function scriptedKoophone(script: ('die' | 'busy' | 'ok' | 'lost')[]) {
  const applied = new Map<string, number>();
  let task = 0;
  const state = { dieWhileTracking: 0 };
  const client = {
    // Signed in (a lane signs in before each mark: reset-batch.ts).
    async signIn() {},
    async batchReset(ids: string[]) {
      const step = script.shift() ?? 'ok';
      if (step === 'busy') {
        throw new KoophoneError({
          code: 'KOOPHONE.API.2005',
          detail: 'in recovery',
          method: 'POST',
          url: '/x',
        });
      }
      for (const id of ids) applied.set(id, (applied.get(id) ?? 0) + 1);
      if (step === 'die') throw new WorkerDied('SIGKILL mid-call');
      if (step === 'lost') {
        throw new KoophoneError({ code: 'TIMEOUT', detail: 'no answer in 30 s', method: 'POST', url: API_PATHS.batchReset });
      }
      task += 1;
      return {
        taskId: `t${task}`,
        jobs: ids.map((id) => ({ instanceId: id, jobId: `${id}-j${task}` })),
        requestId: 'r',
      };
    },
    async getTask(taskId: string) {
      if (state.dieWhileTracking-- > 0) throw new WorkerDied('SIGKILL while tracking');
      const jobs = [...applied.keys()].map((id) => ({
        jobId: `${id}-j${taskId.slice(1)}`,
        status: 2 as const,
        errorCode: '',
        errorMsg: '',
        executeMsg: '',
      }));
      return { jobs, requestId: 'r' };
    },
  };
  return { client: client as unknown as KoophoneClient, applied, state };
}

describe('resets counted when workers die mid-call', { timeout: 30_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'kp-uncertain-'));
  after(() => rm(root, { recursive: true, force: true }));
  // The store a worker starts on (its .store-id); each campaign's folder as prepare makes it.
  before(() => storeIdentity(new FolderStore(root), true));
  let n = 0;

  const input = (resets = 0): ResetBatchInput => ({
    campaignId: `c${++n}`,
    item: {
      key: 'i1',
      batchNo: 0,
      round: 0,
      ids: ['aaaa0001', 'aaaa0002'],
      resets,
      submitAttempts: 0,
      notBefore: 0,
    },
    slotAt: 0,
    minIntervalMs: 0,
    retryFailed: 0,
    jobTimeoutMs: 60_000,
    heartbeatTimeoutMs: 60_000,
  });

  /** One attempt of one activity, as the worker would run it; a crash comes back as undefined. */
  async function attempt(
    deps: Parameters<typeof resetBatch>[0],
    i: ResetBatchInput,
    activityId: string,
    attemptNo: number,
  ): Promise<ResetBatchResult | undefined> {
    const env = new MockActivityEnvironment(
      { activityId, attempt: attemptNo, workflowExecution: { workflowId: i.campaignId, runId: 'run-1' } },
      { logger: new DefaultLogger('ERROR') },
    );
    await deps.store.createCampaign(i.campaignId);
    try {
      return await env.run(resetBatch, deps, i);
    } catch (e) {
      if (e instanceof WorkerDied) return undefined;
      throw e;
    }
  }

  /** A fresh campaign against a scripted KooPhone; `withResets(n)` is the item as the workflow re-queues it. */
  function scenario(script: Parameters<typeof scriptedKoophone>[0], dieWhileTracking = 0) {
    const k = scriptedKoophone(script);
    k.state.dieWhileTracking = dieWhileTracking;
    const store = new FolderStore(root);
    const deps = { client: k.client, store, pacer: new SubmitPacer() };
    const i = input();
    const withResets = (resets: number) => ({ ...i, item: { ...i.item, resets } });
    /** Both phones' report lines, and what the simulated KooPhone applied to the first. */
    const outcome = async () => {
      const lines = [];
      for await (const l of store.readReport(i.campaignId)) lines.push(l);
      return {
        lines: lines.map((l) => [l.instance_id, l.outcome, l.resets]),
        applied: k.applied.get('aaaa0001'),
      };
    };
    return { k, store, deps, i, withResets, outcome };
  }

  const both = (outcome: string, resets: number, applied: number) => ({
    lines: [
      ['aaaa0001', outcome, resets],
      ['aaaa0002', outcome, resets],
    ],
    applied,
  });

  it('a retried attempt never sends on its stale slot: it hands the item back with the possible reset', async () => {
    const { k, deps, i, withResets, outcome } = scenario(['die', 'die', 'ok'], 1);
    assert.equal(await attempt(deps, i, '7', 1), undefined);
    const back = await attempt(deps, i, '7', 2);
    assert.deepEqual(
      [back?.kind, back?.kind === 'retry' && back.code, back?.uncertain, back?.calls],
      ['retry', 'SLOT_EXPIRED', 1, 0],
    );
    assert.equal(k.applied.get('aaaa0001'), 1, 'the retried attempt sent nothing');
    // The workflow folds the possible reset in and gives the item a fresh slot: a new activity.
    const again = withResets(1);
    assert.equal(await attempt(deps, again, '8', 1), undefined);
    assert.equal((await attempt(deps, again, '8', 2))?.uncertain, 1);
    const third = withResets(2);
    assert.equal(await attempt(deps, third, '9', 1), undefined); // accepted, then died while tracking
    const r = await attempt(deps, third, '9', 2);
    assert.deepEqual([r?.kind, r?.uncertain], ['tracked', 0]);
    assert.deepEqual(await outcome(), both('succeeded', 3, 3));
  });

  it('a call lost mid-call before a hand-over: the accepted journal carries it through a tracking crash', async () => {
    const { deps, i, outcome } = scenario(['die', 'ok'], 1);
    assert.equal(await attempt(deps, i, '7', 1), undefined);
    // The run handed over; the next run schedules the item again under another activity.
    assert.equal(await attempt(deps, i, '1', 1), undefined); // accepted, then died while tracking
    const r = await attempt(deps, i, '1', 2);
    assert.deepEqual([r?.kind, r?.uncertain], ['tracked', 1]);
    assert.deepEqual(await outcome(), both('succeeded', 2, 2));
  });

  it('a lost answer is carried by the journal: a lane that dies before reporting it still has it counted', async () => {
    const { deps, i, withResets, outcome } = scenario(['lost', 'ok']);
    // The answer is lost (the call was applied); the lane holds the result for its term, then dies.
    const lost = await attempt(deps, i, '5', 1);
    assert.deepEqual(
      [lost?.kind, lost?.kind === 'retry' && lost.ambiguous, lost?.kind === 'retry' && lost.lostAnswer, lost?.uncertain],
      ['retry', false, true, 1],
    );
    // Its retried attempt finds the answered mark of its own activity: the reset is still counted.
    const retried = await attempt({ ...deps, pacer: new SubmitPacer() }, i, '5', 2);
    assert.equal(retried?.uncertain, 1);
    // Once the workflow folded it in, the next activity does not count it again.
    const r = await attempt(deps, withResets(1), '6', 1);
    assert.deepEqual([r?.kind, r?.uncertain], ['tracked', 0]);
    assert.deepEqual(await outcome(), both('succeeded', 2, 2));
  });

  it('a possible reset goes back with a refusal once, and the next activity does not count it again', async () => {
    const { deps, i, withResets, outcome } = scenario(['die', 'busy', 'ok']);
    assert.equal(await attempt(deps, i, '3', 1), undefined);
    const refused = await attempt(deps, i, '4', 1);
    assert.deepEqual([refused?.kind, refused?.uncertain], ['rejected', 1]);
    const r = await attempt(deps, withResets(1), '5', 1);
    assert.deepEqual([r?.kind, r?.uncertain], ['tracked', 0]);
    assert.deepEqual(await outcome(), both('succeeded', 2, 2));
  });

  it('a call lost mid-call, then a missed slot: the possible reset goes back once, nothing is sent', async () => {
    const { k, deps, i, withResets, outcome } = scenario(['die', 'ok']);
    assert.equal(await attempt(deps, i, '7', 1), undefined);
    // The next run's activity reaches its worker long after its slot (slotAt 0).
    const late = await attempt(deps, { ...i, lateToleranceMs: 100 }, '1', 1);
    assert.deepEqual(
      [late?.kind, late?.kind === 'retry' && late.code, late?.uncertain, late?.calls],
      ['retry', 'SLOT_MISSED', 1, 0],
    );
    assert.equal(k.applied.get('aaaa0001'), 1, 'the late call was not sent');
    const r = await attempt(deps, withResets(1), '2', 1);
    assert.deepEqual([r?.kind, r?.uncertain], ['tracked', 0]);
    assert.deepEqual(await outcome(), both('succeeded', 2, 2));
  });

  it('an item whose activity failed for good still counts the calls its journal shows', async () => {
    const { store, deps, i, withResets, outcome } = scenario(['die', 'ok'], 99);
    assert.equal(await attempt(deps, i, '7', 1), undefined); // died mid-call
    assert.equal((await attempt(deps, i, '7', 2))?.uncertain, 1); // handed back, told
    const next = withResets(1);
    // Accepted, then every attempt dies while tracking until the workflow gives the item up.
    for (let n = 1; n <= 3; n += 1) assert.equal(await attempt(deps, next, '8', n), undefined);
    const written = await recordOutcomes(store, {
      campaignId: i.campaignId,
      part: i.item.key,
      ids: i.item.ids,
      outcome: 'failed',
      resets: next.item.resets,
      errorCode: 'ORCHESTRATOR_ERROR',
      errorMsg: 'activity failed after all attempts',
      failedActivity: true,
    });
    assert.equal(written, 2);
    assert.deepEqual(await outcome(), both('failed', 2, 2));
  });

  it('judges journals of every shape', () => {
    const mark = { taskId: '', jobs: [], submittedAt: 0 };
    assert.equal(uncertainCalls(undefined, 'a', 1), 0);
    // Journals of earlier versions carry no count: only a retried attempt knows its mark died.
    assert.equal(uncertainCalls(mark, 'a', 1), 0);
    assert.equal(uncertainCalls(mark, 'a', 2), 1);
    assert.equal(uncertainCalls({ ...mark, taskId: 't1' }, 'a', 2), 0);
    // A mark not answered: one more than it carried, whoever reads it.
    assert.equal(uncertainCalls({ ...mark, uncertain: 2, by: 'a' }, 'b', 1), 3);
    // Answered: its own retry still owes the count; a later activity does not.
    assert.equal(uncertainCalls({ ...mark, uncertain: 2, by: 'a', answered: true }, 'a', 3), 2);
    assert.equal(uncertainCalls({ ...mark, uncertain: 2, by: 'a', answered: true }, 'b', 1), 0);
    // A mark that names the item's resets when written: owed until the item's resets grew by its
    // count (the workflow was told), whoever reads it — the retry of a dead lane that never got to
    // the item handed it back untouched, and the next term's lane must still count it.
    const told = { ...mark, uncertain: 2, by: 'a', answered: true as const, item: { ids: ['x'], resets: 1 } };
    assert.equal(uncertainCalls(told, 'b', 1, 1), 2);
    assert.equal(uncertainCalls(told, 'a', 2, 1), 2);
    assert.equal(uncertainCalls(told, 'b', 1, 3), 0);
    // Accepted: the died calls before it, for every attempt that tracks it.
    assert.equal(uncertainCalls({ ...mark, taskId: 't1', uncertain: 2, by: 'a' }, 'b', 1), 2);
    // What a failed activity never reported: its accepted call, or its call in flight, and the rest.
    assert.equal(unreportedResets(undefined), 0);
    assert.equal(unreportedResets({ ...mark, taskId: 't1', uncertain: 2 }), 3);
    assert.equal(unreportedResets({ ...mark, uncertain: 2 }), 3);
    assert.equal(unreportedResets({ ...mark, uncertain: 2, answered: true }), 2);
    assert.equal(unreportedResets(mark), 1);
  });
});
