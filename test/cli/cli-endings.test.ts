import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ReportLine } from '../../src/campaign/outcome';
import { statusQuery } from '../../src/workflows';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { operatorCli } from './run-cli';

interface Listed {
  campaignId: string;
  state: string;
}

/** What status --json says of a campaign, next to its report lines' outcomes. */
function assertStatusMatchesReport(status: Record<string, unknown>, lines: ReportLine[]): void {
  const by = countBy(lines, (l) => l.outcome);
  assert.equal(status.succeeded, by.succeeded ?? 0);
  assert.equal(status.failed, by.failed ?? 0);
  assert.equal(status.canceled, by.canceled ?? 0);
  assert.equal(status.resetsSent, lines.reduce((n, l) => n + l.resets, 0));
  assert.equal(status.pending, 0);
}

// Every way a campaign ends shows in Temporal's own list as what it is — only a completed
// campaign's execution completes — while status, list and report still read its full result.
describe('how a campaign ends, as Temporal and the CLI show it', () => {
  const env = campaignEnv({ jobDurationMs: '300..900' });
  const cli = operatorCli(env);

  async function closed(id: string) {
    const d = await env.temporal.client.workflow.getHandle(id).describe();
    return d.status.name;
  }

  it('aborted by its error budget: the execution fails (CampaignAborted); status, list and exit codes say aborted with the full counts', async () => {
    env.sim.setFaults({ jobFailureRate: 0.5 });
    try {
      const handle = await env.start(
        { batchSize: 10, rate: 10, concurrency: 4, canary: 0, maxErrors: 5, retryFailed: 0 },
        { kind: 'inline', ids: env.ids(600, 0) },
      );
      const err = await handle.result().then(
        () => assert.fail('an aborted campaign must not complete its execution'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'CampaignAborted');
      assert.match(err.cause.message, /campaign aborted: .*error budget/i);
      assert.equal(await closed(handle.workflowId), 'FAILED');
      // As the UI shows it: the type and one line, no stack trace of the engine.
      const history = await handle.fetchHistory();
      const failure = history.events!.at(-1)!.workflowExecutionFailedEventAttributes!.failure!;
      assert.equal(failure.applicationFailureInfo?.type, 'CampaignAborted');
      assert.equal(failure.stackTrace, '');
      assert.doesNotMatch(failure.message!, /\n/);

      const status = JSON.parse((await cli(['status', handle.workflowId, '--json'])).stdout) as Record<string, unknown>;
      assert.equal(status.state, 'aborted');
      assert.match(String(status.reason), /error budget/i);
      const lines = await env.report(handle.workflowId);
      assert.equal(lines.length, 600);
      assertStatusMatchesReport(status, lines);
      assert.equal(status.batchResetCalls, env.sim.stats().calls.batchReset);
      assert.equal((await cli(['watch', handle.workflowId])).code, 1);
      await waitFor(async () => {
        const listed = JSON.parse((await cli(['list', '--json'])).stdout) as Listed[];
        return listed.find((c) => c.campaignId === handle.workflowId)?.state === 'aborted';
      }, 30_000);
    } finally {
      env.sim.setFaults({ jobFailureRate: 0 });
    }
  });

  it("canceled with the CLI or with the Temporal UI's button: the execution ends Canceled, with its full result and the operator's reason", async () => {
    const viaCli = await env.start({ batchSize: 10, rate: 5, concurrency: 2, canary: 0 }, { kind: 'inline', ids: env.ids(300, 1000) });
    const viaUi = await env.start({ batchSize: 10, rate: 5, concurrency: 2, canary: 0 }, { kind: 'inline', ids: env.ids(300, 2000) });
    for (const h of [viaCli, viaUi]) await waitFor(async () => (await h.query(statusQuery)).succeeded >= 20, 60_000);
    assert.equal((await cli(['cancel', viaCli.workflowId, '--reason', 'maintenance moved'])).code, 0);
    await viaUi.cancel();
    for (const [h, execution] of [
      [viaCli, 'CANCELLED'],
      [viaUi, 'CANCELLED'],
    ] as const) {
      await h.result().catch(() => undefined);
      assert.equal(await closed(h.workflowId), execution, h.workflowId);
      const status = JSON.parse((await cli(['status', h.workflowId, '--json'])).stdout) as Record<string, unknown>;
      assert.equal(status.state, 'canceled');
      const lines = await env.report(h.workflowId);
      assert.equal(lines.length, 300);
      assertStatusMatchesReport(status, lines);
      assert.ok((status.succeeded as number) >= 20 && (status.canceled as number) > 0, JSON.stringify(status));
      for (const l of lines) assert.ok(l.resets >= (env.sim.instance(l.instance_id)?.resets ?? 0), l.instance_id);
    }
    const status = JSON.parse((await cli(['status', viaCli.workflowId, '--json'])).stdout) as { reason: string };
    assert.equal(status.reason, 'maintenance moved');
  });
});
