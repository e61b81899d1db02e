import { createHash } from 'node:crypto';
import type { TargetPin } from '../campaign/safety';

/**
 * What the operator approved: how many phones, and the sha256 of their deduplicated ids in order,
 * one per line. The CLI puts it in the workflow input; prepare refuses a source that reads
 * differently (SOURCE_CHANGED), so a file edited between plan and prepare resets nothing.
 */
export function pinOf(ids: readonly string[]): TargetPin {
  const hash = createHash('sha256');
  for (const id of ids) hash.update(id + '\n');
  return { count: ids.length, sha256: hash.digest('hex') };
}

export function samePin(a: TargetPin, b: TargetPin): boolean {
  return a.count === b.count && a.sha256 === b.sha256;
}

export function describePin(pin: TargetPin): string {
  return `${pin.count.toLocaleString('en-US')} phones, sha256 ${pin.sha256.slice(0, 12)}…`;
}
