import { resolve } from 'node:path';

/**
 * The folder sink's root, as createCampaignStore picks it (REPORT_SINK=file:… or REPORT_DIR,
 * default ./reports). The CLI writes large stdin id lists under it because every worker of a
 * task queue already shares it.
 */
export function reportRoot(env: NodeJS.ProcessEnv): string {
  const sink = env.REPORT_SINK;
  if (sink?.startsWith('file:')) return resolve(sink.slice('file:'.length));
  return resolve(env.REPORT_DIR || './reports');
}
