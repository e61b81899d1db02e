import type { CampaignStore } from './campaign-store';
import { FolderStore } from './folder-store';
import { PostgresStore } from './postgres-store';
import { reportRoot } from './report-root';

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** Picks the store from REPORT_SINK / REPORT_DIR (docs/design.md "Reports"). */
export function createCampaignStore(env: NodeJS.ProcessEnv = process.env): CampaignStore {
  const sink = env.REPORT_SINK?.trim();
  // Nothing connects here: the PostgreSQL store opens its pool on first use.
  if (sink && POSTGRES_URL.test(sink)) return new PostgresStore(sink);
  if (sink && !sink.startsWith('file:')) {
    throw new Error(`REPORT_SINK must be a postgres:// URL or a file: path, got "${sink.split(':')[0]}:…"`);
  }
  return new FolderStore(reportRoot(env));
}

/** Releases what a store holds open (the PostgreSQL pool); a no-op for the folder store. */
export async function closeCampaignStore(store: CampaignStore): Promise<void> {
  if (store instanceof PostgresStore) await store.close();
}

/** Where a store keeps campaigns, for logs: the folder, or the database URL without credentials. */
export function describeCampaignStore(store: CampaignStore): string {
  if (store instanceof PostgresStore) return store.url;
  if (store instanceof FolderStore) return store.root;
  return store.location('*');
}
