import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { campaignOptionsSchema } from '../../src/campaign/options';
import type { ReportLine } from '../../src/campaign/outcome';
import { createKoophoneClient, Secret } from '../../src/koophone';
import { FolderStore } from '../../src/report';
import { startSimulator, type RunningSimulator } from '../../src/simulator';
import { locateTestServer } from '../../src/temporal/locate-cli';
import { campaignSearchAttributes } from '../../src/temporal/search-attributes';
import { createCampaignWorker } from '../../src/worker';
import { pauseSignal, resetCampaign, resumeSignal, statusQuery } from '../../src/workflows';
import { countBy, workflowBundle } from '../helpers/campaign-env';
import { TcpProxy } from '../helpers/tcp-proxy';
import { campaignResult } from '../../src/temporal/campaign-result';

const HOUR = 3_600_000;
const OUTAGE_MS = 6 * HOUR;
const RECOVERY_END_MS = OUTAGE_MS + 2 * HOUR;
/** Longest single jump of simulated time: well under every activity timeout of the campaign. */
const STEP_MS = 5 * 60_000;

const realSleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Hours of outage on the time-skipping test server (the Java one, installed by
 * `npm run setup:temporal`). Time is moved by hand, in steps no longer than STEP_MS and only while
 * no activity is running: the activities talk to the simulator in real time, and the test server
 * would otherwise skip past their heartbeat deadlines. Everything the campaign waits for in the
 * meantime — submit backoff, recovery retries — is a workflow timer, which is what skips.
 */
describe('long-running retries on the time-skipping server', { timeout: 10 * 60_000 }, () => {
  let env: TestWorkflowEnvironment;
  let sim: RunningSimulator;
  let proxy: TcpProxy;
  let store: FolderStore;
  let worker: Worker;
  let workerRun: Promise<void>;
  const taskQueue = 'long-retries';

  before(async () => {
    const path = locateTestServer();
    assert.ok(path, 'the time-skipping test server is not installed: run `npm run setup:temporal`');
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path } },
    });
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        Object.entries(campaignSearchAttributes).map(([name, type]) => [name, type === 'Int' ? 2 : 1]),
      ),
    });
    sim = await startSimulator({ port: 0, instances: 1000, jobDurationMs: '200..800', seed: 6 });
    proxy = new TcpProxy(Number(new URL(sim.url).port));
    await proxy.start();
    store = new FolderStore(mkdtempSync(join(tmpdir(), 'koophone-long-')));
    worker = await createCampaignWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      client: createKoophoneClient({
        endpoint: proxy.url,
        timeoutMs: 5000,
        auth: { kind: 'static', token: new Secret('sim-token') },
      }),
      store,
      workflowBundle: await workflowBundle(),
    });
    workerRun = worker.run();
  });

  after(async () => {
    worker?.shutdown();
    await workerRun;
    await proxy?.stop();
    await sim?.close();
    await env?.teardown();
  });

  /** True while the campaign has an activity scheduled or running: time must not jump then. */
  async function activityPending(handle: WorkflowHandle): Promise<boolean> {
    const d = await env.client.workflowService.describeWorkflowExecution({
      namespace: env.namespace ?? 'default',
      execution: { workflowId: handle.workflowId },
    });
    return (d.pendingActivities?.length ?? 0) > 0;
  }

  it('survives 6 hours of API outage and 2 more hours of instances in recovery, untouched', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => sim.fleet.idAt(i));
    const recovering = [ids[17]!, ids[203]!];
    for (const id of recovering) sim.setInstance(id, { recoveringForMs: 7 * 24 * HOUR });

    const options = campaignOptionsSchema.parse({
      campaignId: 'long-retries',
      // Defaults for every retry setting (submit backoff up to 5 min, retry delay 5 min, submit
      // timeout 24 h); only the heartbeat allows for the time steps this test takes.
      heartbeatTimeoutMs: HOUR,
      // The fleet listing holds for the whole run: a refresh waits for KooPhone in real time
      // inside its activity, and a campaign sends nothing on a stale listing (this test is about
      // the batch-reset calls' retries, not the pre-flight's).
      listingMaxAgeMs: 24 * HOUR,
      // Phones in recovery are sent anyway, to meet KooPhone's own refusal for hours (the
      // pre-flight would skip them: test/campaign/real-fleets.test.ts covers that).
      includeInUse: true,
    });
    // Prepare lists the fleet (the pre-flight), and a listing waits for KooPhone inside its
    // activity, where time cannot skip: the campaign starts paused, KooPhone becomes unreachable
    // once prepare is done, and the outage begins with the resume, before the first batch-reset call.
    const handle = await env.client.workflow.signalWithStart(resetCampaign, {
      taskQueue,
      workflowId: options.campaignId!,
      args: [{ options, source: { kind: 'inline', ids } }],
      signal: pauseSignal,
      signalArgs: [],
    });
    for (;;) {
      const s = await handle.query(statusQuery).catch(() => undefined);
      if (s && s.total > 0 && !(await activityPending(handle))) break;
      await realSleep(100);
    }
    assert.equal(sim.stats().calls.batchReset, 0, 'nothing sent while paused');
    await proxy.stop();
    const t0 = await env.currentTimeMs();
    await handle.signal(resumeSignal);

    let callsDuringOutage = -1;
    let triedDuringOutage = 0;
    let atRecoveryEnd: { resets: number[]; succeeded: number } | undefined;
    let steps = 0;
    for (;;) {
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING') break;
      const elapsed = (await env.currentTimeMs()) - t0;
      if (elapsed >= OUTAGE_MS && callsDuringOutage < 0) {
        callsDuringOutage = sim.stats().calls.batchReset;
        triedDuringOutage = (await handle.query(statusQuery)).batchResetCalls;
        await proxy.start();
      }
      if (elapsed >= RECOVERY_END_MS && atRecoveryEnd === undefined) {
        atRecoveryEnd = {
          resets: recovering.map((id) => sim.instance(id)?.resets ?? -1),
          succeeded: (await handle.query(statusQuery)).succeeded,
        };
        for (const id of recovering) sim.setInstance(id, { recoveringForMs: 0 });
      }
      if (await activityPending(handle)) {
        await realSleep(100);
        continue;
      }
      const nextEvent =
        elapsed < OUTAGE_MS ? OUTAGE_MS : elapsed < RECOVERY_END_MS ? RECOVERY_END_MS : Infinity;
      await env.sleep(Math.max(1000, Math.min(STEP_MS, nextEvent - elapsed)));
      steps += 1;
      assert.ok(
        elapsed < 30 * HOUR,
        `campaign still running after ${Math.round(elapsed / HOUR)} simulated hours`,
      );
    }

    const elapsedHours = ((await env.currentTimeMs()) - t0) / HOUR;
    const status = await handle.query(statusQuery).catch(() => undefined);
    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed', JSON.stringify(result));
    assert.equal(callsDuringOutage, 0, 'no call reached KooPhone while it was unreachable');
    // It kept trying all along: the canary batch (the others wait for it), backoff capped at 5
    // minutes, for 6 hours.
    assert.ok(triedDuringOutage >= 60, `${triedDuringOutage} attempts during the outage`);
    assert.ok(elapsedHours >= 8, `finished after ${elapsedHours.toFixed(2)} simulated hours`);

    const lines: ReportLine[] = [];
    for await (const l of store.readReport(handle.workflowId)) lines.push(l);
    assert.equal(lines.length, ids.length);
    assert.deepEqual(
      countBy(lines, (l) => l.outcome),
      { succeeded: ids.length },
    );
    for (const l of lines) {
      assert.equal(l.resets, 1, `${l.instance_id} reported ${l.resets} resets`);
      assert.equal(sim.instance(l.instance_id)?.resets, 1, `${l.instance_id} reset once`);
    }
    // The two phones in recovery were refused until it ended, everything else was done by then.
    assert.deepEqual(atRecoveryEnd, { resets: [0, 0], succeeded: ids.length - recovering.length });
    console.log(
      `# long retries: ${elapsedHours.toFixed(1)} simulated hours in ${steps} time steps; ` +
        `${triedDuringOutage} attempts during the outage, ${sim.stats().calls.batchReset} calls after it; ` +
        `status ${status?.state ?? 'closed'}`,
    );
  });
});
