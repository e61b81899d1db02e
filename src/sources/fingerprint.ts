import { createHash } from 'node:crypto';
import type { TargetPin } from '../campaign/safety';

const PIN_CHUNK = 8192;

/**
 * What the operator approved: how many phones, and the sha256 of their deduplicated ids in order,
 * one per line. The CLI puts it in the workflow input; prepare refuses a source that reads
 * differently (SOURCE_CHANGED), so a file edited between plan and prepare resets nothing.
 */
export function pinOf(ids: readonly string[]): TargetPin {
  const hash = createHash('sha256');
  // The same bytes as one update per id, in a few large updates (a native call per id is slow).
  for (let i = 0; i < ids.length; i += PIN_CHUNK) hash.update(ids.slice(i, i + PIN_CHUNK).join('\n') + '\n');
  return { count: ids.length, sha256: hash.digest('hex') };
}

export function samePin(a: TargetPin, b: TargetPin): boolean {
  return a.count === b.count && a.sha256 === b.sha256;
}

export function describePin(pin: TargetPin): string {
  return `${pin.count.toLocaleString('en-US')} phones, sha256 ${pin.sha256.slice(0, 12)}…`;
}
