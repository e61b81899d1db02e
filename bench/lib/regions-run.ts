// A `regions` row: koophone-reset alone on a fleet of several regions, first with the ids sorted
// by region, then with the same ids in export order (shuffled). KooPhone refuses a batch that
// mixes regions (1002); the pre-flight lists the fleet and groups the batches by region, so the
// shuffled file should cost about what the sorted one does. Figures from the simulator.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator } from '../../src/simulator';
import { log, round, type Env } from './env';
import { runKoophone } from './koophone-run';
import type { BenchRow } from './rows';
import type { BenchRun } from './types';

/** A seeded shuffle: the ids in "export order", the same on every run. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let x = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export async function runRegions(env: Env, row: BenchRow): Promise<BenchRun[]> {
  const sim = await startSimulator({
    port: 0,
    host: '127.0.0.1',
    instances: row.instances,
    seed: 1,
    regions: row.regions ?? 3,
    jobDurationMs: env.settings.jobDurationMs,
    latencyMs: env.settings.latencyMs,
  });
  try {
    const ids = sim.fleet.ids(0, row.instances);
    const region = new Map(ids.map((id) => [id, sim.instance(id)!.region]));
    const byRegion = [...ids].sort((a, b) => region.get(a)!.localeCompare(region.get(b)!));
    const files = {
      sorted: join(env.tmp, `${row.id}-sorted.txt`),
      shuffled: join(env.tmp, `${row.id}-shuffled.txt`),
    };
    writeFileSync(files.sorted, `${byRegion.join('\n')}\n`);
    writeFileSync(files.shuffled, `${shuffled(ids, 26).join('\n')}\n`);
    const regionEnv: Env = { ...env, sim };
    const runs: BenchRun[] = [];
    for (const order of ['sorted', 'shuffled'] as const) {
      log(`  koophone-reset, ids ${order} …`);
      const run = await runKoophone(regionEnv, row, files[order]);
      Object.assign(run, { row: `${row.id} ${order}`, regions: row.regions, order });
      log(
        `  ${order}: ${run.wallSeconds} s, ${run.batchResetCalls} batch-reset calls, ${run.listingCalls ?? '?'} listing calls, peak ${run.rateCheck?.peakPerSecond.batchReset ?? '?'}/s`,
      );
      runs.push(run);
    }
    const [sorted, mixed] = runs as [BenchRun, BenchRun];
    if (sorted.ok && mixed.ok) {
      mixed.vsSorted = {
        calls: round(mixed.batchResetCalls / sorted.batchResetCalls, 3),
        wall: round(mixed.wallSeconds / sorted.wallSeconds, 3),
      };
    }
    return runs;
  } finally {
    await sim.close();
  }
}
