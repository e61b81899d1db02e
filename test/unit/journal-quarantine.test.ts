import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { recordOutcomes } from '../../src/activities/record-outcomes';
import { resetBatch } from '../../src/activities/reset-batch';
import { checkSourceUnchanged } from '../../src/activities/source-check';
import { SubmitPacer } from '../../src/activities/submit-pacer';
import { OwnPartError } from '../../src/campaign/blocking';
import { budgetCounts, emptyCounts } from '../../src/campaign/outcome';
import type { ResetBatchInput, ResetBatchResult } from '../../src/campaign/work-item';
import type { KoophoneClient } from '../../src/koophone';
import { serializeError } from '../../src/logger';
import { JournalUnreadableError, type JournalEntry } from '../../src/report/campaign-store';
import { FolderStore } from '../../src/report/folder-store';
import { journalProblem } from '../../src/report/journal-check';
import { storeIdentity } from '../../src/report/store-identity';
import { TerminatedLines } from '../../src/report/terminated-lines';

/** A worker process dying: not a KooPhone error, so the activity attempt fails as a crash would. */
class WorkerDied extends Error {}

const journal = {
  taskId: 't1',
  jobs: [{ instanceId: 'aaaa0001', jobId: 'j1' }],
  submittedAt: 1,
  uncertain: 0,
  by: 'run/1',
  item: { range: { start: 0, end: 2 }, resets: 0 },
  campaign: 'c-1',
  key: 'b0000000',
};
const owner = { campaignId: 'c-1', key: 'b0000000', item: { range: { start: 0, end: 2 }, resets: 0 }, strict: true };

describe('journals: one that cannot be used costs its item, never the campaign', { timeout: 30_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'kp-journal-'));
  after(() => rm(root, { recursive: true, force: true }));
  before(() => storeIdentity(new FolderStore(root), true));

  it("what is not a journal of this campaign's item is named, whatever its shape", () => {
    assert.equal(journalProblem(journal, owner), undefined);
    // Fields a later version adds (the pre-flight's screened phones) are a journal's all the same.
    assert.equal(journalProblem({ ...journal, screened: { aaaa0002: { outcome: 'skipped' } } }, owner), undefined);
    assert.match(journalProblem({}, owner)!, /^not a journal \(taskId: /);
    assert.match(journalProblem('x', owner)!, /^not a journal/);
    assert.match(journalProblem(null, owner)!, /^not a journal/);
    assert.equal(journalProblem({ ...journal, campaign: 'c-2' }, owner), 'written for campaign c-2');
    assert.equal(journalProblem({ ...journal, key: 'b0000007' }, owner), 'written for item b0000007');
    assert.equal(
      journalProblem({ ...journal, item: { range: { start: 0, end: 600 }, resets: 0 } }, owner),
      'names other phones than its item',
    );
    assert.equal(
      journalProblem({ ...journal, item: { range: { start: 0, end: 2 }, resets: 3 } }, owner),
      'counts 3 resets before its call, its item only 0',
    );
    assert.match(journalProblem({ ...journal, uncertain: 1e9 }, owner)!, /^not a journal \(uncertain: /);
    assert.equal(journalProblem({ ...journal, taskId: '' }, owner), 'a mark (no task) with jobs');
    const { campaign: _c, key: _k, ...old } = journal;
    assert.match(journalProblem(old, owner)!, /names no campaign, item or phones/);
    assert.equal(journalProblem(old, { ...owner, strict: false }), undefined, 'journals of earlier versions, for their campaigns');
  });

  it('the folder store names a journal whose bytes are no JSON, and lists it as such', async () => {
    const store = new FolderStore(root);
    await store.createCampaign('c-list');
    await store.writeJournal('c-list', 'b0000000', journal);
    const jobs = join(root, 'c-list', 'jobs');
    await writeFile(join(jobs, 'b0000001.json'), '');
    await writeFile(join(jobs, 'b0000002.json'), JSON.stringify(journal).slice(0, 30));
    await assert.rejects(store.readJournal('c-list', 'b0000001'), (e: unknown) => {
      assert.ok(e instanceof JournalUnreadableError);
      assert.deepEqual(e.unreadable, { where: join(jobs, 'b0000001.json'), why: 'the file is empty' });
      return true;
    });
    await assert.rejects(store.readJournal('c-list', 'b0000002'), /cannot be read: .*JSON/);
    const entries: JournalEntry[] = [];
    for await (const e of store.listJournals('c-list')) entries.push(e);
    assert.deepEqual(
      entries.map((e) => [e.key, e.journal ? 'journal' : e.unreadable.why.slice(0, 14)]),
      [
        ['b0000000', 'journal'],
        ['b0000001', 'the file is em'],
        ['b0000002', 'Unterminated s'],
      ],
    );
  });

  /** KooPhone accepting (and applying) every call; the first one kills the worker after it is applied. */
  function koophone() {
    const applied = new Map<string, number>();
    let calls = 0;
    const client = {
      // Signed in (a lane signs in before each mark: reset-batch.ts).
      async signIn() {},
      async batchReset(ids: string[]) {
        for (const id of ids) applied.set(id, (applied.get(id) ?? 0) + 1);
        if (++calls === 1) throw new WorkerDied('SIGKILL mid-call');
        return { taskId: `t${calls}`, jobs: ids.map((id) => ({ instanceId: id, jobId: `${id}-j` })), requestId: 'r' };
      },
      async getTask() {
        return { jobs: [...applied.keys()].map((id) => ({ jobId: `${id}-j`, status: 2, errorCode: '', errorMsg: '', executeMsg: '' })), requestId: 'r' };
      },
    };
    return { client: client as unknown as KoophoneClient, applied };
  }

  async function attempt(deps: Parameters<typeof resetBatch>[0], i: ResetBatchInput, n: number): Promise<ResetBatchResult | undefined> {
    const env = new MockActivityEnvironment(
      { activityId: '7', attempt: n, workflowExecution: { workflowId: i.campaignId, runId: 'run-1' } },
      { logger: new DefaultLogger('ERROR') },
    );
    try {
      return await env.run(resetBatch, deps, i);
    } catch (e) {
      if (e instanceof WorkerDied) return undefined;
      throw e;
    }
  }

  for (const [what, bytes] of [
    ['cut off', (j: string) => j.slice(0, 30)],
    ['{}', () => '{}'],
    ['empty', () => ''],
    ['a forged mark', (j: string) => JSON.stringify({ ...JSON.parse(j), item: { ids: ['aaaa0001', 'aaaa0002', 'zzzz0009'], resets: 0 }, answered: true })],
  ] as const) {
    it(`a journal ${what} after its worker died mid-call: the item is written failed JOURNAL_UNREADABLE, never sent again`, async () => {
      const campaignId = `c-${what.replace(/\W/g, '')}`;
      const store = new FolderStore(root);
      await store.createCampaign(campaignId);
      const k = koophone();
      const deps = { client: k.client, store, pacer: new SubmitPacer() };
      const i: ResetBatchInput = {
        campaignId,
        item: { key: 'i0000001', batchNo: 0, round: 0, ids: ['aaaa0001', 'aaaa0002'], resets: 0, submitAttempts: 0, notBefore: 0 },
        slotAt: 0,
        minIntervalMs: 0,
        retryFailed: 0,
        jobTimeoutMs: 60_000,
        heartbeatTimeoutMs: 60_000,
        seal: { v: 1, records: 0, block: 1024, root: '0'.repeat(64) },
      };
      assert.equal(await attempt(deps, i, 1), undefined); // applied, then the worker died
      const file = store.journalLocation(campaignId, 'i0000001');
      const { readFile } = await import('node:fs/promises');
      await writeFile(file, bytes(await readFile(file, 'utf8')));
      const r = await attempt(deps, i, 2);
      assert.deepEqual(r, {
        kind: 'tracked',
        counts: { failed: 2 },
        retryIds: [],
        failedJobs: 0,
        resets: 2,
        calls: 0,
        polls: 0,
        quarantined: 2,
        attempt: 2,
      });
      assert.equal(k.applied.get('aaaa0001'), 1, 'not sent again');
      const lines = [];
      for await (const l of store.readReport(campaignId)) lines.push(l);
      assert.deepEqual(
        lines.map((l) => [l.instance_id, l.outcome, l.resets, l.error_code]),
        [
          ['aaaa0001', 'failed', 1, 'JOURNAL_UNREADABLE'],
          ['aaaa0002', 'failed', 1, 'JOURNAL_UNREADABLE'],
        ],
      );
      assert.ok(lines[0]!.error_msg.startsWith(`JOURNAL_UNREADABLE ${file}: `), lines[0]!.error_msg);
      assert.match(lines[0]!.error_msg, /; 1 possible reset counted: its journal could not be read: a call it recorded may have reset it$/);
    });
  }

  it("a give-up whose item's journal cannot be read counts a possible reset and names the file", async () => {
    const store = new FolderStore(root);
    await store.createCampaign('c-giveup');
    const file = store.journalLocation('c-giveup', 'i0000002');
    await writeFile(file, '{"taskId":"t9","jo');
    const written = await recordOutcomes(store, {
      campaignId: 'c-giveup',
      part: 'i0000002',
      ids: ['aaaa0003'],
      outcome: 'canceled',
      resets: 1,
      errorCode: 'CANCELED',
      errorMsg: 'canceled by operator',
      failedActivity: true,
    });
    assert.equal(written, 1);
    for await (const l of store.readReport('c-giveup')) {
      assert.deepEqual([l.outcome, l.resets, l.error_code], ['canceled', 2, 'CANCELED']);
      assert.ok(l.error_msg.startsWith(`canceled by operator; JOURNAL_UNREADABLE ${file}: Unterminated string`), l.error_msg);
      assert.match(l.error_msg, /1 possible reset counted: its journal could not be read/);
    }
  });

  it('a give-up counts every job the accepted call listed for a phone (chaos c-979d390c: 1 where 2 were applied)', async () => {
    const store = new FolderStore(root);
    await store.createCampaign('c-jobs');
    const written = await recordOutcomes(store, {
      campaignId: 'c-jobs',
      part: 'i0000009',
      ids: ['aaaa0001', 'aaaa0002'],
      outcome: 'failed',
      // None before this call; the journal's accepted call is the one.
      resets: 0,
      errorCode: 'ORCHESTRATOR_ERROR',
      errorMsg: 'activity Heartbeat timeout',
      failedActivity: true,
      journal: {
        ...journal,
        key: 'i0000009',
        campaign: 'c-jobs',
        jobs: [
          { instanceId: 'aaaa0001', jobId: 'j1' },
          { instanceId: 'aaaa0001', jobId: 'j2' },
          { instanceId: 'aaaa0002', jobId: 'j3' },
        ],
      },
    });
    assert.equal(written, 2);
    const resets: Record<string, number> = {};
    for await (const l of store.readReport('c-jobs')) resets[l.instance_id] = l.resets;
    assert.deepEqual(resets, { aaaa0001: 2, aaaa0002: 1 });
  });

  it('a rebuilt report counts an unreadable journal as one possible reset, naming it', () => {
    const lines = new TerminatedLines({ how: 'terminated', at: '2026-12-01T00:00:00.000Z' }, { total: 40, batchSize: 20 });
    lines.add({ key: 'b0000001', unreadable: { where: '/r/c-1/jobs/b0000001.json', why: 'the file is empty' } });
    const line = lines.lineFor(25, 'aaaa0025');
    assert.equal(line.resets, 1);
    assert.equal(
      line.error_msg,
      'campaign terminated: JOURNAL_UNREADABLE /r/c-1/jobs/b0000001.json: the file is empty; a call it recorded may have reset it (1 possible reset counted)',
    );
  });

  it('phones written for an unusable journal spend no error budget', () => {
    const counts = { ...emptyCounts(), succeeded: 80, failed: 20 };
    assert.deepEqual(budgetCounts(counts, 20), { ...counts, failed: 0 });
    assert.deepEqual(budgetCounts(counts), counts);
  });
});

describe('errors in the logs and an id file that cannot be read', () => {
  it('an error logs its name, message, code, file and stack, its cause too', () => {
    const cause = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', path: '/r/c-1/jobs/b1.json', syscall: 'open' });
    const shown = serializeError(new SyntaxError('Unterminated string in JSON at position 30', { cause })) as Record<string, unknown>;
    assert.equal(shown.name, 'SyntaxError');
    assert.equal(shown.message, 'Unterminated string in JSON at position 30');
    assert.match(String(shown.stack), /^SyntaxError: Unterminated/);
    assert.deepEqual(
      { ...(shown.cause as object), stack: undefined },
      { name: 'Error', message: 'ENOENT: no such file', code: 'ENOENT', path: '/r/c-1/jobs/b1.json', syscall: 'open', stack: undefined },
    );
    assert.equal(serializeError('text'), 'text');
    assert.notEqual(JSON.stringify(shown), '{}');
  });

  it('an id file that is gone is an own part (source) fault; one that reads differently is SOURCE_CHANGED', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kp-source-'));
    const path = join(dir, 'ids.txt');
    await writeFile(path, 'aaaa0001\n');
    const { stat } = await import('node:fs/promises');
    const { sha256File } = await import('../../src/activities/source-check');
    const s = await stat(path);
    const pinned = { path, size: s.size, mtimeMs: s.mtimeMs, sha256: await sha256File(path) };
    assert.equal(await checkSourceUnchanged(pinned), undefined);
    await writeFile(path, 'zzzz0009\n');
    assert.match((await checkSourceUnchanged(pinned))!, /changed since the campaign started/);
    await rm(dir, { recursive: true });
    await assert.rejects(checkSourceUnchanged(pinned), (e: unknown) => {
      assert.ok(e instanceof OwnPartError);
      assert.deepEqual(e.fault, {
        part: 'source',
        code: 'ENOENT',
        message: `source: ENOENT reading ${path}, the id file the campaign was started from`,
      });
      return true;
    });
  });
});
