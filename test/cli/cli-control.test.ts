import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { statusQuery } from '../../src/workflows';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { FolderStore, storeIdentity } from '../../src/report';
import type { StoreCheck } from '../../src/cli/store-check';
import { killHard, spawnWorker } from '../helpers/worker-process';
import { cliEnv, operatorCli, runCli } from './run-cli';
import { standaloneDevServer } from './standalone-server';
import { campaignResult } from '../../src/temporal/campaign-result';

// Control with and without a worker, through the built CLI on a real dev server: what the
// operator sees (exit code, the line printed) and what the campaign then does (simulator counts).

void describe('control, list and report with no worker, then with one', () => {
  const stopServer = standaloneDevServer();
  const env = campaignEnv({ instances: 2000, jobDurationMs: '300..600' }, { worker: false });
  stopServer();
  const cli = operatorCli(env, () => ({ KOOPHONE_ENDPOINT: env.sim.url, KOOPHONE_TOKEN: 'sim-token' }));
  const cliEnvOf = () =>
    cliEnv({
      TEMPORAL_ADDRESS: env.temporal.address,
      TEMPORAL_NAMESPACE: env.temporal.namespace,
      TEMPORAL_TASK_QUEUE: env.taskQueue,
    });
  // The operator's signals (lanes' progress signals are the engine's own).
  const signals = async (id: string) => {
    const names: string[] = [];
    const history = await env.temporal.client.workflow.getHandle(id).fetchHistory();
    for (const e of history.events ?? [])
      if (e.workflowExecutionSignaledEventAttributes && e.workflowExecutionSignaledEventAttributes.signalName !== 'laneProgress')
        names.push(e.workflowExecutionSignaledEventAttributes.signalName!);
    return names;
  };

  void it('with no worker: recorded at once, exit 0, said so; applied when a worker starts (0 resets)', async () => {
    const ids = env.ids(300);
    const id = 'ctl-no-worker';
    const started = await cli(['start', ...ids, '--campaign-id', id, '--canary', '0', '--rate', '20']);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stderr, /warning: no worker has used this shell's report store /);

    const t0 = Date.now();
    const pause = await cli(['pause', id]);
    assert.equal(pause.code, 0, pause.stdout + pause.stderr);
    assert.match(
      pause.stdout,
      new RegExp(
        `campaign ${id}: pause recorded; no worker is running for task queue ${env.taskQueue}, it takes effect when one starts`,
      ),
    );
    const cancel = await cli(['cancel', id, '--reason', 'no worker test', '--json']);
    assert.equal(cancel.code, 0, cancel.stderr);
    const recorded = JSON.parse(cancel.stdout) as { recorded: boolean; applied: boolean; taskQueue: string };
    assert.deepEqual([recorded.recorded, recorded.applied, recorded.taskQueue], [true, false, env.taskQueue]);
    // Not a 30 s wait for an update nobody answers.
    assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);
    assert.deepEqual(await signals(id), ['pauseSignal', 'cancelSignal']);

    const now = await cli(['cancel', id, '--now']);
    assert.equal(now.code, 2, now.stdout + now.stderr);
    assert.match(now.stderr, /cancel --now needs a worker to run campaign ctl-no-worker/);

    // list: no worker to ask, so visibility's count, marked as one that may lag.
    const listed = await cli(['list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${id} +running +≥0/300 `));
    assert.match(
      listed.stderr,
      /≥: 1 running campaign counted from visibility, which lags by up to 5,000 phones/,
    );

    // Read before the campaign ends: the report says it is partial.
    const early = await cli(['report', id]);
    assert.equal(early.code, 0, early.stderr);
    assert.match(
      early.stderr,
      /partial report: 0 phones have a line \(the campaign is running; the report is final once it ends\)/,
    );

    await env.startWorker();
    const result = await campaignResult(env.temporal.client.workflow.getHandle(id));
    const out = join(env.reportDir, 'out', `${id}.csv`);
    const final = await cli(['report', id, '--out', out, '--json']);
    assert.equal(final.code, 0, final.stderr);
    assert.doesNotMatch(final.stderr, /partial/);
    assert.deepEqual(JSON.parse(final.stdout), {
      campaignId: id,
      lines: 300,
      total: 300,
      state: 'canceled',
      final: true,
      partial: false,
      format: 'csv',
      path: out,
    });
    assert.equal(result.state, 'canceled');
    assert.equal(env.sim.stats().calls.batchReset, 0, 'paused, then canceled: nothing was sent');
    const lines = await env.report(id);
    assert.deepEqual(
      countBy(lines, (l) => l.outcome),
      { canceled: 300 },
    );
    assert.ok(
      lines.every((l) => l.error_msg?.includes('no worker test')),
      lines[0]?.error_msg,
    );
  });

  void it('with a worker: checked and confirmed (paused, already paused → 2, resumed); cancel --now stops without following the batches in flight', async () => {
    const ids = env.ids(1500, 500);
    const id = 'ctl-worker';
    const started = await cli([
      'start',
      ...ids,
      '--campaign-id',
      id,
      '--canary',
      '0',
      '--rate',
      '2',
      '--concurrency',
      '2',
      '--batch-size',
      '20',
    ]);
    assert.equal(started.code, 0, started.stderr);
    const handle = env.temporal.client.workflow.getHandle(id);
    await waitFor(async () => (await handle.query(statusQuery)).batchResetCalls >= 1);

    const pause = await cli(['pause', id]);
    assert.equal(pause.code, 0, pause.stderr);
    assert.match(pause.stdout, new RegExp(`^campaign ${id}: paused, \\d+/1500 finished`));
    const again = await cli(['pause', id]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /campaign ctl-worker is already paused/);
    // list asks the running campaign itself: its count is the live one, not visibility's.
    await waitFor(async () => (await handle.query(statusQuery)).succeeded > 0, 30_000);
    const before = (await handle.query(statusQuery)).succeeded;
    const listed = JSON.parse((await cli(['list', '--json'])).stdout) as {
      campaignId: string;
      finished: number;
      counts: string;
      state: string;
    }[];
    const row = listed.find((c) => c.campaignId === id)!;
    assert.deepEqual([row.counts, row.state], ['live', 'paused']);
    assert.ok(
      row.finished >= before && row.finished <= (await handle.query(statusQuery)).succeeded,
      String(row.finished),
    );
    assert.ok(row.finished > 0, 'visibility would still say 0 (it refreshes every 5 000 phones)');

    const resume = await cli(['resume', id, '--json']);
    assert.equal(resume.code, 0, resume.stderr);
    assert.equal((JSON.parse(resume.stdout) as { state: string }).state, 'running');

    // cancel --now: no more calls, and the batches in flight are not followed to their end.
    const now = await cli(['cancel', id, '--now', '--reason', 'now test']);
    assert.equal(now.code, 0, now.stdout + now.stderr);
    assert.match(now.stdout, new RegExp(`^campaign ${id}: (canceling|canceled), `));
    assert.equal((await campaignResult(handle)).state, 'canceled');
    assert.deepEqual(await signals(id), ['pauseSignal', 'resumeSignal']);
    const ended = await env.report(id);
    assert.equal(ended.length, 1500);
    for (const l of ended) {
      const applied = env.sim.instance(l.instance_id)?.resets ?? 0;
      assert.ok(l.resets >= applied, `${l.instance_id}: report ${l.resets} < applied ${applied}`);
      if (l.outcome === 'canceled' && applied > 0) assert.notEqual(l.job_id, '', l.instance_id);
    }

    // The store: this shell's is the campaign's; a shell with another REPORT_DIR is told so.
    const same = JSON.parse((await cli(['status', id, '--json'])).stdout) as { reportStore: StoreCheck };
    assert.equal(same.reportStore.problem, undefined);
    assert.equal(same.reportStore.holdsCampaign, true);
    assert.equal(same.reportStore.campaign?.id, same.reportStore.shell?.id);
    assert.equal(same.reportStore.prepared?.id, same.reportStore.shell?.id);
    assert.match(same.reportStore.campaign!.id, /^folder:[0-9a-f-]{36}$/);
    const elsewhere = mkdtempSync(join(tmpdir(), 'koophone-other-store-'));
    const other = await runCli(['status', id], { ...cliEnvOf(), REPORT_DIR: elsewhere });
    assert.equal(other.code, 0, other.stderr);
    assert.match(
      other.stdout,
      /store {8}this shell's report store .* holds nothing of this campaign: its workers write to another store/,
    );
    await storeIdentity(new FolderStore(elsewhere), true);
    const otherWithId = await runCli(['status', id], { ...cliEnvOf(), REPORT_DIR: elsewhere });
    assert.match(
      otherWithId.stdout,
      new RegExp(
        `store {8}the campaign was prepared in the report store ${env.reportDir} \\(folder:[0-9a-f-]+\\), where its report is; this shell's is ${elsewhere} \\(folder:`,
      ),
    );
  });

  void it('a worker whose REPORT_DIR is not the store a running campaign was started against says so at start', async () => {
    await env.stopWorker();
    const id = 'ctl-other-store';
    const started = await cli(['start', ...env.ids(50, 1900), '--campaign-id', id, '--canary', '0']);
    assert.equal(started.code, 0, started.stderr);
    assert.doesNotMatch(started.stderr, /no worker has used/);
    const elsewhere = mkdtempSync(join(tmpdir(), 'koophone-worker-store-'));
    const worker = spawnWorker(env.workerProcessEnv({ REPORT_DIR: elsewhere }));
    try {
      await waitFor(() => /was started against the report store/.test(worker.output()), 60_000, 200);
    } finally {
      await killHard(worker);
    }
    assert.match(
      worker.output(),
      new RegExp(
        `campaign ${id} was started against the report store ${env.reportDir} \\(folder:[0-9a-f-]+\\), this worker's is ${elsewhere} \\(folder:[0-9a-f-]+\\) and holds nothing of it`,
      ),
    );
    await env.temporal.client.workflow.getHandle(id).terminate('test done');
  });
});
