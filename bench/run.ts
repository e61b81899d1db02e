// koophone-reset against a plain-script baseline, same simulator, same concurrency and rate.
//
//   npm run bench                          # every row of bench/lib/rows.ts (≈ 10 minutes)
//   npm run bench -- --only rate100        # the rows whose id starts with rate100
//   npm run bench -- --only failover       # two workers, one SIGKILLed mid-campaign
//   npm run bench -- --instances 20000     # rows of this size at --rate and --concurrency
//   npm run bench -- --big                 # adds 1 000 000
//   npm run bench -- --only regions --out bench/results/regions   # ids in several regions
//
// Per row: the baseline (bench/baseline.ts, a child process), then koophone-reset (a headless
// Temporal dev server started here, one worker child process, one campaign). The simulator runs in
// this process and is reset between runs. Results go to bench/results/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { campaignOptionsSchema } from '../src/campaign/options';
import { projectRoot } from '../src/project-root';
import { startSimulator } from '../src/simulator';
import { startDevServer } from '../src/temporal/dev-server';
import { runBaseline } from './lib/baseline-run';
import { log, machine, round, versions, type Env } from './lib/env';
import { runFailover } from './lib/failover-run';
import { runKoophone } from './lib/koophone-run';
import { runRegions } from './lib/regions-run';
import { selectRows } from './lib/rows';
import { batchCount, idealSeconds, parseRange } from './lib/schedule';
import { writeMarkdown } from './lib/report';
import type { BenchRun } from './lib/types';
import { imageNodeOptions } from './lib/worker-process';
import { runWorkerStart } from './lib/worker-start';

const positiveInt = (flag: string, text: string): number => {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${text}"`);
  return n;
};

/** A command line the bench cannot run: said in one line, exit 2, nothing started. */
class UsageError extends Error {}

function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

async function main(): Promise<void> {
  const { values } = usage(() =>
    parseArgs({
      options: {
        only: { type: 'string', multiple: true },
        instances: { type: 'string', multiple: true },
        big: { type: 'boolean', default: false },
        rate: { type: 'string' },
        concurrency: { type: 'string' },
        'job-duration': { type: 'string', default: '1000..3000' },
        latency: { type: 'string', default: '5..20' },
        out: { type: 'string', default: join(projectRoot, 'bench', 'results') },
        'skip-baseline': { type: 'boolean', default: false },
        'worker-node-option': { type: 'string', multiple: true },
        // A running Temporal (e.g. `npm run cluster:up`, namespace default) instead of a dev server;
        // --temporal-pid (repeatable) names its processes for the server CPU column.
        'temporal-address': { type: 'string' },
        'temporal-pid': { type: 'string', multiple: true },
      },
    }),
  );
  const rows = usage(() =>
    selectRows({
      only: values.only ?? [],
      big: values.big,
      instances: (values.instances ?? []).map((s) => positiveInt('--instances', s)),
      rate: values.rate === undefined ? undefined : positiveInt('--rate', values.rate),
      concurrency:
        values.concurrency === undefined ? undefined : positiveInt('--concurrency', values.concurrency),
    }),
  );
  const jobDurationMs = usage(() => parseRange(values['job-duration']));
  const latencyMs = usage(() => parseRange(values.latency));
  const settings: Env['settings'] = {
    jobDurationMs,
    latencyMs,
    batchSize: 100,
    canary: 0,
    maxErrors: '100%',
    // The campaign's own defaults: the figures are what an operator gets without tuning.
    maxHistoryEvents: campaignOptionsSchema.shape.maxHistoryEvents.parse(undefined),
    heartbeatTimeoutMs: campaignOptionsSchema.shape.heartbeatTimeoutMs.parse(undefined),
    rssSampleMs: 500,
    // The worker's heap is capped as the Docker image caps it, unless told otherwise.
    workerNodeOptions: values['worker-node-option'] ?? imageNodeOptions(),
    idealFormula: 'ceil(instances / 100) / rate + mean(jobDurationMs) / 1000 + 2 (first poll)',
    pollFloorFormula:
      '(ceil(instances / 100) − 1) / rate + (first poll time at which max(jobDurationMs) has passed: 2, 4, 7, 11.5, … s) + 2 × mean(latencyMs)',
  };

  const tmp = mkdtempSync(join(tmpdir(), 'koophone-bench-'));
  log('building dist/ and the workflow bundle (the worker runs as the Docker image runs it) …');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: projectRoot, stdio: 'inherit' });
  log(
    `rows ${rows.map((r) => r.id).join(', ')}; worker node options ${settings.workerNodeOptions.join(' ')}; temp ${tmp}`,
  );
  const sim = await startSimulator({
    port: 0,
    host: '127.0.0.1',
    instances: Math.max(1, ...rows.map((r) => r.instances)),
    seed: 1,
    jobDurationMs,
    latencyMs,
  });
  const idsFiles = new Map<number, string>();
  for (const n of new Set(rows.filter((r) => r.kind !== 'start').map((r) => r.instances))) {
    const file = join(tmp, `ids-${n}.txt`);
    const chunk: string[] = [];
    for (let i = 0; i < n; i += 1) chunk.push(sim.fleet.idAt(i));
    writeFileSync(file, `${chunk.join('\n')}\n`);
    idsFiles.set(n, file);
  }
  const devServer = values['temporal-address'] ? undefined : await startDevServer({ headless: true });
  const server = devServer
    ? { address: devServer.address, namespace: devServer.namespace, pids: [devServer.process.pid ?? 0] }
    : {
        address: values['temporal-address']!,
        namespace: 'default',
        pids: (values['temporal-pid'] ?? []).map(Number),
      };
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const env: Env = {
    settings,
    sim,
    server,
    client,
    tmp,
    machine: machine(),
    versions: versions(),
  };
  log(
    `simulator ${sim.url}, ${devServer ? 'dev server' : 'Temporal'} ${server.address} (pids ${server.pids.join(',') || '?'}), ${env.versions.temporalCli}`,
  );

  const runs: BenchRun[] = [];
  try {
    for (const row of rows) {
      if (row.kind === 'start') {
        log(`${row.id}: workers started and left idle, bundling at start against prebuilt`);
        runs.push(...(await runWorkerStart(env, row)));
        continue;
      }
      const idsFile = idsFiles.get(row.instances)!;
      const ideal = round(idealSeconds(row.instances, row.rate, jobDurationMs), 1);
      log(
        `${row.id}: ${row.instances} instances, rate ${row.rate}, concurrency ${row.concurrency}: ${batchCount(row.instances)} calls, ideal ${ideal} s`,
      );
      if (row.kind === 'regions') {
        runs.push(...(await runRegions(env, row)));
        continue;
      }
      if (row.kind === 'failover') {
        const f = await runFailover(env, row, idsFile);
        runs.push(f);
        log(
          `  failover: ${f.wallSeconds} s; kill → first resumed ${f.failover?.firstResumeSeconds ?? '?'} s, all ${f.failover?.allResumedSeconds ?? '?'} s (${f.failover?.orphanTasks ?? '?'} tasks)`,
        );
        continue;
      }
      let baseline: BenchRun | undefined;
      if (!values['skip-baseline']) {
        log('  baseline …');
        baseline = await runBaseline(env, row, idsFile);
        runs.push(baseline);
        log(`  baseline: ${baseline.wallSeconds} s, ${baseline.peakRssMb} MB`);
      }
      log('  koophone-reset …');
      const k = await runKoophone(env, row, idsFile);
      if (baseline?.ok && k.ok) k.ratioToBaseline = round(k.wallSeconds / baseline.wallSeconds);
      runs.push(k);
      log(
        `  koophone-reset: ${k.wallSeconds} s, ×${k.ratioToBaseline ?? '?'} baseline, peak batch-reset ${k.rateCheck?.peakSlidingWindow.batchReset ?? '?'}/s, ${k.actionsPer1000 ?? '?'} actions/1000, worker ${k.vmHwmMb} MB`,
      );
    }
  } finally {
    await connection.close();
    await devServer?.stop();
    await sim.close();
    rmSync(tmp, { recursive: true, force: true });
  }

  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'results.json'), `${JSON.stringify(runs, null, 2)}\n`);
  writeFileSync(join(values.out, 'results.md'), writeMarkdown(runs));
  log(`results in ${values.out}/results.json and results.md`);
  if (runs.some((r) => !r.ok)) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`bench: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}
