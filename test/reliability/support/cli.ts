import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { projectRoot } from '../../../src/project-root';
import { CLI, runCli, type CliRun } from '../../cli/run-cli';

export interface BoundedRun extends CliRun {
  /** The CLI did not exit in time and was killed (e.g. a worker that started instead of refusing). */
  timedOut: boolean;
}

/**
 * Runs the built CLI like runCli, but a run that hangs becomes a result (code -1) the test can
 * assert on, instead of a rejection that hides which case it was.
 */
export async function runCliBounded(
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
  timeoutMs = 30_000,
): Promise<BoundedRun> {
  try {
    return { ...(await runCli(args, env, input, timeoutMs)), timedOut: false };
  } catch (err) {
    return { code: -1, stdout: '', stderr: (err as Error).message, timedOut: true };
  }
}

/** Runs `fn` over `items`, at most `width` at a time, keeping the input order in the result. */
export async function inBatches<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

export interface MeasuredRun extends BoundedRun {
  /** The process's peak resident memory (VmHWM), in bytes, as last seen before it exited. */
  peakRss: number;
}

/** VmHWM of a live process, in bytes; 0 once it is gone. */
function peakRssOf(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Runs the built CLI like runCliBounded, feeding stdin from `input` (a stream of any size, written
 * as the CLI reads it, and dropped once it stops reading), and samples its peak memory (VmHWM,
 * the kernel's high-water mark of its RSS) every 10 ms while it runs.
 */
export function runCliMeasured(
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: Iterable<Buffer> | AsyncIterable<Buffer>,
  timeoutMs = 30_000,
): Promise<MeasuredRun> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: projectRoot, env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    let peakRss = 0;
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const sample = setInterval(() => (peakRss = Math.max(peakRss, peakRssOf(child.pid!))), 10);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdin.on('error', () => undefined); // EPIPE once the CLI has refused the input
    if (input) pipeline(Readable.from(input), child.stdin).catch(() => undefined);
    else child.stdin.end();
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearInterval(sample);
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? -1 : -2), stdout, stderr, timedOut, peakRss });
    });
  });
}
