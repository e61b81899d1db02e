import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { OwnPartError } from '../campaign/blocking';
import type { SourceBytes } from '../campaign/safety';
import { describeBytes } from '../sources/limits';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Whether an id file still holds the bytes the plan read: its size first (a file replaced by a
 * bigger one is refused without a read), then its sha256, streamed. Returns why it differs, or
 * undefined; also when it cannot be stat'ed as a file, for the reader to say why.
 */
export async function pinnedFileChange(path: string, pinned: SourceBytes): Promise<string | undefined> {
  const s = await stat(path).catch(() => undefined);
  if (!s?.isFile()) return undefined;
  if (s.size !== pinned.size)
    return `the id file ${path} now holds ${describeBytes(s.size)} where the plan read ${describeBytes(pinned.size)}`;
  const now = await sha256File(path);
  if (now === pinned.sha256) return undefined;
  return `the id file ${path} is not the one the plan read (its sha256 is now ${now.slice(0, 12)}…, was ${pinned.sha256.slice(0, 12)}…)`;
}

export interface PinnedFile {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

/**
 * A campaign is pinned to the id file it started from. A cheap stat on every batch; the file is
 * hashed again only when size or mtime moved. Returns why it changed (the campaign stops,
 * SOURCE_CHANGED), or undefined. A file that cannot be read at all (gone with a deleted
 * REPORT_DIR/inputs/, unreadable, an I/O error) has not been shown to change: that is an own
 * part's fault (`source`), thrown as an OwnPartError, and the campaign is blocked until it reads
 * again (then compared as ever).
 */
export async function checkSourceUnchanged(file: PinnedFile): Promise<string | undefined> {
  try {
    const s = await stat(file.path);
    if (s.size === file.size && s.mtimeMs === file.mtimeMs) return undefined;
    const now = await sha256File(file.path);
    if (now === file.sha256) return undefined;
    return `source file ${file.path} changed since the campaign started (sha256 ${file.sha256.slice(0, 12)}… → ${now.slice(0, 12)}…); refusing to continue`;
  } catch (e) {
    throw sourceUnreadable(file.path, e);
  }
}

/** The pinned id file can be read (the `source` part's probe): resolves, or throws its fault. */
export async function checkSourceReadable(file: PinnedFile): Promise<void> {
  try {
    const s = await stat(file.path);
    if (s.size !== file.size || s.mtimeMs !== file.mtimeMs) await sha256File(file.path);
  } catch (e) {
    throw sourceUnreadable(file.path, e);
  }
}

function sourceUnreadable(path: string, e: unknown): OwnPartError {
  if (e instanceof OwnPartError) return e;
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  return new OwnPartError(
    { part: 'source', code, message: `source: ${code} reading ${path}, the id file the campaign was started from` },
    { cause: e },
  );
}
