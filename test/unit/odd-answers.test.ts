import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { resetBatch } from '../../src/activities/reset-batch';
import { SubmitPacer } from '../../src/activities/submit-pacer';
import { describeAnomaly, mergeAnomalies, screenCmdJobs, type Anomaly } from '../../src/campaign/anomalies';
import { addPossible, describePossible } from '../../src/campaign/possible-resets';
import type { ResetBatchInput, ResetBatchResult, WorkItem } from '../../src/campaign/work-item';
import { API_PATHS, KoophoneError, type KoophoneClient, type TaskJobResult } from '../../src/koophone';
import { FolderStore } from '../../src/report/folder-store';
import { storeIdentity } from '../../src/report/store-identity';

describe('screenCmdJobs: the cmd_jobs an item can follow', () => {
  it('drops jobs for ids not asked, collapses a repeated job, keeps a second job of one phone', () => {
    const long = 'x'.repeat(40);
    const { jobs, anomalies } = screenCmdJobs(
      ['a', 'b'],
      [
        { instanceId: 'a', jobId: 'j1' },
        { instanceId: 'zz', jobId: 'j9' },
        { instanceId: 'b', jobId: 'j2' },
        { instanceId: 'b', jobId: 'j2' },
        { instanceId: long, jobId: 'j8' },
        { instanceId: 'a', jobId: 'j3' },
      ],
    );
    assert.deepEqual(jobs, [
      { instanceId: 'a', jobId: 'j1' },
      { instanceId: 'b', jobId: 'j2' },
      { instanceId: 'a', jobId: 'j3' },
    ]);
    assert.deepEqual(anomalies, [
      { kind: 'foreign_job', count: 2, example: 'zz' },
      { kind: 'duplicate_job', count: 2, example: 'b' },
    ]);
  });

  it('a clean answer has none', () => {
    const clean = [{ instanceId: 'a', jobId: 'j1' }];
    assert.deepEqual(screenCmdJobs(['a', 'b'], clean), { jobs: clean, anomalies: [] });
  });

  it('says what was done in a line, with a printable, bounded example', () => {
    const [a] = screenCmdJobs(
      ['a'],
      [{ instanceId: `\u001b]0;pwned\u0007${'y'.repeat(80)}`, jobId: 'j' }],
    ).anomalies;
    assert.ok(/^[\x21-\x7e]+…$/.test(a!.example) && a!.example.length <= 49, a!.example);
    const merged = mergeAnomalies(
      [{ kind: 'foreign_job', count: 1, example: 'zz' }],
      [
        { kind: 'foreign_job', count: 1, example: 'yy' },
        { kind: 'duplicate_job', count: 1, example: 'b' },
      ],
    );
    assert.deepEqual(merged.map(describeAnomaly), [
      '2 cmd_jobs for ids not asked (e.g. zz) dropped',
      '1 duplicate cmd_job for an asked id (e.g. b) collapsed into one line per phone',
    ]);
  });
});

describe('possible resets, in words', () => {
  it('counts them and names the latest reason', () => {
    assert.equal(describePossible(undefined), '');
    const one = addPossible(undefined, 1, 'HTTP 502 after the call was sent');
    assert.equal(describePossible(one), '1 possible reset counted: HTTP 502 after the call was sent');
    assert.equal(
      describePossible(addPossible(one, 2, undefined)),
      '3 possible resets counted, the latest: the call was in flight when its worker died',
    );
    assert.equal(addPossible(one, 0, 'x'), one);
  });
});

/** A KooPhone that answers each batch-reset from a script and says every listed job ended as given. */
function scripted(
  answers: (((ids: string[]) => { taskId: string; jobs: { instanceId: string; jobId: string }[] }) | Error)[],
  statusOf: Record<string, 2 | -1> = {},
) {
  const client = {
    // Signed in (a lane signs in before each mark: reset-batch.ts).
    async signIn() {},
    async batchReset(ids: string[]) {
      const next = answers.shift();
      if (next === undefined) throw new Error('no more answers scripted');
      if (next instanceof Error) throw next;
      return { ...next(ids), requestId: 'r' };
    },
    async getTask() {
      const jobs: TaskJobResult[] = Object.entries(statusOf).map(([jobId, status]) => ({
        jobId,
        status,
        errorCode: status === -1 ? 'CPS0005' : '',
        errorMsg: status === -1 ? 'Phone not found.' : '',
        executeMsg: '',
      }));
      return { jobs, requestId: 'r' };
    },
  };
  return { client: client as unknown as KoophoneClient };
}

describe('resetItem: odd answers are data', { timeout: 60_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'kp-odd-'));
  after(() => rm(root, { recursive: true, force: true }));
  const store = new FolderStore(root);
  // The store a worker starts on (its .store-id); each campaign's folder as prepare makes it.
  before(() => storeIdentity(store, true));
  let n = 0;

  const input = (ids: string[], over: Partial<WorkItem> = {}, retryFailed = 0): ResetBatchInput => ({
    campaignId: `odd${++n}`,
    item: { key: 'i1', batchNo: 0, round: 0, ids, resets: 0, submitAttempts: 0, notBefore: 0, ...over },
    slotAt: 0,
    minIntervalMs: 0,
    retryFailed,
    jobTimeoutMs: 20_000,
    heartbeatTimeoutMs: 60_000,
  });

  async function run(client: KoophoneClient, i: ResetBatchInput, activityId = '1') {
    await store.createCampaign(i.campaignId);
    const env = new MockActivityEnvironment(
      { activityId, attempt: 1, workflowExecution: { workflowId: i.campaignId, runId: 'run-1' } },
      { logger: new DefaultLogger('ERROR') },
    );
    const result: ResetBatchResult = await env.run(
      resetBatch,
      { client, store, pacer: new SubmitPacer() },
      i,
    );
    const lines = [];
    for await (const l of store.readReport(i.campaignId)) lines.push(l);
    return { result, lines, journal: await store.readJournal(i.campaignId, i.item.key) };
  }

  it('a foreign job is dropped before the journal, gets no line and is not waited for', async () => {
    const k = scripted(
      [
        (ids) => ({
          taskId: 't1',
          jobs: [
            ...ids.map((id) => ({ instanceId: id, jobId: `${id}-j` })),
            { instanceId: 'y'.repeat(40), jobId: 'ghost' },
          ],
        }),
      ],
      { 'a-j': 2, 'b-j': 2 },
    );
    const started = Date.now();
    const { result, lines, journal } = await run(k.client, input(['a', 'b']));
    assert.ok(Date.now() - started < 10_000, 'tracking ended with the asked jobs');
    assert.deepEqual(
      journal?.jobs.map((j) => j.jobId),
      ['a-j', 'b-j'],
    );
    assert.deepEqual(
      journal?.anomalies?.map((a: Anomaly) => [a.kind, a.count]),
      [['foreign_job', 1]],
    );
    assert.deepEqual(
      lines.map((l) => [l.instance_id, l.outcome, l.resets]),
      [
        ['a', 'succeeded', 1],
        ['b', 'succeeded', 1],
      ],
    );
    assert.equal(result.kind === 'tracked' && result.resets, 2);
  });

  it('the same job twice for one phone: one line, one reset', async () => {
    const k = scripted(
      [
        () => ({
          taskId: 't1',
          jobs: [
            { instanceId: 'a', jobId: 'j1' },
            { instanceId: 'a', jobId: 'j1' },
          ],
        }),
      ],
      { j1: 2 },
    );
    const { result, lines } = await run(k.client, input(['a']));
    assert.deepEqual(
      lines.map((l) => [l.instance_id, l.outcome, l.resets, l.job_id, l.error_msg]),
      [['a', 'succeeded', 1, 'j1', '']],
    );
    assert.equal(result.kind === 'tracked' && result.resets, 1);
  });

  it('two jobs for one phone: one line, both counted, success only if both succeeded, never re-reset', async () => {
    const both = () => ({
      taskId: 't1',
      jobs: [
        { instanceId: 'a', jobId: 'j1' },
        { instanceId: 'b', jobId: 'j2' },
        { instanceId: 'a', jobId: 'j3' },
      ],
    });
    const good = await run(scripted([both], { j1: 2, j2: 2, j3: 2 }).client, input(['a', 'b']));
    assert.deepEqual(
      good.lines.map((l) => [l.instance_id, l.outcome, l.resets]),
      [
        ['a', 'succeeded', 2],
        ['b', 'succeeded', 1],
      ],
    );
    assert.match(good.lines[0]!.error_msg, /2 cmd_jobs for this phone \(j1, j3\)/);
    assert.equal(good.result.kind === 'tracked' && good.result.resets, 3);
    // The second job failed: the line is failed (naming it), even with re-resets left.
    const bad = await run(scripted([both], { j1: 2, j2: 2, j3: -1 }).client, input(['a', 'b'], {}, 2));
    assert.deepEqual(
      bad.lines.map((l) => [l.instance_id, l.outcome, l.resets, l.job_id, l.error_code]),
      [
        ['a', 'failed', 2, 'j3', 'CPS0005'],
        ['b', 'succeeded', 1, 'j2', ''],
      ],
    );
    assert.deepEqual(bad.result.kind === 'tracked' && bad.result.retryIds, []);
  });

  it('an id the accepted call left without a cmd_job counts one possible reset, and says so', async () => {
    const k = scripted([() => ({ taskId: 't7', jobs: [{ instanceId: 'a', jobId: 'j1' }] })], { j1: 2 });
    const { result, lines } = await run(k.client, input(['a', 'b']));
    const b = lines.find((l) => l.instance_id === 'b')!;
    assert.deepEqual([b.outcome, b.resets, b.error_code], ['missing_job', 1, 'MISSING_JOB']);
    assert.match(b.error_msg, /no cmd_job for this instance in task t7; 1 possible reset counted/);
    assert.equal(result.kind === 'tracked' && result.resets, 2);
  });

  it('an answer that proves nothing is a possible reset: the mark carries it with its reason, the next line says it', async () => {
    const badGateway = new KoophoneError({
      code: 'HTTP_502',
      httpStatus: 502,
      detail: 'bad gateway',
      method: 'POST',
      url: API_PATHS.batchReset,
    });
    const k = scripted(
      [
        badGateway,
        (ids) => ({ taskId: 't2', jobs: ids.map((id) => ({ instanceId: id, jobId: `${id}-j` })) }),
      ],
      { 'a-j': 2 },
    );
    const i = input(['a']);
    const first = await run(k.client, i);
    const why = 'HTTP 502 after the call was sent';
    assert.deepEqual(
      [first.result.kind, first.result.uncertain, first.result.uncertainWhy, first.result.lostAnswer],
      ['retry', 1, why, true],
    );
    assert.deepEqual([first.journal?.uncertain, first.journal?.why, first.journal?.answered], [1, why, true]);
    // The workflow folds it into the item (item-outcome) and sends it again in another activity.
    const again = { ...i, item: { ...i.item, resets: 1, possible: { count: 1, why } } };
    const second = await run(k.client, again, '2');
    assert.deepEqual(
      second.lines.map((l) => [l.outcome, l.resets, l.error_msg]),
      [['succeeded', 2, `1 possible reset counted: ${why}`]],
    );
  });

  it('a proven refusal is not a possible reset', async () => {
    const frozen = new KoophoneError({
      code: 'KOOPHONE.API.2004',
      httpStatus: 200,
      detail: 'frozen',
      method: 'POST',
      url: API_PATHS.batchReset,
    });
    const { result, lines } = await run(scripted([frozen]).client, input(['a']));
    assert.deepEqual([result.kind, result.uncertain, result.lostAnswer], ['tracked', 0, undefined]);
    assert.deepEqual(
      lines.map((l) => [l.outcome, l.resets]),
      [['rejected', 0]],
    );
  });

  it('a single phone refused with a code nobody documented: rejected, its possible reset counted', async () => {
    const odd = new KoophoneError({
      code: 'KOOPHONE.API.3001',
      httpStatus: 200,
      detail: 'what',
      method: 'POST',
      url: API_PATHS.batchReset,
    });
    const { result, lines } = await run(scripted([odd]).client, input(['a']));
    assert.deepEqual(
      [result.kind, result.uncertain, result.kind === 'tracked' && result.resets],
      ['tracked', 1, 1],
    );
    assert.deepEqual(
      lines.map((l) => [l.outcome, l.resets]),
      [['rejected', 1]],
    );
    assert.match(
      lines[0]!.error_msg,
      /1 possible reset counted: KOOPHONE.API.3001 \(HTTP 200\) after the call was sent/,
    );
  });
});
