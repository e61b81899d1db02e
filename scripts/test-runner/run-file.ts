import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root';

/** node:test's counts for one run (its test:summary event). */
export interface TestCounts {
  tests: number;
  passed: number;
  failed: number;
  cancelled: number;
  skipped: number;
  todo: number;
}

export interface FileResult {
  file: string;
  /** The test process's exit code, or the signal that ended it. */
  exit: number | NodeJS.Signals;
  /** Undefined when the process ended without its summary (killed, or crashed in node itself). */
  counts?: TestCounts;
  durationMs: number;
  /** Everything the file printed (the spec reporter, the tests' own lines), in order. */
  output: string;
  /** Why the runner ended it, if it did. */
  stopped?: string;
}

export interface RunningFile {
  file: string;
  startedAt: number;
  done: Promise<FileResult>;
  /** Ends the file's whole process group (its test process, the workers and CLIs it spawned). */
  stop(signal: NodeJS.Signals, why: string): void;
}

const REPORTER = join(__dirname, 'summary-reporter.mjs');

/**
 * Runs one test file in a `node --test` process of its own, in its own process group, with its
 * output kept (not printed) so that files running side by side do not interleave.
 */
export function runTestFile(file: string, env: NodeJS.ProcessEnv, timeoutMs: number): RunningFile {
  const startedAt = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'koophone-test-run-'));
  const summaryFile = join(dir, 'summary.json');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${REPORTER}`,
      `--test-reporter-destination=${summaryFile}`,
      file,
    ],
    { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  child.stderr.on('data', (d: Buffer) => chunks.push(d));
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the group is gone already
    }
  };
  let stopped: string | undefined;
  const stop = (signal: NodeJS.Signals, why: string) => {
    stopped ??= why;
    killGroup(signal);
  };
  const timer = setTimeout(() => {
    stop('SIGTERM', `still running after ${Math.round(timeoutMs / 60_000)} min: stopped`);
    setTimeout(() => killGroup('SIGKILL'), 10_000).unref();
  }, timeoutMs);
  const done = new Promise<FileResult>((resolve) => {
    // Whatever the test process left behind in its group (a worker it spawned and never stopped)
    // ends with it; its output is complete once every holder of the pipes is gone.
    child.once('exit', () => killGroup('SIGKILL'));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      let counts: TestCounts | undefined;
      try {
        counts = JSON.parse(readFileSync(summaryFile, 'utf8')) as TestCounts;
      } catch {
        counts = undefined;
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({
        file,
        exit: code ?? signal ?? 1,
        counts,
        durationMs: Date.now() - startedAt,
        output: Buffer.concat(chunks).toString(),
        stopped,
      });
    });
  });
  return { file, startedAt, done, stop };
}
