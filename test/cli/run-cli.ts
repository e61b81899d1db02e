import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root';
import type { CampaignEnv } from '../helpers/campaign-env';

export const CLI = join(projectRoot, 'dist', 'cli', 'index.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment a CLI subprocess sees: only what the test gives it, plus PATH and HOME. */
export function cliEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...vars };
}

/**
 * Runs the BUILT CLI (`npm run build` first; `npm test` does it) as an operator would. With
 * `slowReaderMs`, stdout is read like a slow pipe (`| gzip` on a busy machine): the reader rests
 * that long after every chunk, so the CLI always has output queued when it finishes.
 */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
  timeoutMs = 60_000,
  slowReaderMs = 0,
): Promise<CliRun> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: projectRoot,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (slowReaderMs <= 0) return;
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), slowReaderMs);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `koophone-reset ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    // A CLI that refuses its input stops reading it: the rest of a long stdin meets EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/**
 * The built CLI run from `cwd` (what it writes there, such as the demo's .data/, can be looked
 * for), with no environment but PATH and HOME (or `env`); killed (code -1) after `timeoutMs`.
 */
export function runCliIn(
  cwd: string,
  args: string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv = cliEnv({}),
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** A stack trace has "    at fn (file:line:col)" lines; the CLI must show none without --debug. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+:\d+:\d+\)?$/m.test(text);
}

/** RFC 4180 rows (quoted cells may hold commas, quotes and line breaks). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else if (c !== '\r') cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/**
 * The built CLI as an operator of a campaign env runs it: its Temporal server, task queue and
 * store (plus `extra`), never printing a stack trace.
 */
export function operatorCli(
  env: CampaignEnv,
  /** Called per run: the env's parts (its simulator's URL) exist only once its hooks ran. */
  extra: () => Record<string, string> = () => ({}),
  timeoutMs = 60_000,
): (args: string[]) => Promise<CliRun> {
  return async (args) => {
    const vars = cliEnv({
      TEMPORAL_ADDRESS: env.temporal.address,
      TEMPORAL_NAMESPACE: env.temporal.namespace,
      TEMPORAL_TASK_QUEUE: env.taskQueue,
      REPORT_DIR: env.reportDir,
      ...extra(),
    });
    const run = await runCli(args, vars, undefined, timeoutMs);
    assert.ok(!hasStackTrace(run.stderr), `no stack trace expected:\n${run.stderr}`);
    return run;
  };
}
