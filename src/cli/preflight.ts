import { batchCount, batchLayout } from '../campaign/batch-layout';
import { planPreflight } from '../campaign/fleet-facts';
import type { CampaignOptions } from '../campaign/options';
import { createKoophoneClient, loadKoophoneConfig } from '../koophone';
import { listFleetFacts, type ListedFacts } from '../sources';
import { note, type CliContext } from './context';
import { usageError } from './exit-codes';
import { hasKoophoneCredentials } from './fleet-listing';
import type { ResolvedSource } from './id-source';

/**
 * The pre-flight as the plan shows it: for ids from arguments, a file or stdin, the fleet is
 * listed in the operator's shell (when it has KooPhone credentials) and the plan counts the
 * phones per region, in use, backing up, frozen and not in the fleet. A preview only: prepare
 * lists again before the first call and decides from its own listing. Without credentials, or
 * when the listing fails, the plan says the worker will do it.
 */
export async function previewPreflight(
  ctx: CliContext,
  resolved: ResolvedSource,
  options: CampaignOptions,
): Promise<void> {
  if (resolved.source.kind === 'fleet' || !resolved.ids || !hasKoophoneCredentials(ctx.env)) return;
  let listed;
  try {
    const config = loadKoophoneConfig(ctx.env);
    const client = createKoophoneClient({ ...config, timeoutMs: Math.min(config.timeoutMs, 10_000) });
    listed = await listFleetFacts(client, resolved.ids, {
      poolSizes: options.maxPerPool !== undefined,
      retryForMs: 30_000,
    });
  } catch (err) {
    note(
      ctx,
      `warning: could not list the fleet for the plan (${(err as Error).message.split('\n')[0]}); ` +
        'the worker lists it before the first call',
    );
    return;
  }
  previewFrom(resolved, options, listed);
}

/** The plan's pre-flight from a listing (the ids' own, or `--all`'s). */
export function previewFrom(resolved: ResolvedSource, options: CampaignOptions, listed: ListedFacts): void {
  if (!resolved.ids) return;
  let plan;
  try {
    plan = planPreflight({
      ids: resolved.ids,
      facts: listed.facts,
      includeInUse: options.includeInUse,
      batchSize: options.batchSize,
      ...(options.maxPerPool ? { maxPerPool: options.maxPerPool } : {}),
      poolSizes: listed.poolSizes,
    });
  } catch (err) {
    throw usageError((err as Error).message);
  }
  resolved.preflight = {
    summary: {
      method: listed.method,
      calls: listed.calls,
      listedAt: listed.listedAt,
      fleetTotal: listed.fleetTotal,
      includeInUse: options.includeInUse,
      ...plan.counts,
    },
    toReset: plan.order.length,
    batches: batchCount(batchLayout(plan.segments, plan.order.length, options.batchSize)),
  };
}
