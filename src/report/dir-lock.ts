import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';

// A holder that has not finished within this long died with the lock (a killed worker or CLI):
// the lock is taken over. Every holder finishes in seconds (an overlap check, a spool write).
const STALE_MS = 120_000;
const RETRY_MS = 50;
const GIVE_UP_MS = 10 * 60_000;

/**
 * A lock shared by every process that sees the folder: `mkdir` is atomic on local and network
 * file systems alike. Resolves with the function that releases it.
 */
export async function acquireDirLock(path: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + GIVE_UP_MS;
  for (;;) {
    try {
      await mkdir(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      await waitOrTakeOver(path, deadline);
      continue;
    }
    const release = () => rm(path, { recursive: true, force: true });
    try {
      await writeFile(
        join(path, 'holder'),
        `${hostname()} pid ${process.pid} since ${new Date().toISOString()}\n`,
      );
    } catch (e) {
      // Not held after all (a full disk): a lock left behind would stall every other holder 2 min.
      await release().catch(() => undefined);
      throw e;
    }
    return release;
  }
}

/** Another holds the lock: takes a stale one over, else waits a moment (or gives up at `deadline`). */
async function waitOrTakeOver(path: string, deadline: number): Promise<void> {
  const since = await stat(path).then(
    (s) => s.mtimeMs,
    () => undefined,
  );
  if (since !== undefined && Date.now() - since > STALE_MS) {
    await rm(path, { recursive: true, force: true });
    return;
  }
  if (Date.now() > deadline) {
    const holder = await readFile(join(path, 'holder'), 'utf8').catch(() => 'unknown');
    throw new Error(`lease lock ${path} is still held (${holder.trim()}) after ${GIVE_UP_MS / 60_000} min`);
  }
  await new Promise((r) => setTimeout(r, RETRY_MS));
}
