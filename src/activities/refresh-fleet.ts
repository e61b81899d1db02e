import { Context } from '@temporalio/activity';
import { verdictOf, type Verdict } from '../campaign/fleet-facts';
import type { KoophoneClient } from '../koophone';
import type { CampaignStore } from '../report/campaign-store';
import { listFleetFacts } from '../sources';
import { listingReporter } from './listing-report';

export interface RefreshFleetInput {
  campaignId: string;
  includeInUse: boolean;
}

/**
 * Lists the fleet again for a long campaign (src/workflows/engine/campaign-engine.ts): which of
 * the spool's phones must not be sent now — in use, backing up or restoring since prepare (unless
 * `includeInUse`), frozen, or gone from the fleet — written to the store, where the lanes screen
 * each call's ids against it before it goes.
 */
export async function refreshFleetFacts(
  deps: { client: KoophoneClient; store: CampaignStore },
  input: RefreshFleetInput,
): Promise<{ calls: number; screened: number }> {
  const ids: string[] = [];
  for await (const id of deps.store.readSpoolFrom(input.campaignId, 0)) ids.push(id);
  // Its troubles show in the status as it goes; it gives up after a minute of them (the workflow
  // sends nothing meanwhile and tries again a minute later).
  const report = listingReporter();
  let listed;
  try {
    listed = await listFleetFacts(deps.client, ids, {
      signal: Context.current().cancellationSignal,
      retryForMs: 60_000,
      answered: report.answered,
    });
  } finally {
    report.stop();
  }
  const excluded: Record<string, Verdict> = {};
  let screened = 0;
  for (const id of ids) {
    const verdict = verdictOf(listed.facts.get(id), input.includeInUse);
    if (!verdict) continue;
    excluded[id] = verdict;
    screened += 1;
  }
  await deps.store.writeFleetFacts(input.campaignId, { listedAt: listed.listedAt, calls: listed.calls, excluded });
  return { calls: listed.calls, screened };
}
