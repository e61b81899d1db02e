import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { describeOverlap, findOverlap } from '../../src/leases';
import { FolderStore } from '../../src/report';
import { acquireDirLock } from '../../src/report/dir-lock';
import { reportLine } from '../../src/activities/reset-batch';

async function* each(ids: string[]) {
  yield* ids;
}

async function spooled(store: FolderStore, campaignId: string, ids: string[]) {
  await store.writeSpool(campaignId, each(ids), (total) => ({
    total,
    duplicates: 0,
    skipped: 0,
    sha256: 'x',
    owner: `run-${campaignId}`,
    preparedAt: '2026-12-01T00:00:00.000Z',
  }));
  await store.registerLease({ campaignId, owner: `run-${campaignId}`, since: 'now', total: ids.length });
}

const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `p${from + i}`);

describe('phone leases in the folder store', () => {
  it('a holder holds its spool less the phones that have a report line, and releases on request', async () => {
    const store = new FolderStore(mkdtempSync(join(tmpdir(), 'leases-')));
    await spooled(store, 'x', ids(0, 10));
    const live = async () => true;
    // A list (as prepare passes it) is made a set once a live holder needs it.
    let overlap = await findOverlap(store, ids(5, 10), 'y', live);
    assert.deepEqual(
      overlap.map((o) => [o.holder.campaignId, o.ids]),
      [['x', ids(5, 5)]],
    );
    assert.match(
      describeOverlap(overlap, 10),
      /^5 of these 10 phones are held by running campaigns: 5 by x \(running since now\)$/,
    );
    // Phones finish: their lease goes with them.
    await store.writePart(
      'x',
      'i0000001',
      ids(5, 3).map((id) => reportLine(id, 'succeeded', 1, 'j', '', '')),
    );
    overlap = await findOverlap(store, new Set(ids(5, 10)), 'y', live);
    assert.deepEqual(overlap[0]?.ids, ['p8', 'p9']);
    assert.deepEqual(
      await findOverlap(store, new Set(ids(0, 10)), 'x', live),
      [],
      'a campaign never overlaps itself',
    );
    await store.releaseLease('x');
    assert.deepEqual(await findOverlap(store, new Set(ids(0, 10)), 'y', live), []);
  });

  it('a holder whose workflow no longer runs (terminated) holds nothing, and its lease is removed', async () => {
    const store = new FolderStore(mkdtempSync(join(tmpdir(), 'leases-')));
    await spooled(store, 'gone', ids(0, 10));
    await spooled(store, 'live', ids(100, 10));
    const overlap = await findOverlap(
      store,
      new Set([...ids(0, 10), ...ids(100, 10)]),
      'new',
      async (h) => h.campaignId === 'live',
    );
    assert.deepEqual(
      overlap.map((o) => o.holder.campaignId),
      ['live'],
    );
    assert.deepEqual(
      (await store.leaseHolders()).map((h) => h.campaignId),
      ['live'],
    );
  });

  it('remembers a campaign after its report, and archives it under a new name', async () => {
    const store = new FolderStore(mkdtempSync(join(tmpdir(), 'leases-')));
    await spooled(store, 'weekly', ids(0, 3));
    await store.finalize('weekly', 'completed');
    const old = await store.describeStored('weekly');
    assert.equal(old?.finalState, 'completed');
    assert.equal(old?.owner, 'run-weekly');
    assert.equal(old?.total, 3);
    const archived = await store.archive('weekly');
    assert.match(archived, /^weekly\.archived-\d{4}-\d\d-\d\dT\d{9}Z$/);
    assert.equal(await store.describeStored('weekly'), undefined);
    assert.equal((await store.describeStored(archived))?.finalState, 'completed');
    assert.deepEqual(await store.leaseHolders(), []);
  });

  it("the CLI's read-only check skips a stale holder but leaves its lease for prepare", async () => {
    const store = new FolderStore(mkdtempSync(join(tmpdir(), 'leases-')));
    await spooled(store, 'elsewhere', ids(0, 10));
    const overlap = await findOverlap(store, new Set(ids(0, 10)), 'new', async () => false, false);
    assert.deepEqual(overlap, []);
    assert.deepEqual(
      (await store.leaseHolders()).map((h) => h.campaignId),
      ['elsewhere'],
    );
  });

  it('the lease lock admits one holder at a time', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lock-')), '.lock');
    const order: string[] = [];
    const hold = async (name: string) => {
      const release = await acquireDirLock(path);
      order.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 30));
      order.push(`${name} out`);
      await release();
    };
    await Promise.all([hold('a'), hold('b'), hold('c')]);
    for (let i = 0; i < order.length; i += 2)
      assert.equal(order[i]!.split(' ')[0], order[i + 1]!.split(' ')[0]);
  });
});
