import { createHash } from 'node:crypto';
import type { NotifyTarget } from '../campaign/notification';
import { notifyUrlPath, saveNotifyUrl } from '../report/notify-url';
import { reportRoot } from '../report/report-root';
import { usageError } from './exit-codes';

/** A `--notify` value as the tool reads it: an http(s) URL, or a kept target (`rerun`, `schedule update`). */
export function readNotifyTarget(raw: string): { target: NotifyTarget; url?: string } {
  const kept = KEPT.exec(raw.trim());
  if (kept) return { target: { to: kept[1]!, ref: kept[2]! } };
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('must be an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`must be an http:// or https:// URL (got a ${url.protocol.replace(':', '')}: URL)`);
  }
  if (text.length > 2048) throw new Error('must be a URL of at most 2048 characters');
  return { target: { to: shownTarget(url), ref: notifyRef(url.href) }, url: url.href };
}

const KEPT = /^(https?:\/\/\S+) \(ref ([0-9a-f]{32})\)$/;

/** A kept target as a flag value: `rerun` and `schedule update` read it back as the same target. */
export function showNotifyTarget(t: NotifyTarget): string {
  return `${t.to} (ref ${t.ref})`;
}

/** Scheme and host only: a webhook's path and query are often its secret. */
function shownTarget(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname !== '/' || url.search ? '/…' : ''}`;
}

/** The same URL always has the same ref (a schedule and the campaigns it starts share it); a digest never gives the URL back. */
export function notifyRef(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 32);
}

/** Leaves a `--notify` URL where the workers read it; refused like any bad flag if it cannot be. */
export async function keepNotifyUrl(
  read: { target: NotifyTarget; url?: string } | undefined,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  if (read?.url === undefined) return;
  try {
    await saveNotifyUrl(reportRoot(env), read.target.ref, read.url);
  } catch (err) {
    throw usageError(
      `--notify: cannot keep the URL in ${notifyUrlPath(reportRoot(env), read.target.ref)} (the workers read it there): ${(err as Error).message}`,
    );
  }
}

/** `--notify` as typed (or kept), its URL left where the workers read it: just before the campaign or schedule starts. */
export async function keepNotifyFlag(raw: string | undefined, env: NodeJS.ProcessEnv): Promise<void> {
  if (raw !== undefined) await keepNotifyUrl(readNotifyTarget(raw), env);
}
