// koophone-reset against a plain-script baseline, same simulator, same concurrency and rate.
//
//   npm run bench                          # 10 000 and 100 000 instances
//   npm run bench -- --instances 20000     # one size
//   npm run bench -- --big                 # adds 1 000 000
//
// Per size: the baseline (bench/baseline.ts, a child process), then koophone-reset (a headless
// Temporal dev server started here, one worker child process running src/worker.ts, one campaign).
// The simulator runs in this process and is reset between runs. Results go to bench/results/.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { cpus, totalmem, tmpdir, release, platform, arch } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { campaignOptionsSchema } from '../src/campaign/options';
import type { CampaignResult } from '../src/campaign/status';
import { projectRoot } from '../src/project-root';
import { startSimulator, type RunningSimulator } from '../src/simulator';
import { startDevServer } from '../src/temporal/dev-server';
import { requireTemporalCli } from '../src/temporal/locate-cli';
import type { resetCampaign } from '../src/workflows';
import type { BaselineResult } from './baseline';
import { analyzeCampaign, listedRuns } from './lib/history';
import { LiveHeapTracker } from './lib/gc-trace';
import { cpuSeconds, RssSampler } from './lib/proc';
import { batchCount, idealSeconds, parseRange, pollFloorSeconds } from './lib/schedule';
import { writeMarkdown } from './lib/report';
import type { BenchRun, Machine, Settings, Versions } from './lib/types';

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));
const log = (message: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

function machine(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    os: `${platform()} ${release()} ${arch()}`,
  };
}

function versions(): Versions {
  const run = (file: string, args: string[]): string => {
    try {
      return execFileSync(file, args, { encoding: 'utf8', cwd: projectRoot }).trim();
    } catch {
      return 'unknown';
    }
  };
  const sdk = JSON.parse(
    readFileSync(join(projectRoot, 'node_modules', '@temporalio', 'worker', 'package.json'), 'utf8'),
  ) as { version: string };
  const dirty = run('git', ['status', '--porcelain']) === '' ? '' : ' (uncommitted changes)';
  return {
    node: process.version,
    temporalCli: run(requireTemporalCli().path, ['--version']),
    temporalSdk: sdk.version,
    gitCommit: `${run('git', ['rev-parse', '--short', 'HEAD'])}${dirty}`,
  };
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function stopChild(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = waitForExit(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

interface Env {
  settings: Settings;
  sim: RunningSimulator;
  /** The dev server started here, or a cluster given by --temporal-address (its pids for CPU). */
  server: { address: string; namespace: string; pids: number[] };
  client: Client;
  tmp: string;
  /** dist/workflow-bundle.js-style prebuilt bundle the worker loads (WORKFLOW_BUNDLE). */
  workflowBundle: string;
  machine: Machine;
  versions: Versions;
}

function baseRun(env: Env, system: BenchRun['system'], instances: number): BenchRun {
  const { settings } = env;
  return {
    system,
    instances,
    ok: false,
    wallSeconds: 0,
    idealSeconds: round(idealSeconds(instances, settings.rate, settings.jobDurationMs)),
    pollFloorSeconds: round(
      pollFloorSeconds(instances, settings.rate, settings.jobDurationMs, settings.latencyMs),
    ),
    ratioToBaseline: null,
    ratioToIdeal: 0,
    ratioToPollFloor: 0,
    instancesPerSecond: 0,
    peakRssMb: 0,
    peakRssMbWithStartup: null,
    liveHeapMb: null,
    workerCpuSeconds: 0,
    serverCpuSeconds: null,
    batchResetCalls: 0,
    taskPolls: 0,
    peakCallsPerSecond: 0,
    succeeded: 0,
    failed: 0,
    actionsPer1000: null,
    totalActions: null,
    actions: null,
    historyRuns: null,
    maxHistoryEvents: null,
    maxPayloadBytes: null,
    maxEventPayloadBytes: null,
    maxActivitySeconds: null,
    timeline: null,
    settings,
    machine: env.machine,
    versions: env.versions,
    finishedAt: '',
  };
}

function finish(run: BenchRun, wallSeconds: number): void {
  run.wallSeconds = round(wallSeconds);
  run.ratioToIdeal = round(wallSeconds / run.idealSeconds);
  run.ratioToPollFloor = round(wallSeconds / run.pollFloorSeconds);
  run.instancesPerSecond = round(run.instances / wallSeconds, 1);
  run.finishedAt = new Date().toISOString();
}

function recordSimulator(run: BenchRun, sim: RunningSimulator): void {
  const stats = sim.stats();
  run.batchResetCalls = stats.calls.batchReset;
  run.taskPolls = stats.calls.getTask;
  run.peakCallsPerSecond = stats.peakRequestsPerSecond;
  run.succeeded = stats.jobs.succeeded;
  run.failed = stats.jobs.failed;
  const throttled = stats.faults.throttled;
  if (throttled > 0) log(`  note: the simulator answered ${throttled} requests with 429`);
}

async function runBaselineProcess(env: Env, instances: number, idsFile: string): Promise<BenchRun> {
  const run = baseRun(env, 'baseline', instances);
  env.sim.reset();
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
      String(env.settings.concurrency),
      '--rate',
      String(env.settings.rate),
    ],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (child.pid === undefined) throw new Error('could not start the baseline process');
  const sampler = new RssSampler(child.pid, env.settings.rssSampleMs);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const code = await waitForExit(child);
  run.peakRssMb = round(sampler.stop().peakMb, 1);
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || line === '') {
    run.error = `baseline exited with ${code}: ${err.slice(-2000)}`;
    log(`  ${run.error}`);
    return run;
  }
  const result = JSON.parse(line) as BaselineResult;
  run.ok = result.succeeded + result.failed === instances;
  if (!run.ok) run.error = `baseline ended ${result.succeeded + result.failed} of ${instances} jobs`;
  run.workerCpuSeconds = round(result.cpuSeconds, 2);
  recordSimulator(run, env.sim);
  finish(run, result.wallSeconds);
  run.ratioToBaseline = 1;
  return run;
}

async function waitForPollers(
  env: Env,
  taskQueue: string,
  worker: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (worker.exitCode !== null || worker.signalCode !== null) {
      throw new Error(
        `worker exited during start-up (${worker.exitCode ?? worker.signalCode}): ${output().slice(-2000)}`,
      );
    }
    const [wf, act] = await Promise.all(
      ([1, 2] as const).map((taskQueueType) =>
        env.client.workflowService.describeTaskQueue({
          namespace: env.server.namespace,
          taskQueue: { name: taskQueue },
          taskQueueType,
        }),
      ),
    );
    if ((wf?.pollers?.length ?? 0) > 0 && (act?.pollers?.length ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error(`worker did not poll ${taskQueue} within 180 s`);
    await sleep(250);
  }
}

async function runKoophone(env: Env, instances: number, idsFile: string): Promise<BenchRun> {
  const run = baseRun(env, 'koophone-reset', instances);
  const { settings } = env;
  env.sim.reset();
  const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
  const reportDir = mkdtempSync(join(env.tmp, 'reports-'));
  const logFile = join(env.tmp, `${taskQueue}.log`);
  // The worker runs as in production (the Docker image): compiled JavaScript and a prebuilt
  // workflow bundle, so its RSS is the worker's and not tsx's or webpack's.
  const heap = new LiveHeapTracker();
  const nodeArgs = ['--trace-gc', '--trace-gc-ignore-scavenger', ...settings.workerNodeOptions];
  const worker = spawn(
    process.execPath,
    [...nodeArgs, join(projectRoot, 'dist', 'cli', 'index.js'), 'worker'],
    {
      cwd: projectRoot,
      env: {
        ...process.env,
        WORKFLOW_BUNDLE: env.workflowBundle,
        TEMPORAL_ADDRESS: env.server.address,
        TEMPORAL_NAMESPACE: env.server.namespace,
        TEMPORAL_TASK_QUEUE: taskQueue,
        KOOPHONE_ENDPOINT: env.sim.url,
        KOOPHONE_TOKEN: 'sim-token',
        REPORT_SINK: '',
        REPORT_DIR: reportDir,
        LOG_LEVEL: 'warn',
        WORKER_MAX_ACTIVITIES: String(settings.workerMaxActivities),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (worker.pid === undefined) throw new Error('could not start the worker process');
  const workerPid = worker.pid;
  const startupSampler = new RssSampler(workerPid, settings.rssSampleMs);
  const logStream = createWriteStream(logFile);
  let tail = '';
  let lines = 0;
  const onOutput = (d: Buffer): void => {
    const text = heap.feed(d.toString());
    logStream.write(text);
    lines += text.split('\n').length - 1;
    tail = (tail + text).slice(-4000);
  };
  worker.stdout?.on('data', onOutput);
  worker.stderr?.on('data', onOutput);
  const campaignId = `bench-${instances}-${randomUUID().slice(0, 8)}`;
  try {
    await waitForPollers(env, taskQueue, worker, () => tail);
    log(`  worker ready (pid ${workerPid}); starting campaign ${campaignId}`);
    const options = campaignOptionsSchema.parse({
      campaignId,
      batchSize: settings.batchSize,
      concurrency: settings.concurrency,
      rate: settings.rate,
      canary: settings.canary,
      maxErrors: settings.maxErrors,
      maxHistoryEvents: settings.maxHistoryEvents,
      heartbeatTimeoutMs: settings.heartbeatTimeoutMs,
    });
    const serverCpu = () => env.server.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const workerCpu0 = cpuSeconds(workerPid);
    const serverCpu0 = serverCpu();
    const sampler = new RssSampler(workerPid, settings.rssSampleMs);
    const started = performance.now();
    const handle = await env.client.workflow.start<typeof resetCampaign>('resetCampaign', {
      taskQueue,
      workflowId: campaignId,
      args: [{ options, source: { kind: 'file', path: idsFile, format: 'text' } }],
    });
    const budgetMs = (run.idealSeconds * 5 + 300) * 1000;
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      handle.result(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`campaign did not finish within ${budgetMs / 1000} s`)),
          budgetMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    const wallSeconds = (performance.now() - started) / 1000;
    run.workerCpuSeconds = round(cpuSeconds(workerPid) - workerCpu0, 2);
    run.serverCpuSeconds = env.server.pids.length > 0 ? round(serverCpu() - serverCpu0, 2) : null;
    run.peakRssMb = round(sampler.stop().peakMb, 1);
    recordSimulator(run, env.sim);
    finish(run, wallSeconds);
    checkResult(run, result, instances);

    const history = await analyzeCampaign(env.client, campaignId, handle.firstExecutionRunId);
    const listed = await listedRuns(env.client, campaignId).catch(() => -1);
    if (listed >= 0 && listed !== history.runs) {
      log(`  note: visibility lists ${listed} runs, the continue-as-new chain has ${history.runs}`);
    }
    run.actions = history.actions;
    run.totalActions = history.totalActions;
    run.actionsPer1000 = round((history.totalActions / instances) * 1000, 2);
    run.historyRuns = history.runs;
    run.maxHistoryEvents = history.maxHistoryEvents;
    run.maxPayloadBytes = history.maxPayloadBytes;
    run.maxEventPayloadBytes = history.maxEventPayloadBytes;
    run.maxActivitySeconds = round(history.maxActivitySeconds, 2);
    run.timeline = history.timeline;
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err);
    log(`  koophone-reset run failed: ${run.error}`);
    await env.client.workflow
      .getHandle(campaignId)
      .terminate('benchmark run failed')
      .catch(() => undefined);
  } finally {
    await stopChild(worker);
    run.peakRssMbWithStartup = round(startupSampler.stop().peakMb, 1);
    const live = heap.liveHeapMb();
    run.liveHeapMb = live === null ? null : round(live, 1);
    logStream.end();
    if (lines > 0)
      log(
        `  worker wrote ${lines} log lines at warn level or above (${logFile}); last: ${tail.trim().split('\n').pop() ?? ''}`,
      );
    rmSync(reportDir, { recursive: true, force: true });
  }
  return run;
}

function checkResult(run: BenchRun, result: CampaignResult, instances: number): void {
  const c = result.counts;
  const problems: string[] = [];
  if (result.state !== 'completed')
    problems.push(`state ${result.state}${result.reason ? ` (${result.reason})` : ''}`);
  if (c.succeeded !== instances) problems.push(`${c.succeeded} of ${instances} succeeded`);
  if (result.batchResetCalls !== run.batchResetCalls) {
    problems.push(
      `workflow counted ${result.batchResetCalls} batch-reset calls, the simulator ${run.batchResetCalls}`,
    );
  }
  run.ok = problems.length === 0;
  if (!run.ok) run.error = problems.join('; ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      instances: { type: 'string', multiple: true },
      big: { type: 'boolean', default: false },
      rate: { type: 'string', default: '20' },
      concurrency: { type: 'string', default: '250' },
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
  });
  const sizes = values.instances?.length
    ? values.instances.map((s) => Number(s.replace(/_/g, '')))
    : [10_000, 100_000, ...(values.big ? [1_000_000] : [])];
  if (values.instances?.length && values.big) sizes.push(1_000_000);
  for (const n of sizes)
    if (!Number.isInteger(n) || n < 1) throw new Error(`--instances must be a positive integer`);
  const rate = Number(values.rate);
  const concurrency = Number(values.concurrency);
  const jobDurationMs = parseRange(values['job-duration']);
  const latencyMs = parseRange(values.latency);
  const settings: Settings = {
    rate,
    concurrency,
    jobDurationMs,
    latencyMs,
    simulatorRateLimit: Math.ceil(rate * 2),
    simulatorQueryRateLimit: Math.ceil(rate * 10),
    workerMaxActivities: concurrency,
    batchSize: 100,
    canary: 0,
    maxErrors: '100%',
    // The campaign's own defaults: the figures are what an operator gets without tuning.
    maxHistoryEvents: campaignOptionsSchema.shape.maxHistoryEvents.parse(undefined),
    heartbeatTimeoutMs: campaignOptionsSchema.shape.heartbeatTimeoutMs.parse(undefined),
    rssSampleMs: 500,
    workerNodeOptions: values['worker-node-option'] ?? [],
    idealFormula: 'ceil(instances / 100) / rate + mean(jobDurationMs) / 1000 + 2 (first poll)',
    pollFloorFormula:
      '(ceil(instances / 100) − 1) / rate + (first poll time at which max(jobDurationMs) has passed: 2, 5, 9.5, … s) + 2 × mean(latencyMs)',
  };

  const tmp = mkdtempSync(join(tmpdir(), 'koophone-bench-'));
  const workflowBundle = join(tmp, 'workflow-bundle.js');
  log('building dist/ and the workflow bundle (the worker runs as the Docker image runs it) …');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: projectRoot, stdio: 'inherit' });
  execFileSync(process.execPath, [join(projectRoot, 'deploy', 'bundle-workflows.mjs'), workflowBundle], {
    cwd: projectRoot,
    stdio: 'inherit',
  });
  log(`sizes ${sizes.join(', ')}; rate ${rate}/s, concurrency ${concurrency}; temp ${tmp}`);
  const sim = await startSimulator({
    port: 0,
    host: '127.0.0.1',
    instances: Math.max(...sizes),
    seed: 1,
    jobDurationMs,
    latencyMs,
    rateLimit: settings.simulatorRateLimit,
    queryRateLimit: settings.simulatorQueryRateLimit,
  });
  const idsFiles = new Map<number, string>();
  for (const n of sizes) {
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
    workflowBundle,
    machine: machine(),
    versions: versions(),
  };
  log(
    `simulator ${sim.url}, ${devServer ? 'dev server' : 'Temporal'} ${server.address} (pids ${server.pids.join(',') || '?'}), ${env.versions.temporalCli}`,
  );

  const runs: BenchRun[] = [];
  try {
    for (const n of sizes) {
      const idsFile = idsFiles.get(n)!;
      log(
        `${n} instances: ${batchCount(n)} calls, ideal ${round(idealSeconds(n, rate, jobDurationMs), 1)} s`,
      );
      let baseline: BenchRun | undefined;
      if (!values['skip-baseline']) {
        log('  baseline …');
        baseline = await runBaselineProcess(env, n, idsFile);
        runs.push(baseline);
        log(`  baseline: ${baseline.wallSeconds} s, ${baseline.peakRssMb} MB`);
      }
      log('  koophone-reset …');
      const k = await runKoophone(env, n, idsFile);
      if (baseline?.ok && k.ok) k.ratioToBaseline = round(k.wallSeconds / baseline.wallSeconds);
      runs.push(k);
      log(
        `  koophone-reset: ${k.wallSeconds} s, ×${k.ratioToBaseline ?? '?'} baseline, ${k.actionsPer1000 ?? '?'} actions/1000, worker ${k.peakRssMb} MB`,
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
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}
