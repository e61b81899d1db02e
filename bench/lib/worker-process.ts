// One koophone-reset worker process, run as the Docker image runs it: compiled JavaScript, the
// workflow bundle `npm run build` made (dist/workflow-bundle.js) and the image's heap cap, so its
// memory is the worker's and not tsx's or webpack's. The benchmark only watches it from the
// outside (/proc, its output, the server's pollers).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root';
import { LiveHeapTracker } from './gc-trace';

export interface WorkerSpec {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** The simulator URL (or one of its doors) this worker calls. */
  endpoint: string;
  reportDir: string;
  maxActivities: number;
  nodeOptions: string[];
  logFile: string;
  /** The project whose dist/ runs (default this one); the worker-start row runs a copy without a bundle. */
  root?: string;
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** performance.now() just before the spawn. */
  spawnedAt: number;
  heap: LiveHeapTracker;
  /** The last 4 000 characters it wrote (GC trace lines left out). */
  tail(): string;
  /** Lines it wrote at warn level or above. */
  lines(): number;
  /** SIGTERM, then SIGKILL after the grace period; closes its log. */
  stop(graceMs?: number): Promise<void>;
}

/** The heap cap the Docker image sets (NODE_OPTIONS in the Dockerfile), so the bench matches it. */
export function imageNodeOptions(): string[] {
  const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
  const match = /NODE_OPTIONS=(?:"([^"]*)"|(\S+))/.exec(dockerfile);
  if (!match) throw new Error('the Dockerfile sets no NODE_OPTIONS; pass --worker-node-option');
  return (match[1] ?? match[2]!).trim().split(/\s+/);
}

export function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export async function stopChild(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = waitForExit(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export function startWorker(spec: WorkerSpec): WorkerProcess {
  const heap = new LiveHeapTracker();
  const nodeArgs = ['--trace-gc', '--trace-gc-ignore-scavenger', ...spec.nodeOptions];
  const root = spec.root ?? projectRoot;
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'dist', 'cli', 'index.js'), 'worker'], {
    cwd: root,
    env: {
      ...process.env,
      // The options are on the command line; an inherited NODE_OPTIONS would add to them.
      NODE_OPTIONS: '',
      // The worker finds dist/workflow-bundle.js itself (src/prebuilt-bundle.ts).
      WORKFLOW_BUNDLE: '',
      TEMPORAL_ADDRESS: spec.temporalAddress,
      TEMPORAL_NAMESPACE: spec.namespace,
      TEMPORAL_TASK_QUEUE: spec.taskQueue,
      KOOPHONE_ENDPOINT: spec.endpoint,
      KOOPHONE_TOKEN: 'sim-token',
      REPORT_SINK: '',
      REPORT_DIR: spec.reportDir,
      LOG_LEVEL: 'warn',
      WORKER_MAX_ACTIVITIES: String(spec.maxActivities),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not start the worker process');
  const logStream = createWriteStream(spec.logFile);
  let tail = '';
  let lines = 0;
  const onOutput = (d: Buffer): void => {
    const text = heap.feed(d.toString());
    logStream.write(text);
    lines += text.split('\n').length - 1;
    tail = (tail + text).slice(-4000);
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  return {
    child,
    pid: child.pid,
    spawnedAt,
    heap,
    tail: () => tail,
    lines: () => lines,
    stop: async (graceMs) => {
      await stopChild(child, graceMs);
      logStream.end();
    },
  };
}
