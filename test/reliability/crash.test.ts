import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { campaignOptionsSchema } from '../../src/campaign/options';
import type { ReportLine } from '../../src/campaign/outcome';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/free-port';
import { resetCampaign, statusQuery } from '../../src/workflows';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { TcpProxy } from '../helpers/tcp-proxy';
import { killHard, spawnWorker } from '../helpers/worker-process';
import { campaignResult } from '../../src/temporal/campaign-result';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('crashes and outages, with real processes', () => {
  const env = campaignEnv({ jobDurationMs: '1500..3000' }, { worker: false });
  const children: ReturnType<typeof spawnWorker>[] = [];
  const servers: DevServer[] = [];
  after(async () => {
    for (const c of children) await killHard(c);
    for (const s of servers) await s.stop();
  });

  // Each scenario owns the task queue: workers of the previous one are stopped first.
  const stopWorkers = async () => {
    for (const c of children.splice(0)) await killHard(c);
  };
  const worker = (extra: Record<string, string> = {}) => {
    const w = spawnWorker(env.workerProcessEnv(extra));
    children.push(w);
    return w;
  };

  /** Exactly one line per instance, all succeeded; the report never counts fewer resets than applied. */
  function checkAccounted(lines: ReportLine[], ids: string[]): void {
    assert.equal(lines.length, ids.length);
    assert.deepEqual(new Set(lines.map((l) => l.instance_id)), new Set(ids));
    assert.deepEqual(
      countBy(lines, (l) => l.outcome),
      { succeeded: ids.length },
    );
    for (const l of lines) {
      const applied = env.sim.instance(l.instance_id)?.resets ?? 0;
      assert.ok(
        applied >= 1 && l.resets >= applied,
        `${l.instance_id}: applied ${applied}, report ${l.resets}`,
      );
    }
  }

  it('SIGKILL during submission: the new worker sends the lost call again and the report counts it', async () => {
    env.sim.reset();
    // Answers take ~1 s after the reset is applied: a kill then leaves applied-but-unanswered calls.
    env.sim.setFaults({ latencyMs: '900..1200' });
    const first = worker();
    const ids = env.ids(300, 0);
    const handle = await env.start(
      { concurrency: 3, rate: 3, batchSize: 30, canary: 0, heartbeatTimeoutMs: 5000 },
      { kind: 'inline', ids },
    );
    const calls = env.sim.stats().calls.batchReset;
    await waitFor(() => env.sim.stats().calls.batchReset >= calls + 2, 60_000, 20);
    await killHard(first);
    env.sim.setFaults({ latencyMs: '0..0' });
    worker();
    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed');
    const lines = await env.report(handle.workflowId);
    checkAccounted(lines, ids);
    const twice = lines.filter((l) => env.sim.instance(l.instance_id)!.resets === 2);
    assert.ok(
      twice.every((l) => l.resets === 2),
      'every instance reset twice is reported as such',
    );
    const once = ids.filter((id) => env.sim.instance(id)!.resets === 1).length;
    assert.ok(once >= 240, `all but the calls in flight at the kill were reset once (${once})`);
    // The calls the killed worker made count too (from the journal): status agrees with the API.
    assert.equal(result.batchResetCalls, env.sim.stats().calls.batchReset, 'batch-reset calls as the API received them');
  });

  it('SIGKILL during tracking: the new worker resumes from the journal without resetting again', async () => {
    await stopWorkers();
    env.sim.reset();
    const first = worker();
    const ids = env.ids(600, 1000);
    const handle = await env.start(
      { concurrency: 4, rate: 10, batchSize: 50, canary: 0, heartbeatTimeoutMs: 5000 },
      { kind: 'inline', ids },
    );
    // The kill must land in tracking, not in a call: every batch started has been answered
    // (started = finished + in flight = calls the simulator answered), and stays so for 150 ms,
    // long enough for the answers' journal entries to be written.
    const allTracking = async () => {
      const s = await handle.query(statusQuery).catch(() => undefined);
      if (!s || s.succeeded < 100 || s.inFlight !== 4 * 50 || s.succeeded % 50 !== 0) return false;
      return env.sim.stats().calls.batchReset === (s.succeeded + s.inFlight) / 50;
    };
    await waitFor(async () => (await allTracking()) && (await sleep(150), await allTracking()), 120_000, 20);
    await killHard(first);
    worker();
    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed');
    const lines = await env.report(handle.workflowId);
    checkAccounted(lines, ids);
    assert.deepEqual(
      countBy(ids, (id) => String(env.sim.instance(id)!.resets)),
      { '1': 600 },
    );
    assert.ok(lines.every((l) => l.resets === 1));
    assert.equal(result.batchResetCalls, env.sim.stats().calls.batchReset, 'batch-reset calls as the API received them');
  });

  it('KooPhone unreachable for a minute: the campaign waits it out and completes', async () => {
    await stopWorkers();
    env.sim.reset();
    const proxy = new TcpProxy(env.sim.port);
    await proxy.start();
    worker({ KOOPHONE_ENDPOINT: proxy.url, KOOPHONE_TIMEOUT_MS: '3000' });
    const ids = env.ids(400, 2000);
    const handle = await env.start(
      {
        concurrency: 4,
        rate: 8,
        batchSize: 20,
        canary: 0,
        submitBackoffMaxMs: 10_000,
        jobTimeoutMs: 180_000,
      },
      { kind: 'inline', ids },
    );
    await waitFor(() => env.sim.stats().calls.batchReset >= 5, 60_000, 50);
    await proxy.stop();
    const callsAtOutage = env.sim.stats().calls.batchReset;
    await sleep(60_000);
    assert.equal(
      env.sim.stats().calls.batchReset,
      callsAtOutage,
      'nothing reached KooPhone during the outage',
    );
    await proxy.start();
    const result = await campaignResult(handle);
    await proxy.stop();
    assert.equal(result.state, 'completed');
    checkAccounted(await env.report(handle.workflowId), ids);
  });

  it('the Temporal server restarts mid-campaign (persistent SQLite) and the campaign completes', async () => {
    await stopWorkers();
    env.sim.reset();
    const dbFile = join(mkdtempSync(join(tmpdir(), 'temporal-db-')), 'temporal.db');
    const port = await freePort();
    let server = await startDevServer({ headless: true, port, dbFile });
    servers.push(server);
    // This server's own namespace, not the one the suite gave the file on its shared server.
    worker({ TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace });
    const ids = env.ids(500, 3000);
    const connect = async () =>
      new Client({
        connection: await Connection.connect({ address: server.address }),
        namespace: server.namespace,
      });
    let client = await connect();
    const options = campaignOptionsSchema.parse({ concurrency: 3, rate: 6, batchSize: 25, canary: 0 });
    const handle = await client.workflow.start(resetCampaign, {
      taskQueue: env.taskQueue,
      workflowId: `restart-${Date.now()}`,
      args: [{ options, source: { kind: 'inline', ids } }],
    });
    await waitFor(async () => (await handle.query(statusQuery)).succeeded >= 75, 120_000, 100);
    await client.connection.close();
    await server.stop();
    await sleep(3000);
    server = await startDevServer({ headless: true, port, dbFile });
    servers.push(server);
    client = await connect();
    const result = await campaignResult(client.workflow.getHandle(handle.workflowId));
    await client.connection.close();
    assert.equal(result.state, 'completed');
    checkAccounted(await env.report(handle.workflowId), ids);
    assert.ok(
      ids.every((id) => env.sim.instance(id)!.resets === 1),
      'no instance reset twice',
    );
  });
});
