import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * This machine's cache for the project, outside any clone (so a clean clone in CI finds it):
 * the built Temporal server (scripts/setup-temporal-server.ts) and the test files' last durations
 * (scripts/run-tests.ts). Deleting it costs a rebuild, nothing else.
 */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'koophone-reset');
}
