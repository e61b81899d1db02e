import type { CampaignStore } from './campaign-store';
import { FolderStore } from './folder-store';

/** Picks the store from REPORT_SINK / REPORT_DIR (design.md). */
export function createCampaignStore(env: NodeJS.ProcessEnv = process.env): CampaignStore {
  const sink = env.REPORT_SINK;
  if (sink && /^postgres(ql)?:\/\//.test(sink)) {
    throw new Error('REPORT_SINK=postgres://… is not supported yet; unset it to use the folder sink (REPORT_DIR)');
  }
  if (sink && !sink.startsWith('file:') && sink !== '') {
    throw new Error(`REPORT_SINK must be a postgres:// URL or a file: path, got "${sink.split(':')[0]}:…"`);
  }
  const dir = sink?.startsWith('file:') ? sink.slice('file:'.length) : (env.REPORT_DIR ?? './reports');
  return new FolderStore(dir);
}
