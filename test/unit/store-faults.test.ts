import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { OwnPartError, STORE_LOST } from '../../src/campaign/blocking';
import { FolderStore } from '../../src/report/folder-store';
import { FaultNamingStore, StoreLostError, storeFaultOf } from '../../src/report/store-faults';
import { storeIdentity } from '../../src/report/store-identity';

const sysError = (code: string, syscall: string, path?: string) =>
  Object.assign(new Error(`${code}: failed, ${syscall}`), {
    code,
    errno: -1,
    syscall,
    ...(path ? { path } : {}),
  });
const pgError = (code: string, message: string) =>
  Object.assign(new Error(message), { code, severity: 'FATAL' });

async function preparedStore(): Promise<{ root: string; store: FolderStore }> {
  const root = join(mkdtempSync(join(tmpdir(), 'kp-store-faults-')), 'reports');
  mkdirSync(root);
  const store = new FolderStore(root);
  await storeIdentity(store, true);
  await store.createCampaign('c1');
  await store.writeSpool('c1', ['p1', 'p2', 'p3'], (total) => ({
    total,
    duplicates: 0,
    skipped: 0,
    sha256: 'x',
  }));
  return { root, store };
}

function tmpFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tmp'));
}

describe('store faults: what of a store failing is a fault of the store, named for the operator', () => {
  it('system errors and PostgreSQL outages are faults; bugs and constraint errors are not', () => {
    const where = '/srv/reports';
    assert.deepEqual(
      storeFaultOf(
        sysError('ENOSPC', 'write', '/srv/reports/c1/parts/b0000001.ndjson.123.k3j9.tmp'),
        'writing',
        where,
      ),
      {
        part: 'store',
        code: 'ENOSPC',
        message: 'store: ENOSPC writing /srv/reports/c1/parts/b0000001.ndjson',
      },
    );
    assert.deepEqual(
      storeFaultOf(sysError('EROFS', 'open', '/srv/reports/c1/spool.ids.77.tmp'), 'writing', where),
      {
        part: 'store',
        code: 'EROFS',
        message: 'store: EROFS writing /srv/reports/c1/spool.ids',
      },
    );
    assert.deepEqual(storeFaultOf(sysError('ECONNREFUSED', 'connect'), 'reading', 'postgres://db:5432/k'), {
      part: 'store',
      code: 'ECONNREFUSED',
      message: 'store: ECONNREFUSED reading postgres://db:5432/k',
    });
    assert.deepEqual(
      storeFaultOf(
        pgError('57P01', 'terminating connection due to administrator command'),
        'writing',
        'postgres://db/k',
      ),
      {
        part: 'store',
        code: '57P01',
        message:
          'store: PostgreSQL 57P01 writing postgres://db/k (terminating connection due to administrator command)',
      },
    );
    assert.equal(
      storeFaultOf(pgError('53100', 'could not extend file: No space left on device'), 'writing', 'x')?.code,
      '53100',
    );
    assert.equal(
      storeFaultOf(pgError('42P01', 'relation "koophone_journal" does not exist'), 'reading', 'x')?.code,
      STORE_LOST,
    );
    assert.equal(
      storeFaultOf(new Error('Connection terminated unexpectedly'), 'writing', 'x')?.code,
      'CONNECTION_LOST',
    );
    assert.equal(
      storeFaultOf(new StoreLostError('REPORT_DIR /r/ is gone'), 'writing', 'x')?.message,
      'store: REPORT_DIR /r/ is gone',
    );
    // Not the store's fault: a constraint (a bug upstream), a TypeError, a value thrown.
    assert.equal(
      storeFaultOf(
        Object.assign(new Error('duplicate key'), { code: '23505', severity: 'ERROR' }),
        'writing',
        'x',
      ),
      undefined,
    );
    assert.equal(
      storeFaultOf(new TypeError("Cannot read properties of undefined (reading 'taskId')"), 'reading', 'x'),
      undefined,
    );
    assert.equal(storeFaultOf('boom', 'reading', 'x'), undefined);
  });

  it('a write that fails leaves no temp file', async () => {
    const { root, store } = await preparedStore();
    // The part's name is taken by a folder: the temp file is written, the rename refused.
    mkdirSync(join(root, 'c1', 'parts', 'b0000001.ndjson'));
    await assert.rejects(store.writePart('c1', 'b0000001', []), /EISDIR|ENOTEMPTY|EEXIST/);
    assert.deepEqual(tmpFiles(root), []);
    // finalize's report too: its name taken by a folder.
    rmSync(join(root, 'c1', 'parts', 'b0000001.ndjson'), { recursive: true });
    mkdirSync(join(root, 'c1', 'report.ndjson'));
    await assert.rejects(store.finalize('c1'));
    assert.deepEqual(tmpFiles(root), []);
  });

  it('REPORT_DIR deleted: every write is refused as lost, and nothing of it is made again', async () => {
    const { root, store } = await preparedStore();
    rmSync(root, { recursive: true });
    const lost = /^REPORT_DIR \S+\/reports\/ no longer holds the campaign \(its \.store-id is gone\)$/;
    await assert.rejects(
      store.writeJournal('c1', 'b0000000', { taskId: '', jobs: [], submittedAt: 1 }),
      (e: Error) => e instanceof StoreLostError && lost.test(e.message),
    );
    await assert.rejects(store.writePart('c1', 'b0000000', []), StoreLostError);
    await assert.rejects(store.finalize('c1', 'completed'), StoreLostError);
    await assert.rejects(store.probe('c1'), StoreLostError);
    await assert.rejects(
      store.createCampaign('c2'),
      /holds no \.store-id: it was deleted or replaced since its workers started/,
    );
    await assert.rejects(
      store.registerLease({ campaignId: 'c1', owner: 'r', since: 'now', total: 3 }),
      /ENOENT/,
    );
    await assert.rejects(
      store.withLeaseLock(async () => undefined),
      /ENOENT/,
    );
    assert.equal(existsSync(root), false, 'REPORT_DIR is not re-created');
  });

  it("a campaign's folder deleted (REPORT_DIR kept): refused as lost, naming the folder", async () => {
    const { root, store } = await preparedStore();
    rmSync(join(root, 'c1'), { recursive: true });
    await assert.rejects(
      store.writeJournal('c1', 'b0000000', { taskId: '', jobs: [], submittedAt: 1 }),
      /keeps its \.store-id but no longer holds the campaign's folder \S+\/c1\//,
    );
    assert.equal(existsSync(join(root, 'c1')), false);
  });

  it('probe: passes on a store that holds the campaign, leaving nothing; a folder store names a vanished spool as lost', async () => {
    const { root, store } = await preparedStore();
    await store.probe('c1');
    assert.deepEqual(readdirSync(join(root, 'c1', 'jobs')), []);
    const named = new FaultNamingStore(store, root);
    rmSync(join(root, 'c1'), { recursive: true });
    // Reading its spool meets ENOENT: asked, the store says it no longer holds the campaign.
    await assert.rejects(
      named.readSpool('c1', 0, 2),
      (e: unknown) =>
        e instanceof OwnPartError &&
        e.fault.code === STORE_LOST &&
        /no longer holds the campaign's folder/.test(e.fault.message),
    );
    // A bug is not a fault: it passes unchanged.
    const buggy = new FaultNamingStore(
      { ...store, readJournal: () => Promise.reject(new TypeError('bug')) } as unknown as FolderStore,
      root,
    );
    await assert.rejects(buggy.readJournal('c1', 'x'), TypeError);
  });
});
