import { patched } from '@temporalio/workflow';
import type { CampaignResult } from '../campaign/status';
import type { CampaignWorkflowInput } from './campaign-state';
import { CampaignEngine } from './engine/campaign-engine';
import { resetCampaignV1 } from './reset-campaign-v1';

export type { CampaignCarry, CampaignWorkflowInput } from './campaign-state';

/**
 * A reset campaign: the workflow id is the campaign id. Campaigns recorded before the lane
 * engine replay through the first engine, unchanged; every new one, and every run an old one
 * continues as, runs on lanes (see docs/design.md, "Campaign engine").
 */
export async function resetCampaign(input: CampaignWorkflowInput): Promise<CampaignResult> {
  if (!patched('lane-engine')) return await resetCampaignV1(input);
  return await new CampaignEngine(input).run();
}
