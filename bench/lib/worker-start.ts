// A worker's start as the server and /proc see it: from the process's spawn until the server lists
// it as a poller of its workflow task queue (its first PollWorkflowTaskQueue), then its resident
// memory once it has sat idle. The `worker-start` row compares, side by side in one run, a worker
// that bundles the workflow code with webpack at start (as every worker did before issue 29: a
// copy of dist/ without the bundle) with one on the bundle `npm run build` made.
import { randomUUID } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../../src/project-root';
import { WORKFLOW_BUNDLE_FILE } from '../../src/prebuilt-bundle';
import { beginRun, loadTracker, log, round, waitForPollers, workerSpec, type Env } from './env';
import { cpuSeconds, peakRssMb, rssMb } from './proc';
import type { BenchRow } from './rows';
import type { BenchRun, WorkerStart } from './types';
import { startWorker, type WorkerProcess } from './worker-process';

/**
 * How long a started worker sits idle before its RSS is read: past its start's transient garbage
 * (the SDK keeps each worker's preloaded copy of the bundle alive for 10 s, for debuggers).
 */
export const IDLE_SECONDS = 15;

/** Spawn → first workflow poller seen by the server, then the idle figures. */
export async function measureWorkerStart(
  env: Env,
  worker: WorkerProcess,
  taskQueue: string,
  bundle: WorkerStart['bundle'],
  nodeOptions: string[],
): Promise<WorkerStart> {
  const deadline = performance.now() + 180_000;
  for (;;) {
    const { child } = worker;
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `worker exited during start-up (${child.exitCode ?? child.signalCode}): ${worker.tail().slice(-2000)}`,
      );
    const res = await env.client.workflowService.describeTaskQueue({
      namespace: env.server.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1,
    });
    if ((res.pollers?.length ?? 0) > 0) break;
    if (performance.now() > deadline) throw new Error(`the worker did not poll ${taskQueue} within 180 s`);
    await sleep(20);
  }
  const firstPollSeconds = (performance.now() - worker.spawnedAt) / 1000;
  await waitForPollers(env, taskQueue, [worker]);
  await sleep(IDLE_SECONDS * 1000);
  return {
    bundle,
    firstPollSeconds: round(firstPollSeconds, 2),
    idleRssMb: round(rssMb(worker.pid) ?? 0, 1),
    idleSeconds: IDLE_SECONDS,
    cpuSeconds: round(cpuSeconds(worker.pid), 2),
    vmHwmMb: round(peakRssMb(worker.pid) ?? 0, 1),
    nodeOptions,
  };
}

/** dist/ and package.json without the workflow bundle, on this project's node_modules. */
function unbundledCopy(tmp: string): string {
  const root = mkdtempSync(join(tmp, 'unbundled-'));
  cpSync(join(projectRoot, 'dist'), join(root, 'dist'), {
    recursive: true,
    filter: (path) => path !== WORKFLOW_BUNDLE_FILE,
  });
  copyFileSync(join(projectRoot, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'));
  return root;
}

/**
 * The worker-start row: `repeat` starts of each kind, alternating, each a fresh
 * `node dist/cli/index.js worker` with no node options (as the README starts one), idle on a task
 * queue of its own.
 */
export async function runWorkerStart(env: Env, row: BenchRow, repeat = 3): Promise<BenchRun[]> {
  const unbundled = unbundledCopy(env.tmp);
  const runs: BenchRun[] = [];
  try {
    for (let i = 0; i < repeat; i += 1) {
      for (const bundle of ['bundled at start', 'prebuilt'] as const) {
        const { settings, run } = beginRun(env, row, 'koophone-reset');
        const load = loadTracker();
        const taskQueue = `bench-start-${randomUUID().slice(0, 8)}`;
        const reportDir = join(env.tmp, `${taskQueue}-reports`);
        mkdirSync(reportDir);
        const worker = startWorker({
          ...workerSpec(
            env,
            { ...settings, workerNodeOptions: [] },
            {
              taskQueue,
              endpoint: env.sim.url,
              reportDir,
              logFile: join(env.tmp, `${taskQueue}.log`),
            },
          ),
          ...(bundle === 'bundled at start' ? { root: unbundled } : {}),
        });
        try {
          run.workerStart = await measureWorkerStart(env, worker, taskQueue, bundle, []);
          run.ok = true;
          run.finishedAt = new Date().toISOString();
          const s = run.workerStart;
          log(
            `  ${bundle}: first poll ${s.firstPollSeconds} s, idle RSS ${s.idleRssMb} MB (VmHWM ${s.vmHwmMb} MB), CPU ${s.cpuSeconds} s`,
          );
        } catch (err) {
          run.error = err instanceof Error ? err.message : String(err);
          log(`  ${bundle}: failed: ${run.error}`);
        } finally {
          run.load = load();
          await worker.stop();
          rmSync(reportDir, { recursive: true, force: true });
        }
        runs.push(run);
      }
    }
  } finally {
    rmSync(unbundled, { recursive: true, force: true });
  }
  return runs;
}
