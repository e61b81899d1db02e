import assert from 'node:assert/strict';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { ReportLine } from '../../src/campaign/outcome';
import type { CampaignStatus } from '../../src/campaign/status';
import { FolderStore } from '../../src/report';
import { campaignResult } from '../../src/temporal/campaign-result';
import { CampaignState } from '../../src/temporal/search-attributes';
import { statusQuery } from '../../src/workflows';
import { operatorCli } from '../cli/run-cli';
import { campaignEnv, waitFor } from '../helpers/campaign-env';
import { canMount, fillDisk, mountTmpfs, tmpFiles, unmountTmpfs } from '../helpers/tmpfs';

// A report store that fails under a running campaign — its disk full, REPORT_DIR deleted — blocks
// it with the cause by name (status, list, watch, the UI's search attribute) instead of failing
// it: nothing new is sent while it cannot journal, it resumes by itself once the store heals,
// and every phone the simulator reset has its line. REPORT_DIR lives on a small tmpfs of its own.

const TMPFS_SIZE = '8m';

describe(
  'a failing report store blocks the campaign with its cause and heals by itself',
  { skip: canMount ? false : 'needs root to mount a tmpfs for REPORT_DIR (CI runs as root)' },
  () => {
    const env = campaignEnv({ jobDurationMs: '200..600' }, { worker: false });
    const cli = operatorCli(env, () => ({}), 90_000);
    let mount: string;
    before(async () => {
      // REPORT_DIR is a folder on a tmpfs of its own: it can be filled, and deleted (a mount point cannot).
      mount = mountTmpfs(TMPFS_SIZE);
      env.reportDir = join(mount, 'reports');
      mkdirSync(env.reportDir);
      env.store = new FolderStore(env.reportDir);
      await env.startWorker();
    });
    after(async () => {
      await env.stopWorker();
      if (mount) unmountTmpfs(mount);
    });

    const status = async (id: string): Promise<CampaignStatus> => {
      const run = await cli(['status', id, '--json']);
      assert.equal(run.code, 0, run.stderr);
      return JSON.parse(run.stdout) as CampaignStatus;
    };
    const batchResetCalls = () => env.sim.stats().calls.batchReset;
    /** Every phone the simulator reset has one line, counting at least the resets it received. */
    const checkLines = (lines: ReportLine[], ids: string[]) => {
      assert.equal(lines.length, ids.length, 'one line per phone');
      assert.equal(new Set(lines.map((l) => l.instance_id)).size, ids.length);
      const byId = new Map(lines.map((l) => [l.instance_id, l]));
      for (const id of ids) {
        const applied = env.sim.instance(id)?.resets ?? 0;
        const line = byId.get(id);
        assert.ok(line, `${id} has no line`);
        assert.ok(
          line.resets >= applied,
          `${id}: line says ${line.resets} resets, the simulator applied ${applied}`,
        );
      }
    };
    /** Blocked, seen by the built CLI within 60 s of the fault; then nothing sent for a while. */
    const blockedOn = async (handle: WorkflowHandle, code: RegExp): Promise<CampaignStatus> => {
      let seen: CampaignStatus | undefined;
      await waitFor(
        async () => {
          seen = await status(handle.workflowId);
          return seen.state === 'blocked';
        },
        60_000,
        1000,
      );
      assert.match(seen!.blockingCause?.code ?? '', code, JSON.stringify(seen));
      // Nothing new is sent while it cannot journal (lanes stop at their first failed write).
      await sleep(2000);
      const calls = batchResetCalls();
      await sleep(6000);
      assert.equal(batchResetCalls(), calls, 'no batch-reset call while blocked');
      return seen!;
    };

    it('disk full mid-campaign: blocked with the ENOSPC cause in status, list, watch and the search attribute; freed, it resumes by itself and completes, one line per phone, no .tmp left', async (t) => {
      env.sim.reset();
      const ids = env.ids(1000);
      const handle = await env.start(
        { rate: 4, concurrency: 8, batchSize: 20, canary: 0 },
        { kind: 'inline', ids },
      );
      await waitFor(() => batchResetCalls() >= 8, 60_000);
      const ballast = fillDisk(env.reportDir);
      const filledAt = Date.now();
      let blockedSeenAt: number | undefined;
      try {
        const blocked = await blockedOn(handle, /^ENOSPC$/);
        blockedSeenAt = Date.now() - 8000;
        assert.match(
          blocked.blockedBy!,
          new RegExp(
            `^store: ENOSPC writing ${env.reportDir}/${handle.workflowId}/(jobs|parts)/\\S+ \\(since \\d\\d:\\d\\d UTC\\) — free space`,
          ),
        );
        assert.match(blocked.blockingCause!.fix, /free space on the report store's disk/);
        const text = await cli(['status', handle.workflowId]);
        assert.match(text.stdout, /^Campaign \S+: blocked/m);
        assert.match(text.stdout, /BLOCKED\s+store: ENOSPC writing /);
        const watch = await cli(['watch', handle.workflowId]);
        assert.equal(watch.code, 4, watch.stdout + watch.stderr);
        assert.match(watch.stdout, /BLOCKED\s+store: ENOSPC/);
        assert.match(watch.stdout, /resumes by itself once the cause above is fixed/);
        const list = await cli(['list', '--json']);
        const listed = JSON.parse(list.stdout) as { campaignId: string; state: string }[];
        assert.equal(listed.find((c) => c.campaignId === handle.workflowId)?.state, 'blocked');
        await waitFor(
          async () => (await handle.describe()).typedSearchAttributes.get(CampaignState) === 'blocked',
          30_000,
        );
        // The Temporal UI's current details say it too.
        const metadata = await handle.query<temporal.api.sdk.v1.IWorkflowMetadata>(
          '__temporal_workflow_metadata',
        );
        assert.match(
          metadata.currentDetails ?? '',
          /\*\*blocked\*\*[\s\S]*> \*\*Blocked:\*\* store: ENOSPC writing /,
        );
        assert.deepEqual(tmpFiles(env.reportDir), [], 'failed writes leave no temp file');
      } finally {
        rmSync(ballast, { force: true });
      }
      const freedAt = Date.now();
      await waitFor(async () => (await handle.query(statusQuery)).state !== 'blocked', 60_000, 500);
      const resumedAt = Date.now();
      const result = await campaignResult(handle);
      assert.equal(result.state, 'completed', JSON.stringify(result));
      assert.equal(result.counts.succeeded, ids.length, 'no phone marked for the store');
      const lines = await env.report(handle.workflowId);
      checkLines(lines, ids);
      // No call lost or sent again: an accepted call whose journal the full disk refused went on
      // with its item, and the next lane wrote it and only tracked it.
      assert.equal(batchResetCalls(), ids.length / 20, 'one batch-reset call per batch');
      for (const l of lines) assert.equal(l.resets, env.sim.instance(l.instance_id)?.resets, l.instance_id);
      assert.deepEqual(tmpFiles(env.reportDir), []);
      assert.equal((await handle.describe()).typedSearchAttributes.get(CampaignState), 'completed');
      t.diagnostic(
        `blocked seen by status --json ${Math.round((blockedSeenAt! - filledAt) / 1000)} s after the disk filled; ` +
          `running again ${Math.round((resumedAt - freedAt) / 1000)} s after it was freed`,
      );
    });

    it('REPORT_DIR moved away mid-campaign: blocked with "no longer holds the campaign", nothing re-created; moved back (a restore), it resumes and completes', async () => {
      env.sim.reset();
      const ids = env.ids(600, 2000);
      const handle = await env.start(
        { rate: 4, concurrency: 8, batchSize: 20, canary: 0 },
        { kind: 'inline', ids },
      );
      await waitFor(() => batchResetCalls() >= 6, 60_000);
      const aside = `${env.reportDir}.aside`;
      renameSync(env.reportDir, aside);

      const blocked = await blockedOn(handle, /^STORE_LOST$/);
      assert.match(
        blocked.blockedBy!,
        new RegExp(
          `^store: REPORT_DIR ${env.reportDir}/ no longer holds the campaign \\(its \\.store-id is gone\\) \\(since \\d\\d:\\d\\d UTC\\) — restore it from a backup`,
        ),
      );
      assert.equal(existsSync(env.reportDir), false, 'nothing re-created where REPORT_DIR was');
      // `status` says the store was lost under its workers, not that they write elsewhere.
      const text = await cli(['status', handle.workflowId]);
      assert.doesNotMatch(text.stdout + text.stderr, /write to another store/);
      assert.match(
        text.stdout + text.stderr,
        /no longer holds it \(its \.store-id is gone\): it was deleted or replaced/,
      );

      renameSync(aside, env.reportDir);
      await waitFor(async () => (await handle.query(statusQuery)).state !== 'blocked', 60_000, 500);
      const result = await campaignResult(handle);
      assert.equal(result.state, 'completed', JSON.stringify(result));
      checkLines(await env.report(handle.workflowId), ids);
      assert.deepEqual(tmpFiles(env.reportDir), []);
    });

    it('a campaign started from an id file under REPORT_DIR/inputs/: REPORT_DIR moved away blocks it on the store (not SOURCE_CHANGED); moved back, it completes', async () => {
      env.sim.reset();
      const ids = env.ids(600, 6000);
      const file = env.writeIdsFile('moved-store.txt', ids.join('\n') + '\n');
      const handle = await env.start(
        { rate: 4, concurrency: 8, batchSize: 20, canary: 0 },
        { kind: 'file', path: file, format: 'text' },
      );
      await waitFor(() => batchResetCalls() >= 6, 60_000);
      const aside = `${env.reportDir}.aside`;
      renameSync(env.reportDir, aside);
      // The lanes' check of the id file finds it gone with the store: the store is named.
      const blocked = await blockedOn(handle, /^STORE_LOST$/);
      assert.equal(blocked.blockingCause?.part, 'store');
      renameSync(aside, env.reportDir);
      const result = await campaignResult(handle);
      assert.equal(result.state, 'completed', JSON.stringify(result));
      checkLines(await env.report(handle.workflowId), ids);
    });

    it('REPORT_DIR deleted mid-campaign: blocked, nothing re-created; a plain cancel waits for it, cancel --now ends the campaign without writing anything', async () => {
      env.sim.reset();
      const ids = env.ids(600, 4000);
      const handle = await env.start(
        { rate: 4, concurrency: 8, batchSize: 20, canary: 0 },
        { kind: 'inline', ids },
      );
      await waitFor(() => batchResetCalls() >= 6, 60_000);
      rmSync(env.reportDir, { recursive: true, force: true });

      await blockedOn(handle, /^STORE_LOST$/);
      const cancel = await cli(['cancel', handle.workflowId, '--reason', 'store gone']);
      assert.equal(cancel.code, 0, cancel.stderr);
      await sleep(5000);
      const canceling = await handle.query(statusQuery);
      assert.equal(canceling.state, 'canceling', 'a plain cancel waits for the store to take its lines');
      assert.equal(canceling.blockingCause?.code, 'STORE_LOST');
      assert.equal(existsSync(env.reportDir), false, 'nothing re-created');

      const now = await cli(['cancel', handle.workflowId, '--now', '--reason', 'give up on the lost store']);
      assert.equal(now.code, 0, now.stdout + now.stderr);
      const result = await campaignResult(handle);
      assert.equal(result.state, 'canceled');
      assert.match(
        result.reason!,
        /^store gone; no report was written: store: REPORT_DIR \S+ no longer holds the campaign/,
      );
      assert.equal(result.reportLines, 0);
      assert.equal(existsSync(env.reportDir), false, 'nothing re-created by the ending either');
      const ended = await status(handle.workflowId);
      assert.equal(ended.state, 'canceled');
      assert.match(ended.reason ?? '', /no report was written/);
    });
  },
);
