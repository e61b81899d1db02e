import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoreIdentity } from '../campaign/store-memo';
import type { CampaignStore } from './campaign-store';
import { describeCampaignStore } from './create-store';
import { FolderStore, STORE_ID_FILE } from './folder-store';
import { PostgresStore } from './postgres-store';

// Which report store is which, wherever it is reached from. Two workers with different
// REPORT_DIRs livelocked a campaign (each batch's spool was in the other's folder); the same
// folder mounted at two paths is still one store. A folder store keeps a random id in a file
// its first worker writes; a PostgreSQL store is its database (the URL without credentials).

/**
 * The store's identity. A worker's start (`create`) writes the folder's id on first use; all
 * else only reads it (`status` in a shell with a wrong REPORT_DIR creates nothing: undefined
 * then, and a store that lost its id mid-campaign is not given a new one: it is not the same).
 */
export async function storeIdentity(
  store: CampaignStore,
  create = false,
): Promise<StoreIdentity | undefined> {
  const where = describeCampaignStore(store);
  if (store instanceof PostgresStore) return { id: store.url, where };
  if (!(store instanceof FolderStore)) return undefined;
  const path = join(store.root, STORE_ID_FILE);
  const read = async () => (await readFile(path, 'utf8').catch(() => '')).trim();
  let id = await read();
  if (!id && create) {
    // `wx`: of two workers starting at once on an empty folder, one id wins and both read it.
    await writeFile(path, `folder:${randomUUID()}\n`, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    id = await read();
  }
  return id ? { id, where } : undefined;
}

/** The workflow memo key under which `start` records the store it was started against. */
export const REPORT_STORE_MEMO = 'reportStore';
