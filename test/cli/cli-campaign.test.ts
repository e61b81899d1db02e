import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { REPORT_COLUMNS } from '../../src/campaign/outcome';
import type { ReportLineJson } from '../../src/cli/json-output';
import type { CampaignStatus } from '../../src/campaign/status';
import { campaignEnv, waitFor } from '../helpers/campaign-env';
import { cliEnv, hasStackTrace, parseCsv, runCli } from './run-cli';
import { standaloneDevServer } from './standalone-server';

interface ListedCampaign {
  campaignId: string;
  state: string;
  total: number;
  scheduledBy?: string;
}

// The operator's whole path through the built CLI, against a real dev server, a real simulator
// and a real worker: start, status, pause, resume, watch, report, list, and schedules.
describe('koophone-reset campaigns through the CLI', () => {
  const stopServer = standaloneDevServer();
  const env = campaignEnv({ instances: 5000, jobDurationMs: '200..600' });
  stopServer();
  let cliVars: NodeJS.ProcessEnv;
  const cli = async (args: string[], input?: string) => {
    const run = await runCli(args, cliVars, input);
    assert.ok(!hasStackTrace(run.stderr), `no stack trace expected:\n${run.stderr}`);
    return run;
  };
  const statusOf = async (id: string) => {
    const run = await cli(['status', id, '--json']);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as CampaignStatus;
  };

  before(() => {
    cliVars = cliEnv({
      TEMPORAL_ADDRESS: env.temporal.address,
      TEMPORAL_NAMESPACE: env.temporal.namespace,
      TEMPORAL_TASK_QUEUE: env.taskQueue,
      REPORT_DIR: env.reportDir,
    });
  });

  const finishedId = `cli-${randomUUID().slice(0, 8)}`;

  it('start → status → pause → resume → watch → report, one line per instance', async () => {
    const ids = env.ids(1500);
    const file = env.writeIdsFile('fleet-a.txt', ['# fleet A', ...ids, ids[0]].join('\n') + '\n');
    const resetsBefore = env.sim.stats().resets.total;

    const start = await cli([
      'start',
      '--ids-file',
      file,
      '--campaign-id',
      finishedId,
      '--rate',
      '2',
      '--concurrency',
      '2',
      '--canary',
      '0',
      '--json',
    ]);
    assert.equal(start.code, 0, start.stderr);
    const started = JSON.parse(start.stdout) as {
      campaignId: string;
      plan: { instances: number; duplicatesDropped: number; batches: number };
    };
    assert.equal(started.campaignId, finishedId);
    assert.deepEqual(
      [started.plan.instances, started.plan.duplicatesDropped, started.plan.batches],
      [1500, 1, 15],
    );
    // The Temporal UI's one-line summary says what, from where and how; the details list the options.
    const described = await env.temporal.client.workflow.getHandle(finishedId).describe();
    assert.equal(
      await described.staticSummary(),
      `Reset 1,500 instances from ${file} · 100/batch · 2 calls/s · 2 in flight · max errors 10% · canary 0`,
    );
    assert.match((await described.staticDetails()) ?? '', /\| re-resets of failed jobs \| 2, after 5m \|/);

    const pause = await cli(['pause', finishedId]);
    assert.equal(pause.code, 0, pause.stderr);
    assert.match(pause.stdout, new RegExp(`campaign ${finishedId}: paused`));
    const again = await cli(['pause', finishedId]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already paused/);

    // The workflow counts the dropped duplicate in total, as skipped; the report has no line for it.
    await waitFor(async () => (await statusOf(finishedId)).total === 1501, 20_000, 500);
    const paused = await statusOf(finishedId);
    assert.equal(paused.state, 'paused');
    for (const key of [
      'pending',
      'inFlight',
      'succeeded',
      'failed',
      'timedOut',
      'rejected',
      'missingJob',
      'skipped',
      'canceled',
      'resetsSent',
    ] as const) {
      assert.equal(typeof paused[key], 'number', key);
    }
    assert.ok(paused.startedAt && paused.updatedAt);
    const partial = await cli(['report', finishedId, '--format', 'ndjson']);
    assert.equal(partial.code, 0, partial.stderr);
    assert.ok(
      partial.stdout.split('\n').filter(Boolean).length < 1500,
      'a paused campaign has not finished everything',
    );

    const resume = await cli(['resume', finishedId]);
    assert.equal(resume.code, 0, resume.stderr);
    assert.match(resume.stdout, /running/);

    const watch = await cli(['watch', finishedId]);
    assert.equal(watch.code, 0, watch.stderr);
    assert.match(watch.stdout, /running \d+\/1501/, 'plain progress lines when not a terminal');
    assert.match(watch.stdout, new RegExp(`Campaign ${finishedId} completed`));

    const csv = await cli(['report', finishedId]);
    assert.equal(csv.code, 0, csv.stderr);
    const [header, ...rows] = parseCsv(csv.stdout);
    assert.deepEqual(header, REPORT_COLUMNS);
    assert.equal(rows.length, 1500);
    assert.deepEqual(new Set(rows.map((r) => r[0])), new Set(ids));
    assert.ok(rows.every((r) => r[1] === 'succeeded' && r[2] === '1'));
    // Piped to a slow reader, the CLI still hands over every line before it exits.
    const slow = await runCli(['report', finishedId], cliVars, undefined, 60_000, 5);
    assert.equal(slow.code, 0, slow.stderr);
    assert.equal(parseCsv(slow.stdout).length, 1501, 'header and 1 500 rows through a slow pipe');

    const out = join(env.reportDir, 'exports', `${finishedId}.ndjson`);
    const nd = await cli(['report', finishedId, '--format', 'ndjson', '--out', out]);
    assert.equal(nd.code, 0, nd.stderr);
    assert.match(nd.stderr, /wrote 1500 lines/);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ReportLineJson);
    assert.equal(lines.length, 1500);
    assert.equal(new Set(lines.map((l) => l.instanceId)).size, 1500);

    const done = await statusOf(finishedId);
    assert.equal(done.state, 'completed');
    assert.deepEqual([done.succeeded, done.skipped, done.failed], [1500, 1, 0]);
    assert.equal(env.sim.stats().resets.total - resetsBefore, 1500, 'every instance reset exactly once');
  });

  it('start --wait follows to the end and exits 0; --json prints one object', async () => {
    const wait = await cli(['start', ...env.ids(150, 2000), '--rate', '20', '--canary', '0', '--wait']);
    assert.equal(wait.code, 0, wait.stderr);
    assert.match(wait.stdout, /Campaign reset-\d{8}-\d{6}-[0-9a-f]{4} completed/);
    assert.match(wait.stdout, /succeeded 150, failed 0/);

    const json = await cli(['start', ...env.ids(40, 2200), '--rate', '20', '--wait', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const result = JSON.parse(json.stdout) as { campaignId: string; status: CampaignStatus };
    assert.equal(result.status.state, 'completed');
    assert.equal(result.status.succeeded, 40);
  });

  it('a schedule triggered once starts a campaign that list shows as scheduled; then it is deleted', async () => {
    const name = `nightly-${randomUUID().slice(0, 6)}`;
    const file = env.writeIdsFile(`${name}.txt`, env.ids(200, 3000).join('\n'));
    const create = await cli([
      'schedule',
      'create',
      name,
      '--cron',
      '0 3 * * SUN',
      '--timezone',
      'Asia/Shanghai',
      '--ids-file',
      file,
      '--rate',
      '20',
      '--note',
      'pool X',
    ]);
    assert.equal(create.code, 0, create.stderr);
    assert.match(create.stdout, new RegExp(`schedule ${name} created`));
    const duplicate = await cli(['schedule', 'create', name, '--cron', '0 3 * * SUN', '--all']);
    assert.equal(duplicate.code, 2);

    const described = JSON.parse((await cli(['schedule', 'describe', name, '--json'])).stdout) as {
      cron: string;
      timezone: string;
      overlap: string;
      source: { kind: string; path: string };
    };
    assert.deepEqual(
      [described.cron, described.timezone, described.overlap],
      ['0 3 * * SUN', 'Asia/Shanghai', 'SKIP'],
    );
    assert.deepEqual(described.source, { kind: 'file', path: file, format: 'auto' });
    const listed = JSON.parse((await cli(['schedule', 'list', '--json'])).stdout) as { name: string }[];
    assert.ok(listed.some((s) => s.name === name));

    const trigger = await cli(['schedule', 'trigger', name, '--json']);
    assert.equal(trigger.code, 0, trigger.stderr);
    const { campaignId } = JSON.parse(trigger.stdout) as { campaignId: string };
    assert.ok(campaignId.startsWith(`${name}-`), campaignId);

    const watch = await cli(['watch', campaignId]);
    assert.equal(watch.code, 0, watch.stderr);
    let campaign: ListedCampaign | undefined;
    await waitFor(
      async () => {
        const list = JSON.parse((await cli(['list', '--json'])).stdout) as ListedCampaign[];
        campaign = list.find((c) => c.campaignId === campaignId);
        return campaign?.state === 'completed';
      },
      20_000,
      500,
    );
    assert.equal(campaign?.scheduledBy, name);
    assert.equal(campaign?.total, 200);
    const table = await cli(['list']);
    assert.match(table.stdout, new RegExp(`${campaignId}\\s+completed\\s+200/200.*scheduled: ${name}`));

    const del = await cli(['schedule', 'delete', name]);
    assert.equal(del.code, 0, del.stderr);
    const gone = await cli(['schedule', 'describe', name]);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, new RegExp(`no schedule ${name}`));
  });

  it('status works for a finished campaign with no worker running', async () => {
    await env.stopWorker();
    const s = await statusOf(finishedId);
    assert.equal(s.state, 'completed');
    assert.equal(s.succeeded, 1500);
    // The cost the workflow returned with its result (issue 15): actions and API calls it made.
    assert.ok(s.cost, `status --json of a finished campaign has no cost: ${JSON.stringify(s)}`);
    assert.ok(s.cost.temporalActions > 0, `temporalActions ${s.cost.temporalActions}`);
    assert.equal(s.cost.workflowRuns, 1);
    assert.ok(s.cost.apiCalls >= (s.batchResetCalls ?? 0) + 15, `apiCalls ${s.cost.apiCalls}`);
    const cancel = await cli(['cancel', finishedId]);
    assert.equal(cancel.code, 2);
    assert.match(cancel.stderr, /has already ended/);
  });
});
