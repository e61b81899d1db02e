import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReportLine } from '../../src/campaign/outcome';
import { FolderStore, storeIdentity } from '../../src/report';
import { Worker } from '@temporalio/worker';
import { campaignEnv, waitFor, workflowBundle } from '../helpers/campaign-env';
import { pauseUpdate } from '../../src/workflows';
import { killHard } from '../helpers/worker-process';
import { startWorkerProcess, workerStarted, type WorkerProcess } from '../production/helpers/workers';
import type { StoreIdentity } from '../../src/campaign/store-memo';
import { recordedStores } from '../../src/temporal/store-mismatch';

// Two workers with different REPORT_DIRs on one task queue once livelocked a campaign (batches
// found no phones in their store and handed their slots back forever) and left an empty report.
// Now the store prepare wrote the campaign into is recorded with it: a worker on another store
// refuses the campaign's activities (Temporal retries them on the good worker) and refuses to
// start while such a campaign runs. Real worker processes, a real dev server, the simulator.

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the campaign store is the one prepare wrote it into; a worker on another refuses', () => {
  const env = campaignEnv({ jobDurationMs: '200..600' }, { worker: false });
  const workers: WorkerProcess[] = [];
  after(async () => {
    for (const w of workers) await killHard(w);
  });
  const worker = async (reportDir: string, extra: Record<string, string> = {}) => {
    const w = await startWorkerProcess(env.workerProcessEnv({ REPORT_DIR: reportDir, ...extra }));
    workers.push(w);
    return w;
  };
  const newDir = () => mkdtempSync(join(tmpdir(), 'koophone-other-store-'));
  const preparedStore = async (id: string): Promise<StoreIdentity | undefined> =>
    recordedStores((await env.temporal.client.workflow.getHandle(id).describe()).memo).prepared;
  const lines = async (dir: string, id: string) => {
    const out: ReportLine[] = [];
    for await (const l of new FolderStore(dir).readReport(id)) out.push(l);
    return out;
  };

  it('two workers on different stores: the campaign completes on the good one, one line per phone, resets as the simulator saw them', async (t) => {
    env.sim.reset();
    const dirs = [env.reportDir, newDir()];
    // The worker that runs a workflow task gets the activities it schedules (eager dispatch) as
    // far as it has free slots: with two slots each, a term's four lanes reach both workers.
    const busy = { WORKER_MAX_ACTIVITIES: '2' };
    const [a, b] = [await worker(dirs[0]!, busy), await worker(dirs[1]!, busy)];
    await Promise.all([workerStarted(a), workerStarted(b)]);
    const ids = env.ids(600);
    const handle = await env.start({ concurrency: 4, rate: 40, batchSize: 25, canary: 0 }, { kind: 'inline', ids });
    // The old code livelocked here: a bound, so the test fails rather than hangs.
    let bound: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      handle.result(),
      new Promise<never>((_, reject) => {
        bound = setTimeout(() => reject(new Error('the campaign did not end within 5 minutes')), 300_000);
      }),
    ]).finally(() => clearTimeout(bound));
    assert.equal(result.state, 'completed');
    // The recorded store (a patch marker and a memo upsert) replays.
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await handle.fetchHistory(), handle.workflowId);

    const prepared = await preparedStore(handle.workflowId);
    assert.ok(prepared, 'the workflow recorded the store prepare wrote the campaign into');
    const good = dirs.findIndex((d) => d === prepared.where);
    assert.ok(good >= 0, `the prepared store is one of the workers' folders: ${prepared.where}`);
    const wrongDir = dirs[1 - good]!;
    const wrong = [a, b][1 - good]!;
    assert.equal((await storeIdentity(new FolderStore(dirs[good]!)))?.id, prepared.id);

    const report = await lines(dirs[good]!, handle.workflowId);
    assert.equal(report.length, 600);
    assert.deepEqual(new Set(report.map((l) => l.instance_id)), new Set(ids));
    for (const l of report) {
      const applied = env.sim.instance(l.instance_id)?.resets ?? 0;
      assert.equal(l.resets, applied, `${l.instance_id}: report ${l.resets}, simulator ${applied}`);
    }
    const reported = report.reduce((n, l) => n + l.resets, 0);
    assert.equal(env.sim.stats().resets.total, reported, 'the simulator applied exactly the resets the report counts');
    assert.equal(env.sim.stats().resets.instances, 600);
    // Refusals were retried on the good worker: no phone was given up for them.
    assert.deepEqual(report.filter((l) => l.error_code === 'ORCHESTRATOR_ERROR'), []);
    assert.equal(result.counts.succeeded, report.filter((l) => l.outcome === 'succeeded').length);
    assert.equal(await new FolderStore(wrongDir).describeStored(handle.workflowId), undefined);

    // The wrong-store worker was refused, each time naming both stores and the fix.
    const own = (await storeIdentity(new FolderStore(wrongDir)))!;
    const refusal = new RegExp(
      `this worker's report store ${escape(wrongDir)} \\(id ${escape(own.id)}\\) holds nothing of campaign ${handle.workflowId}, ` +
        `prepared in the report store ${escape(prepared.where)} \\(id ${escape(prepared.id)}\\): give this worker the same REPORT_DIR / REPORT_SINK`,
    );
    assert.match(wrong.output(), refusal);
    t.diagnostic(`the wrong-store worker's log names both stores on ${wrong.output().split('\n').filter((l) => refusal.test(l)).length} lines (its refusals and the SDK's activity-failed lines)`);
    // Refused cleanly, still up (the old code's wrong worker died of an unhandled ENOENT on the spool).
    assert.equal(wrong.exitCode, null, wrong.output().slice(-2000));
    assert.doesNotMatch([a, b][good]!.output(), /holds nothing of campaign/);
  });

  it('a worker started on another store while a campaign runs refuses to start, naming both stores', async () => {
    for (const w of workers.splice(0)) await killHard(w);
    env.sim.reset();
    const good = await worker(env.reportDir);
    await workerStarted(good);
    // Slow enough to be running for the whole check; short terms and a small history make it
    // continue as new first: the recorded store goes on with the campaign's next run.
    const handle = await env.start(
      { concurrency: 1, rate: 1, batchSize: 10, canary: 0, termMs: 1000, maxHistoryEvents: 100 },
      { kind: 'inline', ids: env.ids(600, 1000) },
    );
    const firstRun = (await handle.describe()).runId;
    await waitFor(async () => (await handle.describe()).runId !== firstRun, 90_000, 200);
    // The next run records it again in its first workflow task.
    await waitFor(async () => (await preparedStore(handle.workflowId)) !== undefined, 30_000, 100);
    const prepared = (await preparedStore(handle.workflowId))!;
    // Paused, it continues as new no more: a new run's memo lacks the store until its first
    // workflow task, a gap the start-up check cannot see (the activities' check still refuses)
    // and that this test would otherwise hit every few seconds.
    await handle.executeUpdate(pauseUpdate);
    const current = (await handle.describe()).runId;
    // The worker's check lists running campaigns: wait until visibility shows the memo too.
    await waitFor(async () => {
      const query = `WorkflowId = '${handle.workflowId}' AND ExecutionStatus = 'Running'`;
      for await (const e of env.temporal.client.workflow.list({ query }))
        if (e.runId === current && recordedStores(e.memo).prepared) return true;
      return false;
    }, 30_000, 200);

    const elsewhere = newDir();
    const refused = await worker(elsewhere);
    const [code] = (await Promise.race([
      once(refused, 'exit'),
      sleep(60_000, undefined, { ref: false }).then(() => Promise.reject(new Error(`the worker did not exit:\n${refused.output().slice(-3000)}`))),
    ])) as [number | null];
    assert.notEqual(code, 0);
    const own = (await storeIdentity(new FolderStore(elsewhere)))!;
    assert.match(
      refused.output(),
      new RegExp(
        `this worker's report store ${escape(elsewhere)} \\(id ${escape(own.id)}\\) holds nothing of campaign ${handle.workflowId}, ` +
          `prepared in the report store ${escape(prepared.where)} \\(id ${escape(prepared.id)}\\): give this worker the same REPORT_DIR / REPORT_SINK.* this worker did not start`,
      ),
    );
    assert.doesNotMatch(refused.output(), /"worker started"/);

    // A second worker on the campaign's own store starts as usual.
    const second = await worker(env.reportDir);
    await workerStarted(second);
    await handle.terminate('test done');
  });
});
