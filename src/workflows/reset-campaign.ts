import { ApplicationFailure, patched, workflowInfo } from '@temporalio/workflow';
import { campaignInputProblems, INVALID_CAMPAIGN_INPUT } from '../campaign/campaign-input';
import type { CampaignResult } from '../campaign/status';
import type { CampaignWorkflowInput } from './campaign-state';
import { CampaignEngine } from './engine/campaign-engine';
import { resetCampaignV1 } from './reset-campaign-v1';

export type { CampaignCarry, CampaignWorkflowInput } from './campaign-state';

const CHECKED_INPUT = 'checked-input';

/**
 * A reset campaign: the workflow id is the campaign id. Campaigns recorded before the lane
 * engine replay through the first engine, unchanged; every new one, and every run an old one
 * continues as, runs on lanes (see docs/design.md, "Campaign engine").
 */
export async function resetCampaign(input: CampaignWorkflowInput): Promise<CampaignResult> {
  // Any client can start this workflow, with any id and input: a bad one ends the execution at
  // once with its reason, before anything is read, written or sent (a workflow id like "../x"
  // would name a folder outside the store; a missing option would fail every workflow task).
  const checked = patched(CHECKED_INPUT);
  if (checked) {
    const problems = campaignInputProblems(workflowInfo().workflowId, input);
    if (problems.length > 0) {
      throw ApplicationFailure.create({
        type: INVALID_CAMPAIGN_INPUT,
        message: `${INVALID_CAMPAIGN_INPUT}: ${problems.join('; ')}`,
        nonRetryable: true,
        details: [problems],
      });
    }
  }
  if (!patched('lane-engine')) return await resetCampaignV1(input);
  return await new CampaignEngine(input, checked ? [CHECKED_INPUT] : []).run();
}
