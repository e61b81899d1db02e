import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { fetchCampaignStatus, NoWorkerError, type CampaignView } from './campaign-status';
import { note, type CliContext } from './context';
import { ProgressView, type ProgressMode } from './progress';
import { terminatedView } from './terminated-campaign';

export interface FollowOptions {
  mode: ProgressMode;
  intervalMs?: number;
  /** Stops following (Ctrl-C); the campaign itself goes on. */
  signal?: AbortSignal;
  /** Return as soon as the campaign is blocked, as scripts need to hear it (exit 4). */
  untilBlocked?: boolean;
}

/**
 * Follows a campaign to its end, showing progress, and returns its final status. A worker that
 * is briefly away (restart, deploy) does not end the watch: the durable campaign waits for it too.
 */
export async function followCampaign(
  ctx: CliContext,
  client: Client,
  campaignId: string,
  options: FollowOptions,
): Promise<CampaignView | undefined> {
  const view = new ProgressView(ctx, options.mode);
  let warned = false;
  try {
    while (!options.signal?.aborted) {
      try {
        const snap = await fetchCampaignStatus(client, campaignId, terminatedView(ctx, client));
        warned = false;
        view.update(snap.status, snap.closed);
        if (snap.closed) return snap.status;
        if (options.untilBlocked && snap.status.state === 'blocked') return snap.status;
      } catch (err) {
        if (!(err instanceof NoWorkerError)) throw err;
        if (!warned && options.mode !== 'json') note(ctx, `waiting: ${err.message}`);
        warned = true;
      }
      await sleep(options.intervalMs ?? 1000, undefined, { signal: options.signal }).catch(() => undefined);
    }
    return undefined;
  } finally {
    view.stop();
  }
}
