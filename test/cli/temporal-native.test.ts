import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { createKoophoneClient, Secret } from '../../src/koophone';
import { createCampaignWorker } from '../../src/worker';
import { campaignEnv, waitFor, workflowBundle } from '../helpers/campaign-env';
import { operatorCli } from './run-cli';

// What the Temporal UI shows of routine operator work: nothing Failed for a check, and a history
// whose progress a person can read (issue 27, "Temporal-native endings"): one lane progress
// signal (and the workflow task it brings) per 5 s per lane at most.
const PROGRESS_BOUND_MS = 5000;
describe('Temporal shows operator work for what it is', () => {
  const env = campaignEnv({ jobDurationMs: '300..900' });
  const cli = operatorCli(env);

  async function checks(): Promise<WorkflowExecutionInfo[]> {
    const found: WorkflowExecutionInfo[] = [];
    for await (const w of env.temporal.client.workflow.list({ query: `WorkflowType = 'checkConnectivity'` })) found.push(w);
    return found;
  }

  it('check: ok, KooPhone out of reach or no worker — exit 0 or 3 with the cause, and no check workflow ever Failed', async () => {
    const ok = await cli(['check']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /instances visible/);

    // A worker whose KooPhone endpoint answers nothing (a port just freed).
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const taskQueue = `unreachable-${randomUUID()}`;
    const worker = await createCampaignWorker({
      connection: env.temporal.nativeConnection,
      namespace: env.temporal.namespace,
      taskQueue,
      client: createKoophoneClient({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 2000, auth: { kind: 'static', token: new Secret('t') } }),
      store: env.store,
      workflowBundle: await workflowBundle(),
    });
    const running = worker.run();
    try {
      const unreachable = await operatorCli(env, () => ({ TEMPORAL_TASK_QUEUE: taskQueue }))(['check']);
      assert.equal(unreachable.code, 3, unreachable.stderr);
      assert.match(unreachable.stderr, /the worker could not reach KooPhone: .*(ECONNREFUSED|cannot be reached)/);
    } finally {
      worker.shutdown();
      await running;
    }

    // Nobody polls this queue: said at once, and no workflow is left to time out.
    const nobody = await operatorCli(env, () => ({ TEMPORAL_TASK_QUEUE: `nobody-${randomUUID()}` }))(['check']);
    assert.equal(nobody.code, 3, nobody.stderr);
    assert.match(nobody.stderr, /no worker ran the check on task queue nobody-\S+: none polls it/);

    await waitFor(async () => (await checks()).every((w) => w.status.name !== 'RUNNING') && (await checks()).length === 2, 30_000);
    // The two checks that reached a worker, both Completed; none for the queue nobody polls.
    const all = await checks();
    assert.deepEqual(all.map((w) => w.status.name), ['COMPLETED', 'COMPLETED']);
  });

  it("a campaign's history: lane progress at most once per 5 s per lane, never one per batch", async () => {
    // Lanes that run for several progress periods: 800 phones at 4 calls/s of 10 phones.
    const { handle, result } = await env.run(
      { batchSize: 10, rate: 4, concurrency: 4, canary: 0 },
      { kind: 'inline', ids: env.ids(800, 5000) },
    );
    assert.equal(result.state, 'completed');
    const events = (await handle.fetchHistory()).events!;
    const at = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
    const lanes = new Map<number, { from: number; to?: number; signals: number }>();
    for (const e of events) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === 'runLane') lanes.set(Number(e.eventId), { from: at(e), signals: 0 });
      const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskCanceledEventAttributes;
      if (done) {
        const lane = lanes.get(Number(done.scheduledEventId));
        if (lane) lane.to = at(e);
      }
    }
    const signals = events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'laneProgress');
    const batches = Math.ceil(800 / 10);
    assert.ok(signals.length < batches, `${signals.length} progress signals for ${batches} batches`);
    // Each lane's signals fall within its run: at most one per 5 s, plus the first.
    for (const s of signals) {
      const t = at(s);
      const lane = [...lanes.values()].find((l) => l.from <= t && t <= (l.to ?? Infinity));
      if (lane) lane.signals += 1;
    }
    const allowed = [...lanes.values()].reduce((n, l) => n + Math.ceil(((l.to ?? l.from) - l.from) / PROGRESS_BOUND_MS) + 1, 0);
    assert.ok(signals.length <= allowed, `${signals.length} progress signals over ${lanes.size} lane terms, at most ${allowed}`);
  });
});
