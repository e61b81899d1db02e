import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { runLane } from '../../src/activities/run-lane';
import type { LaneInput, LaneResult } from '../../src/campaign/lane';
import { API_PATHS, KoophoneError, type KoophoneClient } from '../../src/koophone';
import { FolderStore } from '../../src/report/folder-store';
import { FaultNamingStore } from '../../src/report/store-faults';
import { storeIdentity } from '../../src/report/store-identity';
import { initialRate } from '../../src/campaign/rate-slots';

/** A worker process dying: not a KooPhone error, so the lane's attempt fails as a crash would. */
class WorkerDied extends Error {}

/**
 * KooPhone answering calls by script: 'busy' refuses (nothing applied), '502' answers a gateway
 * page (applied or not: nobody can tell), 'die' kills the worker mid-call, 'ok' accepts.
 */
function scriptedKoophone(script: ('busy' | '502' | 'die' | 'ok')[]) {
  const received = { calls: 0 };
  let task = 0;
  const client = {
    // Signed in (a lane signs in before each mark: reset-batch.ts).
    async signIn() {},
    async batchReset(ids: string[]) {
      received.calls += 1;
      const step = script.shift() ?? 'ok';
      if (step === 'busy') {
        throw new KoophoneError({ code: 'KOOPHONE.API.2005', detail: 'in recovery', method: 'POST', url: '/x' });
      }
      if (step === '502') {
        throw new KoophoneError({ code: 'HTTP_502', httpStatus: 502, detail: 'bad gateway', method: 'POST', url: API_PATHS.batchReset });
      }
      if (step === 'die') throw new WorkerDied('SIGKILL mid-call');
      task += 1;
      return { taskId: `t${task}`, jobs: ids.map((id) => ({ instanceId: id, jobId: `${id}-j${task}` })), requestId: 'r' };
    },
    async getTask(taskId: string) {
      const n = taskId.slice(1);
      return { jobs: ['p1', 'p2'].map((id) => ({ jobId: `${id}-j${n}`, status: 2 as const, errorCode: '', errorMsg: '', executeMsg: '' })), requestId: 'r' };
    },
  };
  return { client: client as unknown as KoophoneClient, received };
}

function laneInput(campaignId: string): LaneInput {
  const item = (key: string, id: string) => ({ key, batchNo: 0, round: 0, ids: [id], resets: 0, submitAttempts: 0, notBefore: 0 });
  return {
    campaignId,
    term: 1,
    lane: 0,
    lanes: 1,
    items: [item('i1', 'p1'), item('i2', 'p2')],
    batchSize: 1,
    spoolTotal: 0,
    rate: initialRate(50),
    ceiling: 50,
    startDelayMs: 0,
    sendForMs: 10_000,
    concurrency: 2,
    detail: true,
    maxResultIds: 1000,
    item: { retryFailed: 0, retryTimedOut: 0, noRetryCodes: [], jobTimeoutMs: 30_000, heartbeatTimeoutMs: 10_000 },
  };
}

// The lane's progress signals go nowhere: only its result is under test.
const progressSink = {
  workflow: { getHandle: () => ({ signal: async () => undefined }) },
  withAbortSignal: (_signal: AbortSignal, fn: () => unknown) => fn(),
} as unknown as Client;

describe('a lane counts every batch-reset call KooPhone received, across its attempts', { timeout: 60_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'kp-lane-calls-'));
  // The store a worker starts on (its .store-id) holding each campaign, as prepare leaves it.
  before(async () => {
    const store = new FolderStore(root);
    await storeIdentity(store, true);
    for (let n = 1; n <= 7; n++) await store.createCampaign(`lane-calls-${n}`);
  });
  after(() => rm(root, { recursive: true, force: true }));

  async function attempt(client: KoophoneClient, input: LaneInput, n: number): Promise<LaneResult | undefined> {
    const env = new MockActivityEnvironment(
      { activityId: '9', attempt: n },
      { logger: new DefaultLogger('ERROR'), client: progressSink },
    );
    try {
      return await env.run(runLane, { client, store: new FolderStore(root) }, input);
    } catch (e) {
      if (e instanceof WorkerDied) return undefined;
      throw e;
    }
  }

  it('a refused call and a call cut by the crash, both of a dead attempt, count in its retry', async () => {
    const k = scriptedKoophone(['busy', 'die', 'ok', 'ok']);
    const input = laneInput('lane-calls-1');
    // Attempt 1: p1's call refused (its result held for the term), then the worker dies mid-call for p2.
    assert.equal(await attempt(k.client, input, 1), undefined);
    assert.equal(k.received.calls, 2);
    const r = await attempt(k.client, input, 2);
    assert.ok(r);
    assert.equal(k.received.calls, 4);
    assert.equal(r.calls, k.received.calls, 'the dead attempt reported nothing: its two calls count here');
    assert.deepEqual(r.results.map((x) => [x.item.key, x.result.kind, x.result.uncertain]).sort(), [
      ['i1', 'tracked', 0],
      ['i2', 'tracked', 1],
    ]);
  });

  it('a call whose answer proved nothing, of a dead attempt, counts once in its retry: as a call and a possible reset', async () => {
    const k = scriptedKoophone(['502', 'die', 'ok', 'ok']);
    const input = laneInput('lane-calls-4');
    assert.equal(await attempt(k.client, input, 1), undefined);
    const r = await attempt(k.client, input, 2);
    assert.ok(r);
    assert.equal(r.calls, k.received.calls, 'four calls, none counted twice');
    assert.deepEqual(r.results.map((x) => [x.item.key, x.result.kind, x.result.uncertain]).sort(), [
      ['i1', 'tracked', 1],
      ['i2', 'tracked', 1],
    ]);
  });

  it('a possible reset left by a dead attempt whose retry never got to the item is counted by the next term', async () => {
    const k = scriptedKoophone(['502', 'die', 'ok']);
    const input = laneInput('lane-calls-5');
    assert.equal(await attempt(k.client, input, 1), undefined);
    // The retried attempt sends nothing (its term is over at once): both items go back untouched.
    const stopped = await attempt(k.client, { ...input, sendForMs: 0 }, 2);
    assert.deepEqual(stopped?.unsent.map((i) => i.key), ['i1', 'i2']);
    // The next term's lane (another activity) still counts the 502 and the call cut by the crash.
    const env = new MockActivityEnvironment(
      { activityId: '10', attempt: 1 },
      { logger: new DefaultLogger('ERROR'), client: progressSink },
    );
    const next = (await env.run(runLane, { client: k.client, store: new FolderStore(root) }, input)) as LaneResult;
    assert.deepEqual(next.results.map((x) => [x.item.key, x.result.uncertain]).sort(), [
      ['i1', 1],
      ['i2', 1],
    ]);
  });

  it("an item failing for a reason neither KooPhone's nor a part's (a bug) fails the attempt at once: nothing more is sent, and the worker lives", async () => {
    const k = scriptedKoophone([]);
    const input = { ...laneInput('lane-calls-2'), concurrency: 1 };
    input.items = [...input.items, { ...input.items[0]!, key: 'i3', ids: ['p3'] }];
    // Writing the first item's journal mark meets a bug (not a fault of the store: no errno).
    class FailingStore extends FolderStore {
      override async writeJournal(...args: Parameters<FolderStore['writeJournal']>) {
        if (args[1] === 'i1') throw new Error('ENOSPC: no space left on device');
        return super.writeJournal(...args);
      }
    }
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const env = new MockActivityEnvironment({ activityId: '9', attempt: 1 }, { logger: new DefaultLogger('ERROR'), client: progressSink });
      await assert.rejects(env.run(runLane, { client: k.client, store: new FailingStore(root) }, input), /ENOSPC/);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, [], 'an unhandled rejection would kill the worker process');
    assert.equal(k.received.calls, 0, 'no call after the failure');
  });

  it('a retried lane sends the call its dead worker left in doubt first, before new batches, however slow its journal read', async () => {
    // Attempt 1: p1 accepted, then the worker dies in p2's call; p3..p10 never went.
    const sent: string[] = [];
    const tasks = new Map<string, string[]>();
    let die = false;
    const client = {
      // Signed in (a lane signs in before each mark: reset-batch.ts).
      async signIn() {},
      async batchReset(ids: string[]) {
        sent.push(...ids);
        if (die) {
          die = false;
          throw new WorkerDied('SIGKILL mid-call');
        }
        if (ids[0] === 'p1') die = true;
        const taskId = `t${tasks.size + 1}`;
        tasks.set(taskId, ids);
        return { taskId, jobs: ids.map((id) => ({ instanceId: id, jobId: `${taskId}-${id}` })), requestId: 'r' };
      },
      async getTask(taskId: string) {
        const jobs = (tasks.get(taskId) ?? []).map((id) => ({ jobId: `${taskId}-${id}`, status: 2 as const, errorCode: '', errorMsg: '', executeMsg: '' }));
        return { jobs, requestId: 'r' };
      },
    } as unknown as KoophoneClient;
    const base = laneInput('lane-calls-3');
    const input: LaneInput = {
      ...base,
      concurrency: 10,
      items: Array.from({ length: 10 }, (_, i) => ({ ...base.items[0]!, key: `i${i + 1}`, ids: [`p${i + 1}`] })),
    };
    assert.equal(await attempt(client, input, 1), undefined);
    assert.deepEqual(sent, ['p1', 'p2']);

    // Attempt 2 reads what the dead attempt left; a journal that exists is slow to read (a loaded
    // disk), a missing one is not: the new batches are ready to send before the doubtful one is.
    class SlowJournals extends FolderStore {
      override async readJournal(...args: Parameters<FolderStore['readJournal']>) {
        const journal = await super.readJournal(...args);
        if (journal) await new Promise((r) => setTimeout(r, 100));
        return journal;
      }
    }
    sent.length = 0;
    const env = new MockActivityEnvironment({ activityId: '9', attempt: 2 }, { logger: new DefaultLogger('ERROR'), client: progressSink });
    const r = (await env.run(runLane, { client, store: new SlowJournals(root) }, input)) as LaneResult;
    assert.equal(sent[0], 'p2', `sent in this order: ${sent.join(' ')}`);
    assert.deepEqual([...sent].sort(), ['p10', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9'], 'p1 accepted: tracked, never sent again');
    assert.equal(r.results.find((x) => x.item.key === 'i2')?.result.uncertain, 1, 'the call in doubt is counted');
  });

  /** A folder store whose disk is full while `full()` says so: writes fail as the system's ENOSPC does. */
  function fullDisk(full: (what: string) => boolean) {
    class FullDisk extends FolderStore {
      private refuse(what: string): void {
        if (full(what))
          throw Object.assign(new Error(`ENOSPC: no space left on device, open '${what}'`), {
            code: 'ENOSPC',
            errno: -28,
            syscall: 'open',
            path: what,
          });
      }
      override async writeJournal(...args: Parameters<FolderStore['writeJournal']>) {
        this.refuse(`journal ${args[1]} ${args[2].taskId ? 'accepted' : 'mark'}`);
        return super.writeJournal(...args);
      }
      override async writePart(...args: Parameters<FolderStore['writePart']>) {
        this.refuse(`part ${args[1]}`);
        return super.writePart(...args);
      }
    }
    const inner = new FullDisk(root);
    return new FaultNamingStore(inner, root);
  }

  it('a full disk after a call went: the lane stops at once and returns blocked, the accepted call handed over with its journal; the next lane writes it and tracks, never sending again', async () => {
    const k = scriptedKoophone([]);
    const input = { ...laneInput('lane-calls-6'), concurrency: 1 };
    // i1's call is accepted, then the disk is full: its accepted journal cannot be written.
    let full = false;
    const store = fullDisk((what) => full || (what === 'journal i1 accepted' && (full = true)));
    const env = new MockActivityEnvironment(
      { activityId: '9', attempt: 1 },
      { logger: new DefaultLogger('ERROR'), client: progressSink },
    );
    const r = (await env.run(runLane, { client: k.client, store }, input)) as LaneResult;
    assert.equal(k.received.calls, 1, 'nothing is sent after the store failed');
    assert.equal(r.calls, 1);
    assert.equal(r.blocked?.code, 'ENOSPC');
    assert.match(r.blocked!.message, /^store: ENOSPC writing journal i1 accepted/);
    assert.deepEqual(
      r.handedOver.map((i) => [i.key, i.journal?.taskId]),
      [['i1', 't1']],
      'the accepted call travels with the item',
    );
    assert.deepEqual(
      r.unsent.map((i) => i.key),
      ['i2'],
      'the item that sent nothing goes back as it came',
    );
    assert.deepEqual(r.results, []);

    // The store heals: the next lane writes the journal first, then only tracks i1.
    full = false;
    const next: LaneInput = { ...input, items: [{ ...r.handedOver[0]!, handedOver: true }, ...r.unsent] };
    const env2 = new MockActivityEnvironment(
      { activityId: '10', attempt: 1 },
      { logger: new DefaultLogger('ERROR'), client: progressSink },
    );
    const r2 = (await env2.run(
      runLane,
      { client: k.client, store: fullDisk(() => false) },
      next,
    )) as LaneResult;
    assert.equal(r2.blocked, undefined);
    assert.equal(k.received.calls, 2, 'i1 tracked, never sent again; i2 sent');
    assert.deepEqual(r2.results.map((x) => [x.item.key, x.result.kind, x.item.journal]).sort(), [
      ['i1', 'tracked', undefined],
      ['i2', 'tracked', undefined],
    ]);
    assert.equal((await new FolderStore(root).readJournal('lane-calls-6', 'i1'))?.taskId, 't1');
  });

  it('a full disk for the lines of a tracked call: the item is handed over (its journal holds the call), none is lost', async () => {
    const k = scriptedKoophone([]);
    const input = laneInput('lane-calls-7');
    const store = fullDisk((what) => what.startsWith('part '));
    const env = new MockActivityEnvironment(
      { activityId: '9', attempt: 1 },
      { logger: new DefaultLogger('ERROR'), client: progressSink },
    );
    const r = (await env.run(runLane, { client: k.client, store }, input)) as LaneResult;
    assert.equal(r.blocked?.code, 'ENOSPC');
    assert.ok(k.received.calls >= 1 && k.received.calls <= 2, `${k.received.calls} calls`);
    assert.equal(r.calls, k.received.calls);
    // Every sent item is handed over (its accepted journal is on disk), the rest goes back unsent.
    assert.equal(r.handedOver.length, k.received.calls);
    for (const i of r.handedOver)
      assert.equal(
        (await new FolderStore(root).readJournal('lane-calls-7', i.key))?.taskId.startsWith('t'),
        true,
      );
    assert.equal(r.handedOver.length + r.unsent.length, 2);
    assert.deepEqual(r.results, []);
  });
});
