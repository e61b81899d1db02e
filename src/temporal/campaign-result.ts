import type { WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { CAMPAIGN_RESULT_MEMO } from '../campaign/ending';
import type { CampaignResult } from '../campaign/status';

/**
 * A closed campaign's result: its copy in the memo (every way the lane engine ends, including
 * the Failed and Canceled executions of src/campaign/ending.ts), or the return value of a
 * completed one. Undefined when there is none: terminated, or ended by an older version.
 */
export async function closedCampaignResult(
  handle: WorkflowHandle,
  d: Pick<WorkflowExecutionDescription, 'memo' | 'status'>,
): Promise<CampaignResult | undefined> {
  const kept = d.memo?.[CAMPAIGN_RESULT_MEMO];
  if (kept) return kept as CampaignResult;
  if (d.status.name === 'COMPLETED') return (await handle.result()) as CampaignResult;
  return undefined;
}

/** Waits for a campaign to end and returns its result, whatever its execution's status. */
export async function campaignResult(handle: WorkflowHandle): Promise<CampaignResult> {
  try {
    return (await handle.result()) as CampaignResult;
  } catch (err) {
    const result = await closedCampaignResult(handle, await handle.describe());
    if (result) return result;
    throw err;
  }
}
