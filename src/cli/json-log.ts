import type { Logger } from 'pino';

/**
 * The log of a long-running command run with `--json` (worker, simulator, dev-server): the
 * worker's pino logger, every line JSON even on a terminal, so one collector reads all three.
 * Loaded on use: pino would slow every other command's start.
 */
export async function jsonLog(): Promise<Logger> {
  const { logJsonLines, rootLogger } = await import('../logger');
  logJsonLines();
  return rootLogger;
}
