import type { CampaignSafety } from '../campaign/safety';
import { describeOverlap, findOverlap, temporalLiveness } from '../leases';
import { closeCampaignStore, createCampaignStore } from '../report';
import { listedFromSelection, pinOf } from '../sources';
import { note, type CliContext } from './context';
import { usageError } from './exit-codes';
import { listFleet } from './fleet-listing';
import { previewFrom } from './preflight';
import type { CampaignOptions } from '../campaign/options';
import type { ResolvedSource } from './id-source';
import type { TemporalSession } from './temporal';

export interface SafetyFlags {
  archiveOld?: boolean;
  skipOverlap?: boolean;
}

/**
 * `--all`: the fleet as listed now is what the plan counts and the pin holds; with `options`,
 * the plan also shows what the pre-flight would answer of it (phones in use, regions, pools).
 */
export async function listSelectedFleet(
  resolved: ResolvedSource,
  env: NodeJS.ProcessEnv,
  options?: CampaignOptions,
): Promise<void> {
  if (resolved.source.kind !== 'fleet') return;
  const fleet = await listFleet(env, resolved.source);
  if (fleet.ids.length === 0 && fleet.frozen.length === 0) {
    throw usageError(`${resolved.describe} matched no instances; nothing to start`);
  }
  resolved.ids = fleet.ids;
  resolved.instances = fleet.ids.length;
  resolved.duplicates = fleet.duplicates;
  resolved.frozen = fleet.frozen.length;
  if (options) {
    previewFrom(resolved, options, listedFromSelection(fleet));
  }
}

/** What the workflow input carries so that prepare enforces what start checked. */
export function campaignSafety(resolved: ResolvedSource, flags: SafetyFlags): CampaignSafety {
  return {
    ...(resolved.ids
      ? { pin: { ...pinOf(resolved.ids), ...(resolved.bytes ? { file: resolved.bytes } : {}) } }
      : {}),
    ...(flags.archiveOld ? { archivePrevious: true } : {}),
    ...(flags.skipOverlap ? { skipOverlap: true } : {}),
  };
}

/**
 * Refuses, before anything starts, a campaign id whose store still holds an earlier campaign
 * (Temporal forgot it: retention, `workflow delete`) and phones running campaigns hold. The
 * worker's prepare checks both again under the store's lease lock: this is the early, friendly
 * refusal, that one the guarantee.
 */
export async function checkStartSafety(
  ctx: CliContext,
  session: TemporalSession,
  campaignId: string,
  resolved: ResolvedSource,
  flags: SafetyFlags,
): Promise<void> {
  const store = createCampaignStore(ctx.env);
  try {
    const old = await store.describeStored(campaignId);
    if (old && !flags.archiveOld) {
      const when = old.finishedAt ?? old.preparedAt;
      throw usageError(
        `campaign id ${campaignId} already has stored data from an earlier campaign ` +
          `(${old.finalState ?? 'unfinished'}${when ? ` ${when}` : ''}, ${old.total.toLocaleString('en-US')} phones) ` +
          'that Temporal no longer knows; choose another --campaign-id, or pass --archive-old to ' +
          'move that data aside (kept) and start anew',
      );
    }
    if (old)
      note(ctx, `the stored data of the earlier campaign ${campaignId} will be archived (kept, renamed)`);
    if (!resolved.ids) return;
    const overlaps = await findOverlap(
      store,
      resolved.ids,
      campaignId,
      temporalLiveness(session.client),
      false, // read only: prepare releases stale leases under the lock
    );
    if (overlaps.length === 0) return;
    const what = describeOverlap(overlaps, resolved.ids.length);
    if (!flags.skipOverlap) {
      throw usageError(
        `${what}. A phone is reset by one campaign at a time: wait for them to end, or pass ` +
          '--skip-overlap to start anyway and report those phones skipped (LEASED_BY <campaign>)',
      );
    }
    note(ctx, `${what}; --skip-overlap: they will be skipped`);
  } finally {
    await closeCampaignStore(store);
  }
}
