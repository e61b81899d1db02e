import { ActivityFailure, patched, proxyActivities } from '@temporalio/workflow';
import type { CampaignActivities } from '../activities';

const { checkKoophone } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/** What the check found: KooPhone answered (how many instances it shows), or why not. */
export type ConnectivityResult =
  | { ok: true; totalCount: number; endpoint: string }
  | { ok: false; error: string };

/**
 * The smoke workflow: proves a worker is polling the task queue and can reach KooPhone with its
 * credentials, end to end through Temporal, without resetting anything. KooPhone out of reach is
 * the check's answer, not a failure of the workflow: `check` leaves nothing Failed in the UI.
 */
export async function checkConnectivity(): Promise<ConnectivityResult | { totalCount: number; endpoint: string }> {
  if (!patched('check-answers')) return await checkKoophone();
  try {
    return { ok: true, ...(await checkKoophone()) };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    let cause: Error = err;
    while (cause.cause instanceof Error) cause = cause.cause;
    return { ok: false, error: cause.message };
  }
}
