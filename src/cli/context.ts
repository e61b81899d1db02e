import type { Readable, Writable } from 'node:stream';
import { terminalSafe } from '../campaign/safe-text';
import { toJson } from './json-output';

/** What a command may touch of its process; tests and the demo pass their own. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  stdin: Readable;
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable;
  /** Set by commands that decide the process's exit code (watch, start --wait, demo). */
  exitCode: number;
}

export function processContext(): CliContext {
  return {
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    exitCode: 0,
  };
}

/**
 * A line of text for people. Every text line the CLI prints goes through here or note(): the
 * edge where text from KooPhone (error messages, codes) is made terminal-safe (no escape
 * sequences reach the terminal); JSON goes through printJson, exact.
 */
export function out(ctx: CliContext, line = ''): void {
  ctx.stdout.write(terminalSafe(line) + '\n');
}

export function note(ctx: CliContext, line: string): void {
  ctx.stderr.write(terminalSafe(line) + '\n');
}

/** Every JSON the CLI prints goes through here: one naming convention (json-output.ts). */
export function printJson(ctx: CliContext, value: unknown, pretty = true): void {
  ctx.stdout.write(toJson(value, pretty) + '\n');
}
