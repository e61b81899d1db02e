import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A campaign is pinned to the id file it started from. A cheap stat on every batch; the file is
 * hashed again only when size or mtime moved. Returns why it changed, or undefined.
 */
export async function checkSourceUnchanged(file: {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}): Promise<string | undefined> {
  let s;
  try {
    s = await stat(file.path);
  } catch (e) {
    return `source file ${file.path} is no longer readable (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (s.size === file.size && s.mtimeMs === file.mtimeMs) return undefined;
  const now = await sha256File(file.path);
  if (now === file.sha256) return undefined;
  return `source file ${file.path} changed since the campaign started (sha256 ${file.sha256.slice(0, 12)}… → ${now.slice(0, 12)}…); refusing to continue`;
}
