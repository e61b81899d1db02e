import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

// A `--notify` URL may carry a token: it never enters a workflow input. The CLI leaves it in the
// folder every worker shares (REPORT_DIR, like spilled id lists), named by its ref; the workers'
// notify activity reads it there (docs/design.md "Notifications").

/** `root`: the report folder (reportRoot(), or a folder store's root). */
export function notifyUrlPath(root: string, ref: string): string {
  return join(root, 'notify', `${ref}.url`);
}

/** Readable by this user only; the same URL has the same ref, so writing it again changes nothing. */
export async function saveNotifyUrl(root: string, ref: string, url: string): Promise<string> {
  const path = notifyUrlPath(root, ref);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${url}\n`, { mode: 0o600 });
  return path;
}

/** The URL of a ref, or undefined when this worker's folder has none. */
export async function loadNotifyUrl(root: string, ref: string): Promise<string | undefined> {
  try {
    return (await readFile(notifyUrlPath(root, ref), 'utf8')).trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
