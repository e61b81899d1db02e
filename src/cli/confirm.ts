import { createInterface } from 'node:readline/promises';
import { note, type CliContext } from './context';
import { usageError } from './exit-codes';

/** Starts over more phones than this, and every fleet-wide start, ask first. */
export const CONFIRM_ABOVE = 10_000;

export function needsConfirmation(all: boolean, instances: number | undefined): boolean {
  return all || (instances ?? 0) > CONFIRM_ABOVE;
}

/**
 * A reset wipes phones: a fleet-wide or large start is confirmed by typing `yes` on a terminal
 * (after the plan was printed), or by `--yes` where there is none (scripts, schedules, CI).
 */
export async function confirmStart(ctx: CliContext, what: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  const stdin = ctx.stdin as NodeJS.ReadableStream & { isTTY?: boolean };
  if (!stdin.isTTY || !ctx.stdout.isTTY) {
    throw usageError(
      `${what} needs confirmation and there is no terminal to ask on: pass --yes to confirm; nothing started`,
    );
  }
  const rl = createInterface({ input: stdin, output: ctx.stdout });
  try {
    const answer = await rl.question(`This resets (wipes) ${what}. Type "yes" to start: `);
    if (answer.trim().toLowerCase() !== 'yes') throw usageError('not confirmed; nothing started');
  } finally {
    rl.close();
  }
  note(ctx, 'confirmed');
}
