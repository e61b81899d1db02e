import { resolve } from 'node:path';

/**
 * The folder of the folder sink (REPORT_SINK=file:PATH, else REPORT_DIR, else ./reports; blank
 * is unset). The one answer for the store, the worker, the CLI's spilled id lists (every worker
 * of a task queue shares this folder) and the demo's HTML report.
 */
export function reportRoot(env: NodeJS.ProcessEnv = process.env): string {
  const sink = env.REPORT_SINK?.trim();
  if (sink?.startsWith('file:')) return resolve(sink.slice('file:'.length));
  return resolve(env.REPORT_DIR?.trim() || './reports');
}
