import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FolderStore } from '../../src/report';
import type { PreparedSource } from '../../src/campaign/prepared-source';

const prepared = (total: number): PreparedSource => ({ total, duplicates: 0, skipped: 0, sha256: 'test' });

describe("a lane's spool reader (folder store)", () => {
  it('reads the slices readSpool reads; once closed, refuses new reads after finishing the ones under way', async () => {
    const store = new FolderStore(mkdtempSync(join(tmpdir(), 'koophone-spool-')));
    const ids = Array.from({ length: 1000 }, (_, i) => `phone-${String(i).padStart(5, '0')}`);
    await store.writeSpool('c-1', ids, prepared);
    const spool = store.openSpool('c-1');
    const slices = await Promise.all([0, 100, 900, 990].map((start) => spool.read(start, start + 100)));
    assert.deepEqual(
      slices,
      await Promise.all([0, 100, 900, 990].map((s) => store.readSpool('c-1', s, s + 100))),
    );
    assert.deepEqual(slices[3], ids.slice(990));
    assert.deepEqual(await spool.read(5, 5), []);
    // A read under way when the lane closes its reader still gets its own ids.
    const late = spool.read(500, 600);
    await spool.close();
    assert.deepEqual(await late, ids.slice(500, 600));
    await assert.rejects(spool.read(0, 10), /spool reader of campaign c-1 is closed/);
  });

  it('a campaign with no spool fails the read, not the opening', async () => {
    const store = new FolderStore(mkdtempSync(join(tmpdir(), 'koophone-spool-')));
    const spool = store.openSpool('c-none');
    await assert.rejects(spool.read(0, 10), { code: 'ENOENT' });
    await spool.close();
  });
});
