import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { checkConnectivity } from '../../src/workflows';
import { requireTemporalCli } from '../../src/temporal/locate-cli';
import { campaignEnv } from '../helpers/campaign-env';
import { saveHistory } from '../helpers/histories';

describe('foundation: a real Temporal dev server runs the smoke workflow', () => {
  const env = campaignEnv({ instances: 1234 });

  it('runs one activity that reaches KooPhone (the simulator) and returns its answer', async () => {
    const workflowId = `smoke-${Date.now()}`;
    const handle = await env.temporal.client.workflow.start(checkConnectivity, {
      taskQueue: env.taskQueue,
      workflowId,
    });
    assert.deepEqual(await handle.result(), { ok: true, totalCount: 1234, endpoint: env.sim.url });
    assert.equal(env.sim.stats().calls.listInstances, 1);

    // The harness's server is the real Temporal server: its own CLI lists the workflow.
    const listed = execFileSync(
      requireTemporalCli().path,
      [
        'workflow',
        'list',
        '--address',
        env.temporal.address,
        '--namespace',
        env.temporal.namespace,
        '--query',
        `WorkflowId = '${workflowId}'`,
        '--output',
        'json',
      ],
      { encoding: 'utf8' },
    );
    const rows = JSON.parse(listed) as { execution: { workflowId: string }; status: string }[];
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.execution.workflowId, workflowId);
    await saveHistory(env.temporal.client, env.temporal.address, workflowId, 'smoke-check-connectivity');
  });

  it('registers the campaign search attributes on the namespace', async () => {
    const { customAttributes } = await env.temporal.client.connection.operatorService.listSearchAttributes({
      namespace: env.temporal.namespace,
    });
    for (const name of ['CampaignState', 'CampaignTotal', 'CampaignFinished', 'CampaignErrors']) {
      assert.ok(customAttributes && name in customAttributes, `${name} registered`);
    }
  });
});
