import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { campaignOptionsSchema } from '../../src/campaign/options';
import type { CampaignStatus } from '../../src/campaign/status';
import type { ReportLineJson } from '../../src/cli/json-output';
import { createKoophoneClient, Secret } from '../../src/koophone';
import { projectRoot } from '../../src/project-root';
import { FolderStore, PostgresStore, type CampaignStore } from '../../src/report';
import { createCampaignWorker } from '../../src/worker';
import { resetCampaign, statusQuery } from '../../src/workflows';
import { campaignEnv, countBy, waitFor, workflowBundle } from '../helpers/campaign-env';
import { startTestPostgres, type TestPostgres } from '../production/helpers/postgres';
import { cliEnv, hasStackTrace, runCli } from './run-cli';
import { standaloneDevServer } from './standalone-server';

// `temporal workflow terminate` of a running campaign, then the operator's `report` and
// `status --json` through the built CLI, against each store: one line per phone, no phone with
// fewer resets in the report than the simulator applied, and a status counted from that report.

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const SCHEMAS = join(projectRoot, 'docs', 'schemas');
for (const file of readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json')))
  ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as object, file);
function assertValid(schema: string, value: unknown): void {
  const validate = ajv.getSchema(`${schema}.schema.json`)!;
  assert.ok(validate(value), `${schema}.schema.json: ${ajv.errorsText(validate.errors)}`);
}

void describe('a terminated campaign: report and status rebuilt from the store and the journal', () => {
  const stopServer = standaloneDevServer();
  // Slow jobs keep many batches tracking at the terminate; failed jobs make re-reset rounds
  // (items of explicit ids), lost answers make calls that may have reset phones unanswered.
  const env = campaignEnv(
    { instances: 6000, jobDurationMs: '2000..5000', jobFailureRate: 0.15, lostResponseRate: 0.03 },
    { worker: false },
  );
  stopServer();

  /** A worker on a queue of its own with `store`, and the built CLI as its operator runs it. */
  const campaignWorker = async (store: CampaignStore, storeEnv: Record<string, string>) => {
    const taskQueue = `terminate-${randomUUID()}`;
    const worker = await createCampaignWorker({
      connection: env.temporal.nativeConnection,
      namespace: env.temporal.namespace,
      taskQueue,
      client: createKoophoneClient({
        endpoint: env.sim.url,
        timeoutMs: 5000,
        auth: { kind: 'static', token: new Secret('sim-token') },
      }),
      store,
      workflowBundle: await workflowBundle(),
    });
    const running = worker.run();
    const cli = async (args: string[]) => {
      const vars = cliEnv({
        TEMPORAL_ADDRESS: env.temporal.address,
        TEMPORAL_NAMESPACE: env.temporal.namespace,
        TEMPORAL_TASK_QUEUE: taskQueue,
        ...storeEnv,
      });
      const r = await runCli(args, vars, undefined, 120_000);
      assert.ok(!hasStackTrace(r.stderr), r.stderr);
      return r;
    };
    const stop = async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    };
    return { taskQueue, cli, stop };
  };

  const run = async (store: CampaignStore, storeEnv: Record<string, string>, offset: number) => {
    const { taskQueue, cli, stop } = await campaignWorker(store, storeEnv);
    const ids = env.ids(2000, offset);
    const campaignId = `terminated-${randomUUID().slice(0, 8)}`;
    try {
      const handle = await env.temporal.client.workflow.start(resetCampaign, {
        taskQueue,
        workflowId: campaignId,
        args: [
          {
            options: campaignOptionsSchema.parse({
              campaignId,
              batchSize: 25,
              concurrency: 30,
              rate: 4,
              termMs: 3000,
              canary: 0,
              retryFailed: 2,
              retryDelayMs: 500,
              maxErrors: '100%',
            }),
            source: { kind: 'inline', ids },
          },
        ],
      });
      // Mid-way: some phones finished, many batches tracking, re-reset rounds under way.
      await waitFor(async () => {
        const s = await handle.query(statusQuery);
        return s.succeeded + s.failed >= 600;
      }, 120_000);
      await handle.terminate('terminate test: maintenance');

      const report = await cli(['report', campaignId, '--format', 'ndjson']);
      assert.equal(report.code, 0, report.stderr);
      // The rebuild waited for the lanes to learn of the terminate: none sends after it.
      const callsAtRebuild = env.sim.stats().calls.batchReset;
      assert.match(
        report.stderr,
        new RegExp(
          `report of ${campaignId} rebuilt from the store and the journal after the campaign terminated`,
        ),
      );
      assert.doesNotMatch(report.stderr, /partial report/);
      const lines = report.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as ReportLineJson);

      const statusRun = await cli(['status', campaignId, '--json']);
      assert.equal(statusRun.code, 0, statusRun.stderr);
      const status = JSON.parse(statusRun.stdout) as CampaignStatus & {
        reportRebuilt?: { after: string; at: string };
      };
      const text = await cli(['status', campaignId]);
      const out = await cli([
        'report',
        campaignId,
        '--out',
        join(mkdtempSync(join(tmpdir(), 'terminated-')), 'r.csv'),
        '--json',
      ]);
      const summary = JSON.parse(out.stdout) as {
        lines: number;
        final: boolean;
        partial: boolean;
        rebuiltAfter?: string;
      };

      // Nothing may still be sending: stop the worker, then read what the simulator applied.
      await stop();

      assert.equal(env.sim.stats().calls.batchReset, callsAtRebuild, 'a batch-reset call after the rebuild');
      // Exactly one line per phone.
      assert.equal(lines.length, ids.length);
      assert.deepEqual(new Set(lines.map((l) => l.instanceId)), new Set(ids));
      // Never fewer resets in the report than the API applied to a phone.
      const under = lines.filter((l) => l.resets < (env.sim.instance(l.instanceId)?.resets ?? 0));
      assert.deepEqual(
        under.map((l) => [l.instanceId, l.outcome, l.resets, env.sim.instance(l.instanceId)?.resets]),
        [],
        'phones the report counts fewer resets for than the simulator applied',
      );
      // The terminate caught phones tracking (reset, job named), and phones never sent (0 resets).
      const canceled = lines.filter((l) => l.outcome === 'canceled');
      const tracking = canceled.filter((l) => l.jobId !== '' && l.resets >= 1);
      assert.ok(
        tracking.length > 0,
        `no canceled phone with its job: ${JSON.stringify(countBy(canceled, (l) => l.errorMsg.split(':')[1] ?? ''))}`,
      );
      assert.ok(
        tracking.every((l) =>
          /state unknown: campaign terminated while the job was running/.test(l.errorMsg),
        ),
      );
      assert.ok(canceled.some((l) => l.resets === 0 && env.sim.instance(l.instanceId)?.resets === 0));
      // A re-reset round's call (an item of explicit ids) counts on top of the first round's.
      assert.ok(
        tracking.some((l) => l.resets >= 2),
        'no phone caught in its re-reset round',
      );
      for (const l of canceled) {
        assert.equal(l.errorCode, 'TERMINATED');
        assert.match(l.errorMsg, /^campaign terminated by .+: terminate test: maintenance: /);
      }
      assert.ok(lines.some((l) => l.outcome === 'succeeded'));

      // status: terminated, by whom and why, counted from the report.
      assertValid('status', status);
      assertValid('report', summary);
      assert.equal(status.state, 'terminated');
      assert.match(status.reason ?? '', /^terminated by .+: terminate test: maintenance; report rebuilt/);
      assert.equal(status.reportRebuilt?.after, 'terminated');
      const byOutcome = countBy(lines, (l) => l.outcome);
      assert.deepEqual(
        {
          total: status.total,
          pending: status.pending,
          inFlight: status.inFlight,
          succeeded: status.succeeded,
          failed: status.failed,
          timedOut: status.timedOut,
          rejected: status.rejected,
          missingJob: status.missingJob,
          skipped: status.skipped,
          canceled: status.canceled,
          resetsSent: status.resetsSent,
        },
        {
          total: ids.length,
          pending: 0,
          inFlight: 0,
          succeeded: byOutcome.succeeded ?? 0,
          failed: byOutcome.failed ?? 0,
          timedOut: byOutcome.timed_out ?? 0,
          rejected: byOutcome.rejected ?? 0,
          missingJob: byOutcome.missing_job ?? 0,
          skipped: byOutcome.skipped ?? 0,
          canceled: byOutcome.canceled ?? 0,
          resetsSent: lines.reduce((n, l) => n + l.resets, 0),
        },
      );
      const applied = ids.reduce((n, id) => n + (env.sim.instance(id)?.resets ?? 0), 0);
      assert.ok(
        status.resetsSent >= applied,
        `resets sent ${status.resetsSent}, the simulator applied ${applied}`,
      );
      assert.equal(text.code, 0, text.stderr);
      assert.match(
        text.stdout,
        new RegExp(`Campaign ${campaignId}: terminated \\(terminated by .+: terminate test: maintenance`),
      );
      assert.match(text.stdout, /in progress {2}0 in flight, 0 pending/);

      // Rebuilt once: later reads find the final report and say it was rebuilt.
      assert.equal(out.code, 0, out.stderr);
      assert.doesNotMatch(out.stderr, /waiting/);
      assert.deepEqual(
        {
          lines: summary.lines,
          final: summary.final,
          partial: summary.partial,
          rebuiltAfter: summary.rebuiltAfter,
        },
        { lines: ids.length, final: true, partial: false, rebuiltAfter: 'terminated' },
      );
      return { campaignId, ids };
    } finally {
      await stop().catch(() => undefined);
    }
  };

  void it('folder store (REPORT_DIR)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'terminated-folder-'));
    const { campaignId, ids } = await run(new FolderStore(dir), { REPORT_DIR: dir }, 0);
    // The rebuilt report is the campaign's final report file, which the HTML report reads too.
    const file = readFileSync(join(dir, campaignId, 'report.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean);
    assert.equal(file.length, ids.length);
  });

  void it('PostgreSQL store (REPORT_SINK)', async () => {
    let pg: TestPostgres | undefined;
    let store: PostgresStore | undefined;
    try {
      pg = await startTestPostgres();
      store = new PostgresStore(pg.url);
      await run(store, { REPORT_SINK: pg.url }, 3000);
    } finally {
      await store?.close();
      pg?.stop();
    }
  });

  void it('a campaign cut by its Temporal execution timeout: rebuilt the same way, status failed, timed out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'timed-out-folder-'));
    const { taskQueue, cli, stop } = await campaignWorker(new FolderStore(dir), { REPORT_DIR: dir });
    const ids = env.ids(600, 5000);
    const campaignId = `timed-out-${randomUUID().slice(0, 8)}`;
    try {
      const handle = await env.temporal.client.workflow.start(resetCampaign, {
        taskQueue,
        workflowId: campaignId,
        workflowExecutionTimeout: '8s',
        args: [
          {
            options: campaignOptionsSchema.parse({
              campaignId,
              batchSize: 20,
              concurrency: 10,
              rate: 2,
              canary: 0,
            }),
            source: { kind: 'inline', ids },
          },
        ],
      });
      await assert.rejects(handle.result());
      assert.equal((await handle.describe()).status.name, 'TIMED_OUT');
      const statusRun = await cli(['status', campaignId, '--json']);
      assert.equal(statusRun.code, 0, statusRun.stderr);
      const status = JSON.parse(statusRun.stdout) as CampaignStatus & { reportRebuilt?: { after: string } };
      const html = join(dir, 'report.html');
      const page = await cli(['report', campaignId, '--format', 'html', '--out', html]);
      assert.equal(page.code, 0, page.stderr);
      assert.match(page.stderr, /rebuilt from the store and the journal after the campaign timed out/);
      await stop();

      assertValid('status', status);
      assert.equal(status.state, 'failed');
      assert.match(
        status.reason ?? '',
        /^timed out \(its Temporal execution or run timeout\); report rebuilt/,
      );
      assert.equal(status.reportRebuilt?.after, 'timed out');
      const lines: { instance_id: string; outcome: string; resets: number; error_code: string }[] =
        readFileSync(join(dir, campaignId, 'report.ndjson'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map(
            (l) =>
              JSON.parse(l) as { instance_id: string; outcome: string; resets: number; error_code: string },
          );
      assert.equal(lines.length, ids.length);
      assert.equal(status.canceled, lines.filter((l) => l.outcome === 'canceled').length);
      assert.ok(lines.some((l) => l.outcome === 'canceled' && l.error_code === 'WORKFLOW_TIMED_OUT'));
      assert.deepEqual(
        lines.filter((l) => l.resets < (env.sim.instance(l.instance_id)?.resets ?? 0)),
        [],
      );
      assert.match(readFileSync(html, 'utf8'), /timed out/);
    } finally {
      await stop().catch(() => undefined);
    }
  });
});
