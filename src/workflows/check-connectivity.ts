import { proxyActivities } from '@temporalio/workflow';
import type { CampaignActivities } from '../activities';

const { checkKoophone } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/**
 * The smoke workflow: proves a worker is polling the task queue and can reach KooPhone with its
 * credentials, end to end through Temporal, without resetting anything.
 */
export async function checkConnectivity(): Promise<{ totalCount: number; endpoint: string }> {
  return await checkKoophone();
}
