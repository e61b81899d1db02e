// The plain script's side of a row: bench/baseline.ts in its own process on the same simulator.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root';
import type { BaselineResult } from '../baseline';
import { beginRun, finish, loadTracker, log, recordSimulator, round, type Env } from './env';
import { RssSampler } from './proc';
import type { BenchRow } from './rows';
import type { BenchRun } from './types';
import { waitForExit } from './worker-process';

export async function runBaseline(env: Env, row: BenchRow, idsFile: string): Promise<BenchRun> {
  const { settings, run } = beginRun(env, row, 'baseline');
  const load = loadTracker();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(projectRoot, 'bench', 'baseline.ts'),
      '--ids',
      idsFile,
      '--endpoint',
      env.sim.url,
      '--concurrency',
      String(settings.concurrency),
      '--rate',
      String(settings.rate),
    ],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (child.pid === undefined) throw new Error('could not start the baseline process');
  const sampler = new RssSampler(child.pid, settings.rssSampleMs);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const code = await waitForExit(child);
  run.load = load();
  run.peakRssMb = round(sampler.stop().peakMb, 1);
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || line === '') {
    run.error = `baseline exited with ${code}: ${err.slice(-2000)}`;
    log(`  ${run.error}`);
    return run;
  }
  const result = JSON.parse(line) as BaselineResult;
  run.ok = result.succeeded + result.failed === row.instances;
  if (!run.ok) run.error = `baseline ended ${result.succeeded + result.failed} of ${row.instances} jobs`;
  run.workerCpuSeconds = round(result.cpuSeconds, 2);
  recordSimulator(run, env.sim, result.startedAtMs);
  finish(run, result.wallSeconds);
  run.ratioToBaseline = 1;
  return run;
}
