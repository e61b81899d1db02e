import type { CampaignOptions } from '../../campaign/options';
import type { WorkItem } from '../../campaign/work-item';
import { canaryFailed } from '../../campaign/budget';
import type { CampaignCarry } from '../campaign-state';

/** The canary's verdict once its last batch is in: passed, or why the campaign must stop. */
export type CanaryVerdict = { passed: true } | { passed: false; reason: string };

/**
 * Counts one canary item's part in the canary: `delta` items more (halves) or fewer (done) for
 * its batch, with the errors and instances it ended with. Returns the verdict when this was the
 * canary's last outstanding item; the rollout goes on only once every canary batch has ended.
 */
export function canaryItemDone(
  s: Pick<CampaignCarry, 'canary' | 'nextBatch'>,
  options: Pick<CampaignOptions, 'maxErrors'>,
  canaryBatches: number,
  item: WorkItem,
  delta: number,
  errors: number,
  instances: number,
): CanaryVerdict | undefined {
  const c = s.canary;
  if (item.round !== 0 || item.outsideCanary || c.outstanding[item.batchNo] === undefined) return undefined;
  c.errors += errors;
  c.instances += instances;
  c.outstanding[item.batchNo]! += delta;
  if (c.outstanding[item.batchNo]! > 0) return undefined;
  delete c.outstanding[item.batchNo];
  if (s.nextBatch < canaryBatches || Object.keys(c.outstanding).length > 0) return undefined;
  const failed = canaryFailed(options.maxErrors, c.errors, c.instances);
  if (failed) return { passed: false, reason: failed };
  c.passed = true;
  return { passed: true };
}
