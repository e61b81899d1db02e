import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { CampaignStatus } from '../../src/campaign/status';
import { ACCOUNT_WORKFLOW_ID, type AccountView } from '../../src/workflows/account-definitions';
import { campaignEnv, waitFor } from '../helpers/campaign-env';
import { operatorCli } from '../cli/run-cli';
import { standaloneDevServer } from '../cli/standalone-server';
import { campaignResult } from '../../src/temporal/campaign-result';

// One account-wide rate: KooPhone limits calls per account, so campaigns running together share
// one budget. Judged by the simulator's own counts of batch-reset calls, second by second.
describe('account-wide rate shared by running campaigns', () => {
  const stopServer = standaloneDevServer();
  // Registered before campaignEnv's hooks, so it runs while the connection is still open.
  after(async () => {
    clearInterval(sampler);
    // The coordinator is namespace-wide: later test files must find no account limit. Cleared
    // first: every worker re-creates a terminated coordinator that still records a limit.
    await cli(['account', '--clear']);
    await env.temporal.client.workflow
      .getHandle(ACCOUNT_WORKFLOW_ID)
      .terminate('test over')
      .catch(() => undefined);
  });

  const env = campaignEnv({ instances: 40_000, jobDurationMs: '200..500', latencyMs: '2..5' });
  stopServer();
  const cli = operatorCli(env);
  const status = (id: string) => env.temporal.client.workflow.getHandle(id).query<CampaignStatus>('status');
  // The simulator's batch-reset count, sampled: calls in a time span, as KooPhone saw them.
  const samples: { at: number; calls: number }[] = [];
  let sampler: NodeJS.Timeout | undefined;
  const callsBetween = (from: number, to: number) => {
    const at = (t: number) => [...samples].reverse().find((s) => s.at <= t)?.calls ?? 0;
    return at(to) - at(from);
  };

  it('no account limit: `account` says so and campaigns keep their own rate', async () => {
    const run = await cli(['account']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /no account limits set: every campaign keeps its own --rate/);
  });

  it('two campaigns at --rate 10 under an account limit of 10: within the limit + 1 in every second, about half each; a change applies within seconds; an ending campaign gives its share back', async () => {
    const set = await cli(['account', '--rate', '10']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /account limits {2}batch-reset 10 calls\/s, other calls none/);
    const refused = await cli(['account', '--rate', '0']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--rate must be calls per second, above 0/);

    env.sim.reset();
    sampler = setInterval(
      () => samples.push({ at: Date.now(), calls: env.sim.stats().calls.batchReset }),
      100,
    );
    const opts = { rate: 10, concurrency: 40, canary: 0 };
    const file = (name: string, ids: string[]) => ({
      kind: 'file' as const,
      path: env.writeIdsFile(name, ids.join('\n') + '\n'),
      format: 'auto' as const,
    });
    const a = await env.start(opts, file('a.txt', env.ids(15_000, 0)));
    const b = await env.start(opts, file('b.txt', env.ids(15_000, 15_000)));
    await waitFor(
      async () =>
        (await status(a.workflowId)).batchResetCalls >= 5 &&
        (await status(b.workflowId)).batchResetCalls >= 5,
      30_000,
      100,
    );

    const shown = await cli(['account', '--json']);
    const view = JSON.parse(shown.stdout) as AccountView;
    assert.deepEqual(view.campaigns.map((c) => c.share.rate).sort(), [4.5, 4.5], JSON.stringify(view));
    const table = await cli(['account']);
    assert.match(table.stdout, new RegExp(`${a.workflowId}\\s+10\\s+4.5`));

    // The limit lowered while both run: from 2 s after the change, at most 4/s (+1) together.
    const lowered = await cli(['account', '--rate', '4']);
    assert.equal(lowered.code, 0, lowered.stderr);
    const changedAt = Date.now();
    await waitFor(async () => (await status(b.workflowId)).accountShare?.rate === 1.5, 3000, 100);
    await new Promise((r) => setTimeout(r, 6000 - (Date.now() - changedAt)));
    const low = callsBetween(changedAt + 2000, changedAt + 6000);
    assert.ok(low <= 4 * 4 + 2, `${low} calls in the 4 s after the change took effect (limit 4/s)`);
    assert.ok(
      low >= 3 * 4 * 0.6,
      `${low} calls in 4 s: the campaigns must still use the limit (3/s allocated)`,
    );

    const raised = await cli(['account', '--rate', '10']);
    assert.equal(raised.code, 0, raised.stderr);
    // Same size, same start: with fair shares they finish about together. When the first ends,
    // the other has made about as many calls (its own count lags its calls by one poll, ~2 s).
    const first = await Promise.race([campaignResult(a), campaignResult(b)]);
    assert.equal(first.state, 'completed');
    const [ra, other] = first.campaignId === a.workflowId ? [first, b] : [first, a];
    const otherCalls = (await status(other.workflowId)).batchResetCalls;
    const half = otherCalls / (otherCalls + ra.batchResetCalls);
    assert.ok(
      half > 0.35,
      `${other.workflowId} made ${otherCalls} calls while ${ra.campaignId} made ${ra.batchResetCalls}`,
    );
    // A ended: B gets the whole limit within a few seconds.
    await waitFor(async () => (await status(other.workflowId)).accountShare?.rate === 10, 10_000, 100);
    await waitFor(async () => (await status(other.workflowId)).currentRate === 10, 10_000, 100);
    const rb = await campaignResult(other);
    assert.equal(rb.counts.succeeded, 15_000);
    // The account's limit holds in every second too: at most limit + 1 (lanes pace their own calls,
    // so one campaign's calls never bunch, and the shares leave one call a second unallocated).
    const peak = env.sim.stats().peakRequestsPerSecond;
    console.log(`peak ${peak} batch-reset calls in one second under an account limit of 10`);
    assert.ok(peak <= 10 + 1, `peak ${peak} batch-reset calls in one second under an account limit of 10`);
    const after = JSON.parse((await cli(['account', '--json'])).stdout) as AccountView;
    assert.deepEqual(after.campaigns, [], 'ended campaigns leave the account');
  });
});
