import type { CampaignStore, LeaseHolder } from '../report/campaign-store';

/** Whether a lease holder's workflow execution still runs (and so still holds its phones). */
export type HolderLiveness = (holder: LeaseHolder) => Promise<boolean>;

export interface Overlap {
  holder: LeaseHolder;
  /** The phones of the new campaign this holder still holds. */
  ids: string[];
}

/**
 * The running campaigns that hold any of `ids`, and which phones each holds. A holder whose
 * workflow no longer runs (terminated, timed out, history deleted) holds nothing: its lease is
 * stale and is released here, so a campaign that ended without reaching its own release never
 * holds phones forever. Streams each holder's held phones; `ids` is the only set in memory, and
 * is made from a list only once a live holder needs it (most campaigns find none: a million ids
 * are a set of ~50 MB and a fifth of a second).
 */
export async function findOverlap(
  store: CampaignStore,
  ids: ReadonlySet<string> | readonly string[],
  self: string,
  isLive: HolderLiveness,
  /**
   * Remove stale leases (prepare, under the lease lock). The CLI's early check only reads: an
   * operator shell pointed at another namespace would see every holder as gone.
   */
  releaseStale = true,
): Promise<Overlap[]> {
  const overlaps: Overlap[] = [];
  let wanted: ReadonlySet<string> | undefined;
  for (const holder of await store.leaseHolders()) {
    if (holder.campaignId === self) continue;
    if (!(await isLive(holder))) {
      if (releaseStale) await store.releaseLease(holder.campaignId);
      continue;
    }
    wanted ??= ids instanceof Set ? ids : new Set(ids);
    const shared: string[] = [];
    for await (const id of store.heldPhones(holder.campaignId)) if (wanted.has(id)) shared.push(id);
    if (shared.length > 0) overlaps.push({ holder, ids: shared });
  }
  return overlaps;
}

/** "1,000 phones are held by c-a (running since …)", for refusals at start and in prepare. */
export function describeOverlap(overlaps: Overlap[], of: number): string {
  const parts = overlaps.map(
    (o) =>
      `${o.ids.length.toLocaleString('en-US')} by ${o.holder.campaignId} (running since ${o.holder.since})`,
  );
  const n = overlaps.reduce((sum, o) => sum + o.ids.length, 0);
  return (
    `${n.toLocaleString('en-US')} of these ${of.toLocaleString('en-US')} phones are held by running ` +
    `campaigns: ${parts.join('; ')}`
  );
}
