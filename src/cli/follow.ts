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
  let cause: string | undefined;
  const told = new Set<string>();
  try {
    while (!options.signal?.aborted) {
      try {
        const snap = await fetchCampaignStatus(client, campaignId, terminatedView(ctx, client));
        warned = false;
        view.update(snap.status, snap.closed);
        // A campaign that waits says why, once per cause, beside its progress (a demo, a watch
        // --through-blocked); JSON lines carry blockedBy themselves.
        // (Its head names the cause; the rest counts calls and times, which change as it lasts.)
        const blockedBy = snap.closed ? undefined : snap.status.blockedBy;
        const head = blockedBy?.split(' (')[0];
        if (blockedBy && head !== cause && options.mode !== 'json' && !options.untilBlocked) {
          note(ctx, `BLOCKED  ${blockedBy}`);
        }
        cause = head;
        // Errors the calls meet before they block it (KooPhone out of reach, a refused token):
        // said once each, with what to do, as `status` says them.
        if (!blockedBy && !snap.closed && options.mode !== 'json') {
          for (const t of snap.status.troubles ?? []) {
            const key = `${t.kind}:${t.code}`;
            if (told.has(key)) continue;
            told.add(key);
            note(ctx, `TROUBLE  ${t.hint}`);
          }
        }
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
