import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { campaignEnv, waitFor } from '../helpers/campaign-env';
import { cliEnv, hasStackTrace, runCli } from '../cli/run-cli';
import { campaignResult } from '../../src/temporal/campaign-result';

interface ListedCampaign {
  campaignId: string;
  state: string;
  total: number;
  scheduledBy?: string;
}

// On the multi-service cluster, where visibility is SQL on PostgreSQL (not the dev server's
// SQLite): the campaign search attributes filter, continue-as-new keeps one campaign across runs,
// and pause/resume/cancel go through workflow updates. Schedules and `list` are covered by
// test/cli/cli-campaign.test.ts, which `npm run test:cluster` also runs against the cluster.
describe('campaigns on the cluster with SQL visibility', () => {
  const env = campaignEnv({ instances: 5000, jobDurationMs: '200..600' });
  let cliVars: NodeJS.ProcessEnv;
  const cli = async (args: string[]) => {
    const run = await runCli(args, cliVars, undefined, 120_000);
    assert.ok(!hasStackTrace(run.stderr), `no stack trace expected:\n${run.stderr}`);
    return run;
  };
  /** The campaign ids the visibility store returns for a list query. */
  const listed = async (query: string) => {
    const ids: string[] = [];
    for await (const w of env.temporal.client.workflow.list({ query })) ids.push(w.workflowId);
    return ids;
  };

  before(() => {
    cliVars = cliEnv({
      TEMPORAL_ADDRESS: env.temporal.address,
      TEMPORAL_NAMESPACE: env.temporal.namespace,
      TEMPORAL_TASK_QUEUE: env.taskQueue,
      REPORT_DIR: env.reportDir,
    });
  });

  it('continue-as-new: a small maxHistoryEvents makes several runs, one campaign, one line per phone', async () => {
    const ids = env.ids(1500);
    // One-second terms and the smallest maxHistoryEvents: every term adds its lanes' events, so the
    // runs hand over often. (Without termMs the lane engine sends these 150 calls in one 30 s term
    // and the whole campaign is one run of about 200 events: nothing to continue.)
    const { result, lines, handle } = await env.run(
      { concurrency: 15, rate: 50, batchSize: 10, canary: 0, maxHistoryEvents: 100, termMs: 1000 },
      { kind: 'inline', ids },
    );
    assert.equal(result.state, 'completed');
    assert.equal(lines.length, 1500);
    assert.deepEqual(new Set(lines.map((l) => l.instance_id)), new Set(ids));
    const runs = await listed(`WorkflowId = '${handle.workflowId}'`);
    assert.ok(runs.length >= 3, `continued as new: ${runs.length} runs in visibility`);
    // Visibility keeps every run, closed ones included: as many as the campaign counted.
    assert.equal(runs.length, result.cost.workflowRuns);
    // The filters on the campaign's own attributes find the finished campaign, and only it.
    await waitFor(
      async () =>
        (
          await listed(
            `CampaignState = 'completed' AND CampaignTotal = 1500 AND CampaignFinished = 1500 AND CampaignErrors = 0`,
          )
        ).includes(handle.workflowId),
      30_000,
      500,
    );
    assert.ok(
      !(await listed(`CampaignState = 'completed' AND CampaignErrors > 0`)).includes(handle.workflowId),
    );
    // The runs closed by continue-as-new keep the state they last upserted ('running'): a filter
    // for live campaigns needs ExecutionStatus too.
    assert.ok((await listed(`CampaignState = 'running'`)).includes(handle.workflowId));
    assert.ok(
      !(await listed(`CampaignState = 'running' AND ExecutionStatus = 'Running'`)).includes(
        handle.workflowId,
      ),
    );
  });

  it('pause, resume and cancel through the CLI; the state filters follow', async () => {
    const id = `ctl-${randomUUID().slice(0, 8)}`;
    const file = env.writeIdsFile(`${id}.txt`, env.ids(2000, 2000).join('\n'));
    const start = await cli([
      'start',
      '--ids-file',
      file,
      '--campaign-id',
      id,
      '--rate',
      '2',
      '--concurrency',
      '2',
      '--canary',
      '0',
    ]);
    assert.equal(start.code, 0, start.stderr);
    const pause = await cli(['pause', id]);
    assert.equal(pause.code, 0, pause.stderr);
    await waitFor(async () => (await listed(`CampaignState = 'paused'`)).includes(id), 30_000, 500);
    const list = JSON.parse((await cli(['list', '--json'])).stdout) as ListedCampaign[];
    assert.equal(list.find((c) => c.campaignId === id)?.state, 'paused');
    const resume = await cli(['resume', id]);
    assert.equal(resume.code, 0, resume.stderr);
    await waitFor(async () => (await listed(`CampaignState = 'running'`)).includes(id), 30_000, 500);
    const cancel = await cli(['cancel', id, '--reason', 'cluster test']);
    assert.equal(cancel.code, 0, cancel.stderr);
    const result = await campaignResult(env.temporal.client.workflow.getHandle(id));
    assert.equal(result.state, 'canceled');
    assert.equal(result.counts.succeeded + result.counts.canceled, 2000);
    await waitFor(
      async () => (await listed(`CampaignState = 'canceled' AND CampaignTotal = 2000`)).includes(id),
      30_000,
      500,
    );
  });
});
