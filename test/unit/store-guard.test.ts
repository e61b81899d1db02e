import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { StoreGuard } from '../../src/activities/store-guard';
import { PREPARED_STORE_MEMO } from '../../src/campaign/store-memo';
import { FolderStore, REPORT_STORE_MEMO, storeIdentity } from '../../src/report';
import type { StoreIdentity } from '../../src/campaign/store-memo';
import { WRONG_REPORT_STORE } from '../../src/campaign/blocking';

// The guard on a worker's campaign activities. Temporal's describe is the one function faked:
// it answers with the memo the engine records, and counts how often it is asked.

const newStore = () => new FolderStore(mkdtempSync(join(tmpdir(), 'koophone-guard-')));

function fakeTemporal(memo: Record<string, unknown>) {
  const calls = { describe: 0 };
  const client = {
    withAbortSignal: (_signal: AbortSignal, fn: () => unknown) => fn(),
    workflow: {
      getHandle: () => ({
        describe: () => {
          calls.describe++;
          return Promise.resolve({ memo, raw: { workflowExecutionInfo: { firstRunId: 'run-1' } } });
        },
      }),
    },
  } as unknown as Client;
  return { client, calls };
}

const inRun = (client: Client, runId = 'run-1') =>
  new MockActivityEnvironment({ workflowExecution: { workflowId: 'c-1', runId } }, { client });

async function* each(ids: string[]) {
  yield* ids;
}

describe('a worker on another store than the campaign\'s refuses its activities', () => {
  it("passes on the prepared store, asking Temporal once per campaign run (not once per activity)", async () => {
    const store = newStore();
    const own = (await storeIdentity(store, true))!;
    const { client, calls } = fakeTemporal({ [PREPARED_STORE_MEMO]: own });
    const guard = new StoreGuard(store);
    for (let i = 0; i < 5; i++) await inRun(client).run(() => guard.check('c-1'));
    assert.equal(calls.describe, 1);
    await inRun(client, 'run-2').run(() => guard.check('c-1'));
    assert.equal(calls.describe, 2, 'a new run (continue-as-new) is judged again');
  });

  it('refuses on another store with a retryable failure naming both stores and the fix', async () => {
    const store = newStore();
    const own = (await storeIdentity(store, true))!;
    const prepared: StoreIdentity = { id: 'folder:0000-prepared', where: '/srv/reports' };
    const { client, calls } = fakeTemporal({ [PREPARED_STORE_MEMO]: prepared });
    const guard = new StoreGuard(store);
    for (let i = 0; i < 3; i++) {
      await assert.rejects(
        inRun(client).run(() => guard.check('c-1')),
        (err: unknown) => {
          assert.ok(err instanceof ApplicationFailure);
          assert.equal(err.type, WRONG_REPORT_STORE);
          assert.equal(err.nonRetryable, false, 'a retry may land on a worker with the right store');
          assert.equal(
            err.message,
            `this worker's report store ${store.root} (id ${own.id}) holds nothing of campaign c-1, prepared in the report store /srv/reports (id folder:0000-prepared): give this worker the same REPORT_DIR / REPORT_SINK as the campaign's other workers`,
          );
          return true;
        },
      );
    }
    assert.equal(calls.describe, 1);
  });

  it('a campaign with no prepared store recorded: passes where its spool is, refuses where it is not', async () => {
    const started: StoreIdentity = { id: 'folder:shell', where: '/home/ops/reports' };
    const { client } = fakeTemporal({ [REPORT_STORE_MEMO]: started });
    const holding = newStore();
    await storeIdentity(holding, true);
    await holding.writeSpool('c-1', each(['p1', 'p2']), (total) => ({
      total,
      duplicates: 0,
      skipped: 0,
      sha256: 'x',
      owner: 'run-1',
    }));
    await inRun(client).run(() => new StoreGuard(holding).check('c-1'));
    // Another worker's store (its id made when it started).
    const other = newStore();
    await storeIdentity(other, true);
    await assert.rejects(
      inRun(client).run(() => new StoreGuard(other).check('c-1')),
      /holds nothing of campaign c-1, started against the report store \/home\/ops\/reports \(id folder:shell\): give this worker/,
    );
  });
});
