import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { statusQuery } from '../../src/workflows';
import { freePort } from '../../src/temporal/free-port';
import { campaignEnv, waitFor } from '../helpers/campaign-env';
import { killHard } from '../helpers/worker-process';
import { jsonLines, startWorkerProcess, workerStarted, type WorkerProcess } from './helpers/workers';
import { campaignResult } from '../../src/temporal/campaign-result';
import { CAMPAIGN_WORKFLOW } from '../../src/campaign/campaign-workflow';

type Samples = Map<string, number>;

/** Prometheus text format → "name{label="v",…}" → value (labels kept in exposition order). */
function parseExposition(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (m) samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}

async function scrape(url: string): Promise<Samples> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  return parseExposition(await res.text());
}

/** Two adjacent free ports: the project's metrics on p, the SDK's exporter on p + 1. */
async function adjacentFreePorts(): Promise<number> {
  for (let i = 0; i < 20; i += 1) {
    const p = await freePort();
    if (p < 65_535 && (await portFree(p + 1))) return p;
  }
  throw new Error('no two adjacent free ports found');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('worker metrics (METRICS_PORT)', () => {
  // Throttling at 2 calls/s against a campaign rate of 10/s makes the service answer some calls 429.
  const env = campaignEnv({ jobDurationMs: '800..1600', rateLimit: 2 }, { worker: false });
  let worker: WorkerProcess | undefined;
  after(async () => {
    if (worker) await killHard(worker);
  });

  it('serves the project counters during a campaign, matching what KooPhone received, and the SDK metrics beside them', async () => {
    const port = await adjacentFreePorts();
    worker = await startWorkerProcess({
      ...env.workerProcessEnv(),
      METRICS_PORT: String(port),
      METRICS_HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
    });
    await workerStarted(worker);
    const url = `http://127.0.0.1:${port}/metrics`;
    const before = await scrape(url);
    assert.equal(before.get('koophone_batch_reset_calls_total{result="accepted"}'), 0);
    assert.equal(before.get('koophone_resets_in_flight'), 0);

    env.sim.reset();
    const ids = env.ids(300, 11_000);
    const handle = await env.start(
      { rate: 10, concurrency: 3, batchSize: 50, canary: 0 },
      { kind: 'inline', ids },
    );
    // Scraped while the campaign runs: resets accepted and being followed right now.
    let during: Samples | undefined;
    await waitFor(
      async () => {
        const s = await scrape(url);
        if ((s.get('koophone_resets_in_flight') ?? 0) > 0) during = s;
        return during !== undefined;
      },
      60_000,
      100,
    );
    assert.ok(during);
    const inFlight = during.get('koophone_resets_in_flight')!;
    assert.ok(
      inFlight > 0 && inFlight % 50 === 0 && inFlight <= 150,
      `in flight: ${inFlight} (whole batches of 50, window of 3)`,
    );
    assert.equal(during.get('koophone_batches_tracking'), inFlight / 50);

    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed');
    const s = await scrape(url);
    const stats = env.sim.stats();
    const calls = (r: string) => s.get(`koophone_batch_reset_calls_total{result="${r}"}`) ?? 0;
    assert.equal(calls('accepted'), 6, 'one accepted call per batch of 50');
    assert.ok((stats.faults.throttled ?? 0) > 0, 'the simulator throttled some calls');
    assert.equal(s.get('koophone_batch_reset_throttled_total'), stats.faults.throttled);
    assert.equal(calls('retry'), stats.faults.throttled, 'every throttled call was retried');
    assert.equal(
      calls('accepted') + calls('retry') + calls('rejected') + calls('fatal'),
      stats.calls.batchReset,
    );
    assert.equal(s.get('koophone_outcomes_total{outcome="succeeded"}'), 300);
    assert.equal(s.get('koophone_resets_in_flight'), 0);
    assert.equal(s.get('koophone_batches_tracking'), 0);
    assert.equal(s.get('koophone_task_polls_total'), stats.calls.getTask);
    const status = await handle.query(statusQuery);
    // Exported from the first scrape (0 unless a call reached the worker too late for its slot).
    assert.equal(s.get('koophone_batch_reset_slots_missed_total'), status.slotsMissed);
    assert.equal(status.succeeded, 300);
    // Node process metrics come with the project's registry.
    assert.ok(
      [...s.keys()].some((k) => k.startsWith('koophone_worker_process_cpu')),
      'process metrics present',
    );

    // The SDK runtime's own exporter, on the next port.
    const sdk = await scrape(`http://127.0.0.1:${port + 1}/metrics`);
    const names = [...sdk.keys()];
    assert.ok(
      names.some((k) => k.startsWith('temporal_')),
      `SDK metrics: ${names.slice(0, 5).join(', ')}`,
    );
    assert.ok(
      names.some((k) => k.includes('activity')),
      'SDK activity metrics present',
    );

    // Logs of the same run: every line of the campaign's lanes names campaign and lane, and every
    // line about one batch names it too.
    const logs = jsonLines(worker.output());
    const laneLines = logs.filter((l) => l.activityType === 'runLane');
    assert.ok(laneLines.length >= 8, `${laneLines.length} runLane log lines`);
    for (const l of laneLines) {
      assert.equal(l.campaignId, handle.workflowId, JSON.stringify(l));
      // The SDK logs "Activity started" before any interceptor sees the input; every later line has the lane.
      if (l.msg !== 'Activity started') assert.equal(typeof l.lane, 'number', JSON.stringify(l));
    }
    const accepted = laneLines.filter((l) => l.msg === 'batch accepted');
    assert.equal(accepted.length, 6);
    assert.ok(accepted.every((l) => typeof l.batchNo === 'number' && typeof l.item === 'string'));
    assert.ok(laneLines.some((l) => l.msg === 'Activity completed'));
    const workflowLines = logs.filter(
      (l) => l.workflowType === CAMPAIGN_WORKFLOW && l.activityType === undefined,
    );
    assert.ok(workflowLines.length > 0 && workflowLines.every((l) => l.campaignId === handle.workflowId));
    assert.ok(!worker.output().includes('sim-token'), 'the KooPhone token is not logged');
  });
});
