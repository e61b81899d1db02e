import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { findCoordinator } from '../../src/account/coordinator';
import type { CampaignStatus } from '../../src/campaign/status';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { campaignResult } from '../../src/temporal/campaign-result';
import type { resetCampaign } from '../../src/workflows';
import {
  ACCOUNT_TASK_QUEUE,
  ACCOUNT_WORKFLOW,
  ACCOUNT_WORKFLOW_ID,
  accountQuery,
  accountShareSignal,
  joinAccountUpdate,
  type AccountView,
} from '../../src/workflows/account-definitions';
import { campaignEnv, waitFor } from '../helpers/campaign-env';
import { operatorCli } from '../cli/run-cli';
import { temporalJson } from '../reliability/support/temporal-cli';

const LIMIT = 4;
// The account's promise: at most limit + max(1, limit/10) batch-reset calls in any second.
const MAX_PER_SECOND = LIMIT + Math.max(1, LIMIT / 10);

// The account limit cannot be orphaned (issue 24 item 6): set from a shell whose task queue no
// worker polls, the coordinator terminated mid-run (with the real `temporal` CLI), re-created by a
// campaign, by every worker, and moved from a task queue no worker polls; campaigns that wait say
// why. Judged by the simulator's own count of batch-reset calls in every second.
describe('the account coordinator cannot be orphaned', () => {
  // The coordinator is namespace-wide: this file runs on a dev server of its own, so no other
  // file's workers poll the account's task queue, and its limits reach no other file's campaigns.
  let server: DevServer | undefined;
  let harness: string | undefined;
  before(async () => {
    // With the namespace npm test leased to this file (test-N beside other files): the campaigns,
    // workers and CLI of this file use it, and a server without it left them waiting for ever.
    const namespace = process.env.TEMPORAL_TEST_NAMESPACE ?? 'default';
    server = await startDevServer({
      headless: true,
      moreNamespaces: namespace === 'default' ? [] : [namespace],
    });
    harness = process.env.TEMPORAL_TEST_ADDRESS;
    process.env.TEMPORAL_TEST_ADDRESS = server.address;
  });
  // A campaign env whose worker starts without the account's task queue (phase 1: none polls it).
  const env = campaignEnv(
    { instances: 40_000, jobDurationMs: '200..500', latencyMs: '2..5' },
    { worker: false },
  );
  after(async () => {
    await server?.stop();
    if (harness === undefined) delete process.env.TEMPORAL_TEST_ADDRESS;
    else process.env.TEMPORAL_TEST_ADDRESS = harness;
  });

  const cli = operatorCli(env);
  // An operator's shell whose TEMPORAL_TASK_QUEUE no worker polls.
  const elsewhere = operatorCli(env, () => ({ TEMPORAL_TASK_QUEUE: 'laptop-shell' }));
  const client = () => env.temporal.client;
  const status = (id: string) => client().workflow.getHandle(id).query<CampaignStatus>('status');
  const statusJson = async (id: string) => {
    const run = await cli(['status', id, '--json']);
    assert.equal(run.code === 0 || run.code === 4, true, run.stderr);
    return JSON.parse(run.stdout) as CampaignStatus & { blockedBy?: string };
  };
  const accountView = async () => {
    const run = await cli(['account', '--json']);
    assert.equal(run.code, 0, run.stderr);
    return { view: JSON.parse(run.stdout) as AccountView, stderr: run.stderr };
  };
  const terminateCoordinator = () =>
    temporalJson(
      ['workflow', 'terminate', '--workflow-id', ACCOUNT_WORKFLOW_ID, '--reason', 'operator terminated it'],
      env.temporal,
    );
  const peak = () => env.sim.stats().peakRequestsPerSecond;
  const campaigns: WorkflowHandle<typeof resetCampaign>[] = [];
  let next = 0;
  const start = async (n: number) => {
    const ids = env.ids(n, next);
    next += n;
    const path = env.writeIdsFile(`c${campaigns.length}.txt`, ids.join('\n') + '\n');
    const handle = await env.start(
      { rate: 10, concurrency: 40, canary: 0, batchSize: 10 },
      { kind: 'file', path, format: 'auto' },
    );
    campaigns.push(handle);
    return handle;
  };
  const calls = async (id: string, atLeast: number) =>
    waitFor(async () => (await status(id)).batchResetCalls >= atLeast, 60_000, 200);
  // The campaign worker and the account's, as the earlier tests leave them (so a test runs alone too).
  const withWorkers = async () => {
    if (!env.worker) await env.startWorker();
    else if (!env.accountWorker) await env.startAccountWorker();
  };
  // Whether the coordinator swept (listed the running campaigns) after `t` and decided on it.
  const sweptSince = async (t: number) => {
    const events = (await client().workflow.getHandle(ACCOUNT_WORKFLOW_ID).fetchHistory()).events ?? [];
    const at = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000;
    const sweeps = new Set(
      events
        .filter(
          (e) =>
            e.activityTaskScheduledEventAttributes?.activityType?.name === 'runningCampaigns' && at(e) >= t,
        )
        .map((e) => String(e.eventId)),
    );
    const listedAt = events.findIndex((e) =>
      sweeps.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)),
    );
    return listedAt >= 0 && events.slice(listedAt).some((e) => e.workflowTaskCompletedEventAttributes);
  };

  it('no worker polls the account task queue: `account --rate` from any shell changes nothing and says why', async () => {
    await env.startWorker({ account: false });
    const refused = await elsewhere(['account', '--rate', String(LIMIT)]);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(
      refused.stderr,
      /^error: no worker polls task queue koophone-account, where the account coordinator \(koophone-account\) would run: start a worker \(koophone-reset worker\).*; the limits were not changed$/m,
    );
    assert.deepEqual(await findCoordinator(client()), { status: 'none' }, 'no coordinator was made');
  });

  it('a limit recorded while no worker serves the coordinator: a new campaign is blocked, says why, sends nothing, and resumes by itself once one does', async () => {
    // As after every worker that polled the account's queue went away (or an older version's only run).
    await client().workflow.start(ACCOUNT_WORKFLOW, {
      workflowId: ACCOUNT_WORKFLOW_ID,
      taskQueue: ACCOUNT_TASK_QUEUE,
      args: [{ limits: { rate: LIMIT } }],
    });
    const x = await start(3000);
    await waitFor(async () => (await status(x.workflowId)).state === 'blocked', 30_000, 200);
    const blocked = await statusJson(x.workflowId);
    assert.match(
      blocked.blockedBy ?? '',
      /^coordinator: no worker polls task queue koophone-account, where the account coordinator \(koophone-account\) runs \(since .*\) — start a worker/,
    );
    assert.equal(blocked.blockingCause?.part, 'coordinator');
    assert.equal(env.sim.stats().calls.batchReset, 0, 'nothing is sent without a share');
    const list = await cli(['list', '--json']);
    assert.match(list.stdout, /"state": "blocked"/);

    await env.startAccountWorker();
    await waitFor(async () => (await status(x.workflowId)).state === 'running', 60_000, 500);
    await calls(x.workflowId, 5);
    assert.equal((await status(x.workflowId)).accountShare?.rate, LIMIT, 'alone: the whole limit');
  });

  it('the limit set again from a shell on a task queue no worker polls: applied by the coordinator on the account queue; a second campaign shares it', async () => {
    const set = await elsewhere(['account', '--rate', String(LIMIT)]);
    assert.equal(set.code, 0, set.stderr);
    const found = await findCoordinator(client());
    assert.equal(found.status === 'running' && found.taskQueue, ACCOUNT_TASK_QUEUE);
    const y = await start(3000);
    await calls(y.workflowId, 3);
    const { view } = await accountView();
    assert.deepEqual(
      view.campaigns.map((c) => c.campaignId).sort(),
      campaigns.map((c) => c.workflowId).sort(),
    );
    assert.ok(peak() <= MAX_PER_SECOND, `peak ${peak()} calls in a second under a limit of ${LIMIT}`);
  });

  it('terminated mid-run: a new campaign re-creates it with the recorded limit and every campaign holding a share; never over the limit', async () => {
    const before = await findCoordinator(client());
    await terminateCoordinator();
    const z = await start(3000);
    await calls(z.workflowId, 3);
    // The three campaigns together, from the terminate on: never over the limit.
    await new Promise((r) => setTimeout(r, 5000));
    assert.ok(peak() <= MAX_PER_SECOND, `peak ${peak()} calls in a second under a limit of ${LIMIT}`);
    const after = await findCoordinator(client());
    assert.ok(
      after.status === 'running' && before.status === 'running' && after.runId !== before.runId,
      're-created',
    );
    const { view } = await accountView();
    assert.deepEqual(view.limits, { rate: LIMIT });
    assert.deepEqual(
      view.campaigns.map((c) => c.campaignId).sort(),
      campaigns.map((c) => c.workflowId).sort(),
      'the re-created coordinator knows the campaigns that held a share',
    );
    const shares = view.campaigns.reduce((n, c) => n + (c.share.rate ?? 0), 0);
    assert.ok(shares <= LIMIT, `shares add up to ${shares}`);
    // Each campaign is told its new share (the first ones held their old, larger one meanwhile).
    for (const c of view.campaigns) {
      await waitFor(
        async () => (await status(c.campaignId)).accountShare?.rate === c.share.rate,
        10_000,
        200,
      );
    }
    await new Promise((r) => setTimeout(r, 5000));
    assert.ok(peak() <= MAX_PER_SECOND, `peak ${peak()} calls in a second under a limit of ${LIMIT}`);
  });

  it('terminated again with nobody asking: every worker re-creates it within a minute, knowing the campaigns that hold a share', async () => {
    const before = await findCoordinator(client());
    await terminateCoordinator();
    const terminatedAt = Date.now();
    await waitFor(
      async () => {
        const now = await findCoordinator(client());
        return now.status === 'running' && before.status === 'running' && now.runId !== before.runId;
      },
      60_000,
      500,
    );
    console.log(`re-created by a worker ${Date.now() - terminatedAt} ms after the terminate`);
    const { view, stderr } = await accountView();
    assert.doesNotMatch(stderr, /re-created/, 'the worker had re-created it before `account` looked');
    assert.deepEqual(view.limits, { rate: LIMIT });
    assert.deepEqual(
      view.campaigns.map((c) => c.campaignId).sort(),
      campaigns.map((c) => c.workflowId).sort(),
    );
    await new Promise((r) => setTimeout(r, 3000));
    assert.ok(peak() <= MAX_PER_SECOND, `peak ${peak()} calls in a second under a limit of ${LIMIT}`);
  });

  it('`account` after a terminate re-creates it at once and says so', async () => {
    // A worker that re-creates it only every 10 minutes: `account` is the one that does here.
    await env.stopAccountWorker();
    await env.startAccountWorker({ keepEveryMs: 600_000 });
    await terminateCoordinator();
    const { view, stderr } = await accountView();
    assert.match(
      stderr,
      /the account coordinator had been terminated.*re-created with its recorded limits and the 3 campaigns holding a share/,
    );
    assert.equal(view.campaigns.length, 3);
    for (const c of campaigns) assert.equal((await cli(['cancel', c.workflowId])).code, 0);
    for (const c of campaigns) await campaignResult(c).catch(() => undefined);
    assert.ok(peak() <= MAX_PER_SECOND, `peak ${peak()} calls in a second under a limit of ${LIMIT}`);
    console.log(
      `peak ${peak()} batch-reset calls in a second under an account limit of ${LIMIT} (at most ${MAX_PER_SECOND})`,
    );
  });

  it('a coordinator of an earlier version on a task queue no worker polls (a laptop .data): moved to the account queue with its limit, and the campaign runs under it', async () => {
    const cleared = await cli(['account', '--clear']);
    assert.equal(cleared.code, 0, cleared.stderr);
    await terminateCoordinator();
    env.sim.reset();
    await client().workflow.start(ACCOUNT_WORKFLOW, {
      workflowId: ACCOUNT_WORKFLOW_ID,
      taskQueue: 'laptop-shell',
      args: [{ limits: { rate: LIMIT } }],
    });
    const w = await start(300);
    const result = await campaignResult(w);
    assert.equal(result.state, 'completed');
    const found = await findCoordinator(client());
    assert.equal(found.status === 'running' && found.taskQueue, ACCOUNT_TASK_QUEUE, 'moved');
    assert.ok(peak() <= MAX_PER_SECOND, `peak ${peak()} calls in a second under a limit of ${LIMIT}`);
    assert.ok(peak() >= 2, `peak ${peak()}: the campaign ran at the limit`);
  });

  it('`account --clear` removes the limit: a terminate then brings nothing back, and campaigns keep their own rate', async () => {
    const cleared = await cli(['account', '--clear']);
    assert.equal(cleared.code, 0, cleared.stderr);
    await terminateCoordinator();
    const shown = await cli(['account']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /no account limits set: every campaign keeps its own --rate/);
    assert.equal((await findCoordinator(client())).status, 'ended', 'not re-created');
    env.sim.reset();
    const v = await start(300);
    await calls(v.workflowId, 3);
    assert.equal((await status(v.workflowId)).accountShare, undefined, 'no share: its own rate');
    await campaignResult(v);
    assert.ok(peak() > MAX_PER_SECOND, `peak ${peak()}: at its own --rate 10, above the old limit`);
  });

  it('the limit set from a shell on a task queue no worker polls, no coordinator running: made on the account queue, served at once, campaigns under it', async () => {
    const set = await elsewhere(['account', '--rate', String(LIMIT)]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /account limits {2}batch-reset 4 calls\/s/);
    const found = await findCoordinator(client());
    assert.equal(found.status === 'running' && found.taskQueue, ACCOUNT_TASK_QUEUE);
    env.sim.reset();
    const [u1, u2] = [await start(300), await start(300)];
    for (const u of [u1, u2]) assert.equal((await campaignResult(u)).state, 'completed');
    assert.ok(peak() <= MAX_PER_SECOND, `peak ${peak()} calls in a second under a limit of ${LIMIT}`);
    assert.equal((await cli(['account', '--clear'])).code, 0);
  });
  it('terminated while a campaign waits to join: the re-created coordinator lists the campaigns holding a share at once; the waiting one sends nothing and joins it within a minute', async () => {
    await withWorkers();
    const set = await cli(['account', '--rate', String(LIMIT)]);
    assert.equal(set.code, 0, set.stderr);
    env.sim.reset();
    const holder = await start(3000);
    await calls(holder.workflowId, 3);
    // Nobody serves the coordinator (every worker's account side gone) while it is terminated and a
    // second campaign comes to join: that campaign re-creates it from its record (the holder in
    // it) and waits, blocked, for an answer — as the chaos test's second campaign did (seed 7).
    await env.stopAccountWorker();
    const before = await findCoordinator(client());
    await terminateCoordinator();
    const waiter = await start(3000);
    await waitFor(
      async () => {
        const now = await findCoordinator(client());
        return now.status === 'running' && before.status === 'running' && now.runId !== before.runId;
      },
      30_000,
      200,
    );
    await waitFor(async () => (await status(waiter.workflowId)).state === 'blocked', 60_000, 500);
    const blocked = await status(waiter.workflowId);
    assert.equal(blocked.blockingCause?.part, 'coordinator', JSON.stringify(blocked.blockingCause));
    assert.equal(blocked.accountShare, undefined);
    assert.equal(blocked.batchResetCalls, 0, 'nothing is sent without a share');

    await env.startAccountWorker();
    const answeredAt = Date.now();
    const first = await client().workflow.getHandle(ACCOUNT_WORKFLOW_ID).query(accountQuery);
    assert.ok(
      first.campaigns.some((c) => c.campaignId === holder.workflowId),
      `the campaign holding a share is listed at the first look: ${JSON.stringify(first.campaigns)}`,
    );
    const listed = async () =>
      (await client().workflow.getHandle(ACCOUNT_WORKFLOW_ID).query(accountQuery)).campaigns.some(
        (c) => c.campaignId === waiter.workflowId,
      );
    console.log(
      `the waiting campaign ${first.campaigns.some((c) => c.campaignId === waiter.workflowId) ? 'was' : 'was not yet'} listed at the first look`,
    );
    // Within the minute a blocked campaign promises to resume in once its part heals.
    await waitFor(listed, 60_000, 500);
    await waitFor(
      async () => (await status(waiter.workflowId)).accountShare !== undefined,
      60_000 - (Date.now() - answeredAt),
      500,
    );
    console.log(`the waiting campaign joined ${Date.now() - answeredAt} ms after the coordinator answered`);
    await calls(waiter.workflowId, 3);
    const { view } = await accountView();
    assert.deepEqual(
      view.campaigns.map((c) => c.campaignId).sort(),
      [holder.workflowId, waiter.workflowId].sort(),
    );
    for (const c of [holder, waiter]) assert.equal((await cli(['cancel', c.workflowId])).code, 0);
    for (const c of [holder, waiter]) await campaignResult(c).catch(() => undefined);
    assert.ok(peak() <= MAX_PER_SECOND, `peak ${peak()} calls in a second under a limit of ${LIMIT}`);
    assert.equal((await cli(['account', '--clear'])).code, 0);
  });
  it('a member that runs but that visibility does not list (it lags, as after a continue-as-new) is kept past the sweep and told its share again; dropped once it has ended', async () => {
    await withWorkers();
    const set = await cli(['account', '--rate', String(LIMIT)]);
    assert.equal(set.code, 0, set.stderr);
    env.sim.reset();
    const holder = await start(3000);
    await calls(holder.workflowId, 3);
    // A running workflow that visibility's list of running campaigns does not hold, as a lagging
    // visibility store shows a campaign that just continued as new: here, a workflow of another
    // type on a task queue no worker polls (it runs, and takes signals).
    const unlisted = await client().workflow.start(ACCOUNT_WORKFLOW, {
      workflowId: `c-unlisted-${next}`,
      taskQueue: 'nobody-polls',
      args: [{ limits: {} }],
    });
    const coordinator = client().workflow.getHandle(ACCOUNT_WORKFLOW_ID);
    await coordinator.executeUpdate(joinAccountUpdate, {
      args: [{ campaignId: unlisted.workflowId, rate: 10 }],
    });
    const joinedAt = Date.now();
    const listed = async () =>
      (await coordinator.query(accountQuery)).campaigns.some((c) => c.campaignId === unlisted.workflowId);
    // Until a sweep past the coordinator's grace for visibility (VISIBILITY_GRACE_MS, 60 s) has decided.
    await waitFor(() => sweptSince(joinedAt + 60_000), 180_000, 1000);
    assert.ok(await listed(), 'a member that runs is kept, whatever visibility says');
    const told = (await unlisted.fetchHistory()).events?.filter(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === accountShareSignal.name,
    );
    assert.ok((told?.length ?? 0) >= 2, `told its share at the join and again at the sweep: ${told?.length}`);

    await unlisted.terminate('ended');
    await waitFor(async () => !(await listed()), 90_000, 1000);
    const { view } = await accountView();
    assert.deepEqual(
      view.campaigns.map((c) => c.campaignId),
      [holder.workflowId],
    );
    await waitFor(async () => (await status(holder.workflowId)).accountShare?.rate === LIMIT, 10_000, 200);
    assert.equal((await cli(['cancel', holder.workflowId])).code, 0);
    await campaignResult(holder).catch(() => undefined);
    assert.ok(peak() <= MAX_PER_SECOND, `peak ${peak()} calls in a second under a limit of ${LIMIT}`);
    assert.equal((await cli(['account', '--clear'])).code, 0);
  });
});
