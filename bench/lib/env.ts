// What every benchmark run shares: the simulator, the Temporal server and client, the machine,
// and the BenchRun record each run fills in.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { projectRoot } from '../../src/project-root';
import type { RunningSimulator } from '../../src/simulator';
import { requireTemporalCli } from '../../src/temporal/locate-cli';
import type { BenchRow } from './rows';
import { rateLimitOf } from './rows';
import { idealSeconds, pollFloorSeconds } from './schedule';
import type { BenchRun, CallPhases, Machine, MachineLoad, Settings, Versions } from './types';
import type { WorkerSpec } from './worker-process';

export interface Env {
  /** Settings every row shares; rate and concurrency come from the row (see `settingsOf`). */
  settings: Omit<
    Settings,
    'rate' | 'concurrency' | 'workerMaxActivities' | 'simulatorRateLimit' | 'simulatorQueryRateLimit'
  >;
  sim: RunningSimulator;
  /** The dev server started here, or a cluster given by --temporal-address (its pids for CPU). */
  server: { address: string; namespace: string; pids: number[] };
  client: Client;
  tmp: string;
  machine: Machine;
  versions: Versions;
}

export const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

export const log = (message: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

export function machine(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    os: `${platform()} ${release()} ${arch()}`,
  };
}

export function versions(): Versions {
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

const loadNow = (): [number, number, number] => loadavg().map((l) => round(l, 2)) as [number, number, number];

/** Starts a load record; call the result when the run ends. */
export function loadTracker(): () => MachineLoad {
  const before = loadNow();
  return () => ({ before, after: loadNow() });
}

/** The row's settings: its rate and concurrency, the simulator's limits derived from the rate. */
function settingsOf(env: Env, row: BenchRow): Settings {
  return {
    ...env.settings,
    rate: row.rate,
    concurrency: row.concurrency,
    workerMaxActivities: row.concurrency,
    simulatorRateLimit: Math.ceil(row.rate * 2),
    simulatorQueryRateLimit: Math.ceil(row.rate * 10),
  };
}

/** A run of the row starts: its settings, its empty record, the simulator reset for it. */
export function beginRun(
  env: Env,
  row: BenchRow,
  system: BenchRun['system'],
): { settings: Settings; run: BenchRun } {
  const settings = settingsOf(env, row);
  resetSimulator(env, settings);
  return { settings, run: baseRun(env, row, system, settings) };
}

/** A worker of this run: the env's Temporal and bundle, the row's concurrency and heap cap. */
export function workerSpec(
  env: Env,
  settings: Settings,
  place: Pick<WorkerSpec, 'taskQueue' | 'endpoint' | 'reportDir' | 'logFile'>,
): WorkerSpec {
  return {
    temporalAddress: env.server.address,
    namespace: env.server.namespace,
    maxActivities: settings.workerMaxActivities,
    nodeOptions: settings.workerNodeOptions,
    ...place,
  };
}

/** The simulator back to its start state, with the row's rate limits (never hit by a correct client). */
function resetSimulator(env: Env, settings: Settings): void {
  env.sim.reset();
  env.sim.setFaults({
    rateLimit: settings.simulatorRateLimit,
    queryRateLimit: settings.simulatorQueryRateLimit,
  });
}

function baseRun(env: Env, row: BenchRow, system: BenchRun['system'], settings: Settings): BenchRun {
  const { instances } = row;
  return {
    row: row.id,
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
    vmHwmMb: null,
    liveHeapMb: null,
    workerCpuSeconds: 0,
    serverCpuSeconds: null,
    batchResetCalls: 0,
    taskPolls: 0,
    peakCallsPerSecond: 0,
    rateCheck: null,
    throttled: 0,
    succeeded: 0,
    failed: 0,
    actionsPer1000: null,
    totalActions: null,
    costActionsPer1000: null,
    costActions: null,
    historyEvents: null,
    actions: null,
    historyRuns: null,
    maxHistoryEvents: null,
    maxPayloadBytes: null,
    maxEventPayloadBytes: null,
    maxActivitySeconds: null,
    timeline: null,
    callPhases: null,
    failover: null,
    workerStart: null,
    load: null,
    settings,
    machine: env.machine,
    versions: env.versions,
    finishedAt: '',
  };
}

export function finish(run: BenchRun, wallSeconds: number): void {
  run.wallSeconds = round(wallSeconds);
  run.ratioToIdeal = round(wallSeconds / run.idealSeconds);
  run.ratioToPollFloor = round(wallSeconds / run.pollFloorSeconds);
  run.instancesPerSecond = round(run.instances / wallSeconds, 1);
  run.finishedAt = new Date().toISOString();
}

/**
 * The simulator's own counts of the run: calls, peaks per endpoint, the rate check, job outcomes,
 * and (given the run's start, epoch ms) when its first and last calls came.
 */
export function recordSimulator(run: BenchRun, sim: RunningSimulator, startedAtMs?: number): void {
  const stats = sim.stats();
  const timeline = sim.timeline();
  run.batchResetCalls = stats.calls.batchReset;
  run.taskPolls = stats.calls.getTask;
  run.listingCalls = stats.calls.listInstances;
  run.peakCallsPerSecond = stats.peakRequestsPerSecond;
  run.succeeded = stats.jobs.succeeded;
  run.failed = stats.jobs.failed;
  run.throttled = stats.faults.throttled;
  const limit = rateLimitOf(run.settings.rate);
  run.rateCheck = {
    limit,
    peakPerSecond: timeline.peakPerSecond,
    peakSlidingWindow: timeline.peakSlidingWindow,
    met: timeline.peakPerSecond.batchReset <= limit && timeline.peakSlidingWindow.batchReset <= limit,
  };
  if (run.throttled > 0) log(`  note: the simulator answered ${run.throttled} requests with 429`);
  if (startedAtMs !== undefined) run.callPhases = callPhases(sim, startedAtMs);
}

function callPhases(sim: RunningSimulator, startedAtMs: number): CallPhases {
  let first = Infinity;
  let last = -Infinity;
  let ended = -Infinity;
  const gaps: { at: number; ms: number }[] = [];
  for (const call of sim.calls(startedAtMs)) {
    if (call.endpoint === 'batchReset') {
      if (Number.isFinite(last)) gaps.push({ at: last, ms: call.at - last });
      first = Math.min(first, call.at);
      last = Math.max(last, call.at);
    } else if (call.endpoint === 'getTask' && call.ended) ended = Math.max(ended, call.at);
  }
  const sec = (at: number) => (Number.isFinite(at) ? round((at - startedAtMs) / 1000, 2) : null);
  return {
    firstBatchReset: sec(first),
    lastBatchReset: sec(last),
    lastTaskSeenEnded: sec(ended),
    longestBatchResetGaps: gaps
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 3)
      .map((g) => ({ at: sec(g.at)!, seconds: round(g.ms / 1000, 2) })),
  };
}

/** Until `count` workers poll both of the task queue's kinds (workflow and activity). */
export async function waitForPollers(
  env: Env,
  taskQueue: string,
  workers: { child: ChildProcess; tail(): string }[],
): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    for (const worker of workers) {
      const { child } = worker;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `worker exited during start-up (${child.exitCode ?? child.signalCode}): ${worker.tail().slice(-2000)}`,
        );
      }
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
    const n = workers.length;
    if ((wf?.pollers?.length ?? 0) >= n && (act?.pollers?.length ?? 0) >= n) return;
    if (Date.now() > deadline) throw new Error(`${n} worker(s) did not poll ${taskQueue} within 180 s`);
    await sleep(250);
  }
}
