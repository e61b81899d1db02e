import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from '@temporalio/worker';
import type { ReportLine } from '../../src/campaign/outcome';
import type { CampaignStatus } from '../../src/campaign/status';
import { createKoophoneClient, Secret } from '../../src/koophone';
import { PostgresStore } from '../../src/report';
import { campaignResult } from '../../src/temporal/campaign-result';
import { statusQuery } from '../../src/workflows';
import { createCampaignWorker } from '../../src/worker';
import { operatorCli } from '../cli/run-cli';
import { campaignEnv, waitFor, workflowBundle } from '../helpers/campaign-env';
import { startTestPostgres, type TestPostgres } from './helpers/postgres';

// The PostgreSQL report store stopped under a running campaign and started again: the campaign
// is blocked with the cause by name while the database is down, sends nothing it cannot
// journal, resumes by itself once the database is back, and every phone the simulator reset has
// its line. A real cluster, a real dev server, the simulator, counting at the simulator.

describe('PostgreSQL stopped and restarted under a running campaign', () => {
  const env = campaignEnv({ jobDurationMs: '200..600' }, { worker: false });
  let pg: TestPostgres;
  let store: PostgresStore;
  const cli = operatorCli(env, () => ({ REPORT_SINK: pg.url }), 90_000);
  before(async () => {
    pg = await startTestPostgres();
    store = new PostgresStore(pg.url);
  });
  after(async () => {
    await store?.close();
    pg?.stop();
  });
  /** A worker on the database, stopped by the test itself (the env closes its connection first). */
  const startWorker = async (): Promise<{ stop(): Promise<void> }> => {
    const worker: Worker = await createCampaignWorker({
      connection: env.temporal.nativeConnection,
      namespace: env.temporal.namespace,
      taskQueue: env.taskQueue,
      client: createKoophoneClient({
        endpoint: env.sim.url,
        timeoutMs: 5000,
        auth: { kind: 'static', token: new Secret('sim-token') },
      }),
      store,
      workflowBundle: await workflowBundle(),
    });
    const running = worker.run();
    return {
      async stop() {
        worker.shutdown();
        await running;
      },
    };
  };

  it("blocked with the database's cause within 60 s, nothing sent while down, resumed by itself after the restart, one line per phone with the resets the simulator applied", async (t) => {
    const worker = await startWorker();
    try {
      await outage(t);
    } finally {
      await worker.stop();
    }
  });

  async function outage(t: { diagnostic(message: string): void }): Promise<void> {
    const ids = env.ids(1000);
    const handle = await env.start(
      { rate: 4, concurrency: 8, batchSize: 20, canary: 0 },
      { kind: 'inline', ids },
    );
    const calls = () => env.sim.stats().calls.batchReset;
    await waitFor(() => calls() >= 8, 60_000);
    pg.halt();
    const haltedAt = Date.now();
    let blocked: CampaignStatus | undefined;
    try {
      await waitFor(
        async () => {
          const run = await cli(['status', handle.workflowId, '--json']);
          blocked = JSON.parse(run.stdout) as CampaignStatus;
          return blocked.state === 'blocked';
        },
        60_000,
        1000,
      );
      const seenAt = Date.now();
      assert.equal(blocked!.blockingCause?.part, 'store');
      assert.match(
        blocked!.blockedBy!,
        /^store: (ECONNREFUSED|ECONNRESET|PostgreSQL 57P0\d|(reading|writing) postgres:\/\/\S+: Connection terminated)/,
      );
      assert.match(blocked!.blockedBy!, /— bring the report store's PostgreSQL back/);
      assert.ok(!blocked!.blockedBy!.includes(pg.password), 'no password in the cause');
      const text = await cli(['status', handle.workflowId]);
      assert.match(text.stdout, /BLOCKED\s+store: /);
      await sleep(2000);
      const before = calls();
      await sleep(6000);
      assert.equal(calls(), before, 'no batch-reset call while the database is down');
      t.diagnostic(
        `blocked seen by status --json ${Math.round((seenAt - haltedAt) / 1000)} s after the database stopped: ${blocked!.blockedBy}`,
      );
    } finally {
      pg.restart();
    }
    const restartedAt = Date.now();
    await waitFor(async () => (await handle.query(statusQuery)).state !== 'blocked', 60_000, 500);
    t.diagnostic(
      `running again ${Math.round((Date.now() - restartedAt) / 1000)} s after the database started`,
    );
    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed', JSON.stringify(result));
    assert.equal(result.counts.succeeded, ids.length, 'no phone marked for the database');
    const lines: ReportLine[] = [];
    for await (const l of store.readReport(handle.workflowId)) lines.push(l);
    assert.equal(lines.length, ids.length, 'one line per phone');
    const byId = new Map(lines.map((l) => [l.instance_id, l]));
    for (const id of ids) {
      const applied = env.sim.instance(id)?.resets ?? 0;
      assert.ok(
        (byId.get(id)?.resets ?? -1) >= applied,
        `${id}: line ${byId.get(id)?.resets}, simulator ${applied}`,
      );
    }
    assert.equal(calls(), ids.length / 20, 'no call sent again');
  }
});
