import { runCli, type CliRun } from '../../cli/run-cli';

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
