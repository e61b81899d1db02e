import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { campaignOptionsSchema, type CampaignOptionsInput } from '../../src/campaign/options';
import type { ReportLine } from '../../src/campaign/outcome';
import { createKoophoneClient, normalizeCode, Secret } from '../../src/koophone';
import { FolderStore } from '../../src/report';
import { startSimulator, type RunningSimulator, type SimulatorOptionsInput } from '../../src/simulator';
import { createCampaignWorker } from '../../src/worker';
import { resetCampaign } from '../../src/workflows';
import { campaignEnv, countBy, waitFor, workflowBundle, type CampaignEnv } from '../helpers/campaign-env';
import { campaignResult } from '../../src/temporal/campaign-result';

const SEED = 16;
const N = 200;

/** The same fleet, seed and faults for both runs: throttling, 9999s, busy instances, frozen ones. */
const shared: SimulatorOptionsInput = {
  seed: SEED,
  instances: 2000,
  jobDurationMs: '200..500',
  rateLimit: 3,
  fault9999Rate: 0.15,
};

const campaign: Partial<CampaignOptionsInput> = {
  batchSize: 10,
  concurrency: 4,
  rate: 6,
  canary: 0,
  maxErrors: '100%',
  retryDelayMs: 500,
  submitBackoffMaxMs: 4000,
  jobTimeoutMs: 20_000,
  // Phones the listing shows busy are sent anyway, so KooPhone's own 2005 and 2006 answers (in
  // either spelling) are what the campaign meets.
  includeInUse: true,
};

/** Instances busy (2005, 2006) and frozen (2004), the same ones on both simulators. */
function makeBusy(sim: RunningSimulator): void {
  const ids = sim.fleet.ids(0, N);
  for (const id of busy.recovering(ids)) sim.setInstance(id, { recoveringForMs: 10 * 60_000 });
  for (const id of busy.backingUp(ids)) sim.setInstance(id, { backingUpForMs: 10 * 60_000 });
  for (const id of ids.slice(120, 122)) sim.setInstance(id, { frozen: true });
}

const busy = {
  recovering: (ids: string[]) => ids.slice(5, 10),
  backingUp: (ids: string[]) => ids.slice(12, 17),
};

/**
 * Busy until the simulator has refused them at least once each way (whenever the campaign gets
 * to them on a loaded machine), then free: both runs meet 2005 and 2006 and get past them.
 */
async function endBusyOnceSeen(sim: RunningSimulator): Promise<void> {
  await waitFor(() => {
    const codes = sim.stats().errorCodes;
    return (codes['KOOPHONE.API.2005'] ?? 0) > 0 && (codes['KOOPHONE.API.2006'] ?? 0) > 0;
  }, 120_000);
  const ids = sim.fleet.ids(0, N);
  for (const id of busy.recovering(ids)) sim.setInstance(id, { recoveringForMs: 0 });
  for (const id of busy.backingUp(ids)) sim.setInstance(id, { backingUpForMs: 0 });
}

async function startWorker(
  env: CampaignEnv,
  sim: RunningSimulator,
  taskQueue: string,
  store: FolderStore,
): Promise<{ worker: Worker; run: Promise<void> }> {
  const worker = await createCampaignWorker({
    connection: env.temporal.nativeConnection,
    namespace: env.temporal.namespace,
    taskQueue,
    client: createKoophoneClient({
      endpoint: sim.url,
      timeoutMs: 5000,
      auth: { kind: 'static', token: new Secret('sim-token') },
    }),
    store,
    workflowBundle: await workflowBundle(),
  });
  return { worker, run: worker.run() };
}

async function runCampaign(
  env: CampaignEnv,
  sim: RunningSimulator,
  taskQueue: string,
  store: FolderStore,
): Promise<{ lines: ReportLine[]; state: string; wallMs: number }> {
  const campaignId = `quirks-${randomUUID().slice(0, 8)}`;
  const started = performance.now();
  const handle = await env.temporal.client.workflow.start(resetCampaign, {
    taskQueue,
    workflowId: campaignId,
    args: [
      {
        options: campaignOptionsSchema.parse({ ...campaign, campaignId }),
        source: { kind: 'inline', ids: sim.fleet.ids(0, N) },
      },
    ],
  });
  const result = await campaignResult(handle);
  const wallMs = performance.now() - started;
  const lines: ReportLine[] = [];
  for await (const line of store.readReport(campaignId)) lines.push(line);
  return { lines, state: result.state, wallMs };
}

// Outcome and code per phone. Not `resets`: a 9999 is a possible reset wherever it falls, and
// which batch draws one depends on how each run's calls interleave.
const byInstance = (lines: ReportLine[]) =>
  Object.fromEntries(
    [...lines]
      .sort((a, b) => a.instance_id.localeCompare(b.instance_id))
      .map((l) => [l.instance_id, `${l.outcome} ${normalizeCode(l.error_code)}`]),
  );

describe('the real API: no Retry-After and mixed-case codes behave as the simulator defaults did', () => {
  // The campaign env's simulator speaks as the seed did: Retry-After on 429, one spelling.
  const env = campaignEnv({ ...shared, retryAfter: true, mixedCaseCodes: false }, { worker: false });

  /** The same campaign on the env's simulator and on one that speaks as the real API, at once. */
  async function sideBySide(
    options: SimulatorOptionsInput,
    before: (sim: RunningSimulator) => Promise<void> | void,
  ) {
    env.sim.reset();
    env.sim.setFaults({ fault9999Rate: options.fault9999Rate ?? 0 });
    const real = await startSimulator({ ...options, port: 0, retryAfter: false, mixedCaseCodes: true });
    const seedQueue = `quirks-seed-${randomUUID()}`;
    const realQueue = `quirks-real-${randomUUID()}`;
    // Two simulators are two KooPhone accounts with the same phone ids: each deployment has its
    // own store (phone leases are per store), as two tenants' workers would; each case its own,
    // since both reset the same phones.
    const seedStore = new FolderStore(mkdtempSync(join(tmpdir(), 'koophone-quirks-')));
    const realStore = new FolderStore(mkdtempSync(join(tmpdir(), 'koophone-quirks-')));
    const workers = [
      await startWorker(env, env.sim, seedQueue, seedStore),
      await startWorker(env, real, realQueue, realStore),
    ];
    try {
      const [seedRun, realRun] = await Promise.all([
        runCampaign(env, env.sim, seedQueue, seedStore),
        runCampaign(env, real, realQueue, realStore),
        before(env.sim),
        before(real),
      ]);
      // What each simulator applied to each phone, read before the real one closes.
      const applied = (sim: RunningSimulator) =>
        new Map(sim.fleet.ids(0, N).map((id) => [id, sim.instance(id)?.resets ?? 0]));
      return {
        seed: { run: seedRun, stats: env.sim.stats(), applied: applied(env.sim) },
        real: { run: realRun, stats: real.stats(), applied: applied(real) },
      };
    } finally {
      for (const w of workers) {
        w.worker.shutdown();
        await w.run;
      }
      await real.close();
    }
  }

  it('same outcomes and simulator counts, side by side', async () => {
    const { seed, real } = await sideBySide(shared, (sim) => {
      makeBusy(sim);
      return endBusyOnceSeen(sim);
    });
    console.log(
      `with Retry-After, one spelling: ${seed.stats.calls.batchReset} calls, ${seed.stats.faults.throttled} throttled; ` +
        `without, mixed case: ${real.stats.calls.batchReset} calls, ${real.stats.faults.throttled} throttled`,
    );

    // The faults really happened in both runs. Frozen phones are answered by the pre-flight
    // (rejected 2004 from the listing), never sent.
    for (const stats of [seed.stats, real.stats]) {
      assert.ok(stats.faults.throttled > 0, 'throttled');
      assert.ok(stats.faults.fault9999 > 0, '9999');
      for (const code of ['KOOPHONE.API.2005', 'KOOPHONE.API.2006'])
        assert.ok((stats.errorCodes[code] ?? 0) > 0, `${code}: ${JSON.stringify(stats.errorCodes)}`);
    }
    // Same outcome, code and reset count per phone; codes compared normalized.
    assert.equal(seed.run.state, 'completed');
    assert.equal(real.run.state, 'completed');
    assert.equal(real.run.lines.length, N);
    assert.deepEqual(byInstance(real.run.lines), byInstance(seed.run.lines));
    assert.deepEqual(
      countBy(real.run.lines, (l) => l.outcome),
      { succeeded: N - 2, rejected: 2 },
    );
    // The simulators agree with the reports: one applied reset per phone that succeeded, and no
    // line counts fewer; a line counting more (a 9999 before its call went through) says why.
    for (const { stats, run, applied: appliedTo } of [seed, real]) {
      assert.equal(stats.resets.total, N - 2);
      assert.equal(stats.resets.max, 1);
      for (const l of run.lines) {
        const applied = appliedTo.get(l.instance_id) ?? -1;
        assert.ok(l.resets >= applied, `${l.instance_id}: report ${l.resets} < applied ${applied}`);
        if (l.resets > applied) assert.match(l.error_msg, /possible resets? counted(, the latest)?: KOOPHONE\.API\.9999/i);
      }
    }
    // Codes in the report are kept as the service sent them.
    const frozen = real.run.lines.filter((l) => l.outcome === 'rejected').map((l) => l.error_code);
    assert.ok(
      frozen.every((c) => normalizeCode(c) === 'KOOPHONE.API.2004'),
      frozen.join(' '),
    );
  });

  it('no slower without a Retry-After header, side by side', async () => {
    // Throttling alone: with 9999s and busy phones, which batch draws a fault depends on how the
    // calls interleave, and one more retry at the backoff cap moves a run by seconds either way.
    const { seed, real } = await sideBySide({ ...shared, fault9999Rate: 0 }, () => undefined);
    console.log(
      `with Retry-After: ${Math.round(seed.run.wallMs)} ms, ${seed.stats.faults.throttled} throttled; ` +
        `without: ${Math.round(real.run.wallMs)} ms, ${real.stats.faults.throttled} throttled`,
    );
    for (const { run, stats } of [seed, real]) {
      assert.equal(run.state, 'completed');
      assert.ok(stats.faults.throttled > 0, 'throttled');
      assert.equal(stats.resets.total, N);
      assert.equal(stats.resets.max, 1);
    }
    // No extra waits: without the header the client backs off on its own schedule, not longer.
    assert.ok(
      real.run.wallMs <= seed.run.wallMs * 1.2,
      `without Retry-After ${Math.round(real.run.wallMs)} ms vs with ${Math.round(seed.run.wallMs)} ms`,
    );
  });
});
