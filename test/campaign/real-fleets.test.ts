// Fleets as operators export them: ids in several regions in export order, ids that are not the
// tenant's, phones someone is using, pools that must stay up. Everything is counted at the
// simulator: which calls it refused and why, which phones it reset, how many of a pool's phones
// had a reset job running at each of its samples.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReportLine } from '../../src/campaign/outcome';
import { pauseSignal, resumeSignal, statusQuery } from '../../src/workflows/definitions';
import { campaignResult } from '../../src/temporal/campaign-result';
import { campaignEnv, waitFor } from '../helpers/campaign-env';

/** A seeded shuffle: ids in "export order", the same on every run. */
function shuffled<T>(items: readonly T[], seed = 7): T[] {
  const out = [...items];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const byId = (lines: ReportLine[]) => new Map(lines.map((l) => [l.instance_id, l]));

describe('real fleets: regions, ids not in the fleet, phones in use', () => {
  const env = campaignEnv({
    instances: 3000,
    regions: 3,
    inUseRate: 0.05,
    backingUpRate: 0.01,
    // The seeded backups outlast the test; phones in recovery do not occur (rate 0).
    recoveringDurationMs: 600_000,
    jobDurationMs: '200..600',
  });

  it('3 000 shuffled ids in 3 regions: no call mixes regions, no call carries an id not in the fleet', async () => {
    env.sim.reset();
    const fleet = env.ids(3000);
    const ghosts = Array.from({ length: 20 }, (_, i) => `ghost${String(i).padStart(3, '0')}`);
    const ids = shuffled([...fleet, ...ghosts]);
    const path = env.writeIdsFile('shuffled-3-regions.txt', ids.join('\n') + '\n');
    const { result, lines } = await env.run(
      { rate: 20, concurrency: 50, canary: 1 },
      { kind: 'file', path, format: 'auto' },
    );
    assert.equal(result.state, 'completed', result.reason);
    const stats = env.sim.stats();
    // The simulator refuses a call mixing regions (1002) and one naming an id it does not know
    // (1012) before anything else: neither was ever answered.
    assert.equal(stats.errorCodes['KOOPHONE.API.1002'] ?? 0, 0, JSON.stringify(stats.errorCodes));
    assert.equal(stats.errorCodes['KOOPHONE.API.1012'] ?? 0, 0, JSON.stringify(stats.errorCodes));
    // One region per batch: 3 000 phones less those in use in 3 regions fit in ≤ 30 + 3 calls.
    const sent = lines.filter((l) => l.outcome === 'succeeded').length;
    assert.ok(stats.calls.batchReset <= Math.ceil(sent / 100) + 3, `batch-reset calls ${stats.calls.batchReset}`);
    assert.equal(result.batchResetCalls, stats.calls.batchReset);
    assert.ok(stats.peakRequestsPerSecond <= 22, `peak ${stats.peakRequestsPerSecond}`);
    // Listing calls: the fleet's three pages, counted in the campaign's cost.
    assert.equal(stats.calls.listInstances, 3);
    assert.equal(result.cost.apiCalls, stats.calls.batchReset + stats.calls.getTask + stats.calls.listInstances);

    const line = byId(lines);
    assert.equal(lines.length, 3020);
    for (const ghost of ghosts) {
      assert.equal(line.get(ghost)?.outcome, 'rejected', ghost);
      assert.equal(line.get(ghost)?.error_code, 'NOT_IN_FLEET');
      assert.equal(line.get(ghost)?.resets, 0);
    }
    assert.equal(result.counts.rejected, 20);
    // The 20 refused for good before any call spend no error budget: the campaign completed.
    for (const id of fleet) {
      const l = line.get(id)!;
      const resets = env.sim.instance(id)!.resets;
      if (l.outcome === 'succeeded') assert.equal(resets, 1, id);
      else assert.equal(resets, 0, `${id} ${l.outcome} ${l.error_code}`);
    }
  });

  it('phones in use and backing up are skipped with their codes; --include-in-use resets them', async () => {
    env.sim.reset();
    const ids = env.ids(1000);
    const inUse = ids.filter((id) => env.sim.instance(id)!.loggedIn);
    const backingUp = ids.filter((id) => env.sim.instance(id)!.backingUpUntil !== null && !env.sim.instance(id)!.loggedIn);
    assert.ok(inUse.length > 30 && backingUp.length > 3, `in use ${inUse.length}, backing up ${backingUp.length}`);
    const { result, lines } = await env.run({ rate: 20, concurrency: 20 }, { kind: 'inline', ids });
    assert.equal(result.state, 'completed', result.reason);
    const line = byId(lines);
    for (const id of inUse) {
      assert.deepEqual([line.get(id)?.outcome, line.get(id)?.error_code], ['skipped', 'IN_USE'], id);
      assert.match(line.get(id)!.error_msg, /in use by user-\d+ \(login_status 1, assign_status 1\)/);
      assert.equal(env.sim.instance(id)!.resets, 0, id);
    }
    for (const id of backingUp) {
      assert.deepEqual([line.get(id)?.outcome, line.get(id)?.error_code], ['skipped', 'BACKUP_RUNNING'], id);
      assert.equal(env.sim.instance(id)!.resets, 0, id);
    }
    assert.equal(result.counts.skipped, inUse.length + backingUp.length);
    assert.equal(result.counts.succeeded, 1000 - inUse.length - backingUp.length);
    // Never sent: KooPhone never had to refuse a phone backing up.
    assert.equal(env.sim.stats().errorCodes['KOOPHONE.API.2006'] ?? 0, 0);

    // --include-in-use: the same phones are reset; the backups end in 2 s, and until then
    // KooPhone's own 2006 makes them wait (--retry-delay).
    for (const id of backingUp) env.sim.setInstance(id, { backingUpForMs: 2000 });
    const again = await env.run(
      { rate: 20, concurrency: 20, includeInUse: true, retryDelayMs: 1000 },
      { kind: 'inline', ids: [...inUse, ...backingUp] },
    );
    assert.equal(again.result.state, 'completed', again.result.reason);
    assert.equal(again.result.counts.succeeded, inUse.length + backingUp.length);
    for (const id of [...inUse, ...backingUp]) assert.equal(env.sim.instance(id)!.resets, 1, id);
    assert.ok((env.sim.stats().errorCodes['KOOPHONE.API.2006'] ?? 0) > 0, 'sent while backing up, refused 2006');
  });

  it('a phone someone starts to use after prepare is held back from its call by the next listing', async () => {
    env.sim.reset();
    const ids = env.ids(200, 2000).filter((id) => {
      const v = env.sim.instance(id)!;
      return !v.loggedIn && v.assignUser === null && v.backingUpUntil === null;
    });
    // A listing is good for 5 s here (10 min by default): the campaign waits paused until the
    // pre-flight's is due, and the fleet is listed again before the first call.
    const handle = await env.start({ rate: 20, listingMaxAgeMs: '5s' }, { kind: 'inline', ids });
    await handle.signal(pauseSignal);
    await waitFor(async () => (await handle.query(statusQuery)).total === ids.length);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const [taken, frozen] = [ids[42]!, ids[150]!];
    env.sim.setInstance(taken, { loggedIn: true, assignUser: 'carol' });
    env.sim.setInstance(frozen, { frozen: true });
    await handle.signal(resumeSignal);
    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed', result.reason);
    const line = byId(await env.report(handle.workflowId));
    assert.equal(line.get(taken)?.outcome, 'skipped');
    assert.equal(line.get(taken)?.error_code, 'IN_USE');
    assert.match(line.get(taken)!.error_msg, /by carol .*\(fleet listed again\)/);
    assert.equal(line.get(frozen)?.outcome, 'rejected');
    assert.equal(line.get(frozen)?.error_code, 'KOOPHONE.API.2004');
    assert.equal(env.sim.instance(taken)!.resets, 0);
    assert.equal(env.sim.instance(frozen)!.resets, 0);
    // Held back, not bisected: KooPhone never refused a call for the frozen phone.
    assert.equal(env.sim.stats().errorCodes['KOOPHONE.API.2004'] ?? 0, 0);
    assert.equal(result.counts.succeeded, ids.length - 2);
    // Listed at prepare and at least once more, each a call of the campaign's cost.
    assert.ok(env.sim.stats().calls.listInstances >= 6, `listing calls ${env.sim.stats().calls.listInstances}`);
  });
});

describe('real fleets: a disruption budget per pool', () => {
  // 3 pools of 1 000 phones in 3 regions; jobs of 0.5–1 s are seen done at their first poll (2 s).
  const env = campaignEnv({ instances: 3000, regions: 3, jobDurationMs: '500..1000' });

  it('--max-per-pool 10%: never more than 100 phones of a pool with a running reset job', async () => {
    env.sim.reset();
    const ids = shuffled(env.ids(3000), 11);
    const path = env.writeIdsFile('pools.txt', ids.join('\n') + '\n');
    const started = Date.now();
    const { result } = await env.run(
      { rate: 20, concurrency: 50, canary: 0, maxPerPool: '10%' },
      { kind: 'file', path, format: 'auto' },
    );
    const wallMs = Date.now() - started;
    assert.equal(result.state, 'completed', result.reason);
    assert.equal(result.counts.succeeded, 3000);
    const pools = env.sim.pools();
    assert.ok(pools.samples >= wallMs / 1000, `${pools.samples} samples in ${wallMs} ms`);
    for (const p of pools.pools) {
      // Sampled every 250 ms by the simulator: the budget held at every sample, and was used.
      assert.ok(p.peakRunning <= 100, `${p.name}: ${p.peakRunning} phones at once`);
      assert.ok(p.peakRunning >= 90, `${p.name}: at most ${p.peakRunning} phones at once`);
    }
    // The pools ran side by side, not one after the other.
    assert.ok(pools.peakTotal > 100, `peak over all pools ${pools.peakTotal}`);
    // The budget's arithmetic: a pool's ~333 phones in each region go 100 at a time, so each pool
    // takes 3 × 4 = 12 batches one after the other, each at least a job long (0.5 s) and seen
    // done at its first poll (2 s after its call). Wall time: at least 12 × 0.5 s, and within
    // 12 batch lifetimes (2 s and one rate interval each) plus the prepare and the report.
    const waves = 12;
    assert.ok(wallMs >= waves * 500, `wall ${wallMs} ms`);
    assert.ok(wallMs <= waves * (2000 + 50) * 1.5 + 10_000, `wall ${wallMs} ms for ${waves} waves`);
  });
});
