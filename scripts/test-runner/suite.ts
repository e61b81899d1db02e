import os from 'node:os';
import { runTestFile, type FileResult, type RunningFile, type TestCounts } from './run-file';

/** A file still running after this long is stopped and counted failed (the longest take ~5 min). */
const FILE_TIMEOUT_MS = 20 * 60_000;
/** The spec reporter's closing counts: each file's header and the suite's last line say them. */
const SPEC_COUNTS = /^ℹ (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) [\d.]+\n/gm;

export interface Suite {
  /** Run first, one at a time, with nothing else of the suite beside them. */
  alone: string[];
  /** Then side by side, `width` at a time, in this order. */
  sideBySide: string[];
  width: number;
  /** The environment of one file's test process, and what to give back when it ends. */
  lease(): { env: NodeJS.ProcessEnv; release(): void | Promise<void> };
  /** How the run was set up, for the summary line. */
  describe: string;
}

export interface SuiteRun {
  results: FileResult[];
  /** 0 when every file ran and passed; 1 otherwise; 128 + n when stopped by a signal. */
  exitCode: number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const minutes = (ms: number) => `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;

export function failed(r: FileResult): boolean {
  return r.exit !== 0 || !r.counts || r.counts.failed > 0 || r.counts.cancelled > 0;
}

function header(r: FileResult, index: number, total: number): string {
  const c = r.counts;
  const what = c
    ? [
        `${c.passed} passed`,
        c.failed && `${c.failed} failed`,
        c.cancelled && `${c.cancelled} cancelled`,
        c.skipped && `${c.skipped} skipped`,
        c.todo && `${c.todo} todo`,
      ]
        .filter(Boolean)
        .join(', ')
    : `no test summary (exit ${r.exit})`;
  return `── ${failed(r) ? '✖' : '✔'} ${r.file} · ${what} · ${seconds(r.durationMs)} · ${index}/${total} ──`;
}

/**
 * Runs test files each in a process of its own, prints each file's output whole when it ends
 * (files side by side never interleave), then the slowest files, the failed ones and one summary
 * line. `interrupted` (aborted with the signal's name) stops every running file's process group and
 * starts no more.
 */
export async function runSuite(suite: Suite, interrupted: AbortSignal): Promise<SuiteRun> {
  const started = Date.now();
  const total = suite.alone.length + suite.sideBySide.length;
  const running = new Set<RunningFile>();
  const results: FileResult[] = [];
  let stopping: NodeJS.Signals | undefined;
  let lastPrinted = Date.now();

  const interrupt = () => {
    stopping = interrupted.reason as NodeJS.Signals;
    console.log(`\n${stopping}: stopping ${running.size} running test file(s)`);
    for (const r of running) r.stop('SIGTERM', `stopped by ${stopping}`);
    setTimeout(() => {
      for (const r of running) r.stop('SIGKILL', `stopped by ${stopping}`);
    }, 10_000).unref();
  };
  if (interrupted.aborted) stopping = interrupted.reason as NodeJS.Signals;
  else interrupted.addEventListener('abort', interrupt, { once: true });

  // While nothing ends for a minute, say what is running: a hung file shows at once.
  const pulse = setInterval(() => {
    const now = Date.now();
    if (now - lastPrinted < 60_000 || running.size === 0) return;
    console.log(
      `… running: ${[...running].map((r) => `${r.file} (${minutes(now - r.startedAt)})`).join(', ')}`,
    );
    lastPrinted = now;
  }, 5_000);

  const run = async (file: string): Promise<void> => {
    const lease = suite.lease();
    const handle = runTestFile(file, lease.env, FILE_TIMEOUT_MS);
    running.add(handle);
    const result = await handle.done;
    running.delete(handle);
    await lease.release();
    results.push(result);
    console.log(header(result, results.length, total));
    if (result.stopped) console.log(`   ${result.stopped}`);
    const output = result.output.replace(SPEC_COUNTS, '');
    process.stdout.write(output === '' || output.endsWith('\n') ? output : `${output}\n`);
    lastPrinted = Date.now();
  };

  try {
    for (const file of suite.alone) {
      if (stopping) break;
      await run(file);
    }
    const queue = [...suite.sideBySide];
    await Promise.all(
      Array.from({ length: suite.width }, async () => {
        for (let file = queue.shift(); file !== undefined && !stopping; file = queue.shift()) await run(file);
      }),
    );
  } finally {
    clearInterval(pulse);
    interrupted.removeEventListener('abort', interrupt);
  }

  console.log('\nslowest files:');
  for (const r of [...results].sort((a, b) => b.durationMs - a.durationMs).slice(0, 12)) {
    const alone = suite.alone.includes(r.file) && suite.sideBySide.length > 0 ? ' (alone)' : '';
    console.log(`  ${seconds(r.durationMs).padStart(8)}  ${r.file}${alone}`);
  }
  const bad = results.filter(failed);
  if (bad.length > 0) {
    console.log('\nfailed files:');
    for (const r of bad) console.log(`  ✖ ${r.file}${r.stopped ? ` (${r.stopped})` : ''}`);
  }
  const sum = (key: keyof TestCounts) => results.reduce((n, r) => n + (r.counts?.[key] ?? 0), 0);
  const notRun = total - results.length;
  console.log(
    `\nℹ tests ${sum('tests')} · pass ${sum('passed')} · fail ${sum('failed')} · cancelled ${sum('cancelled')} · ` +
      `skipped ${sum('skipped')} · todo ${sum('todo')} · ${results.length} files` +
      `${bad.length ? ` (${bad.length} failed)` : ''}${notRun ? `, ${notRun} not run` : ''} · ` +
      `${minutes(Date.now() - started)} (${suite.describe})`,
  );
  const exitCode = stopping ? 128 + os.constants.signals[stopping] : bad.length > 0 || notRun > 0 ? 1 : 0;
  return { results, exitCode };
}
