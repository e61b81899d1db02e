import type { CampaignState } from './status';

/**
 * How a campaign's workflow execution ends, so the Temporal UI's list and `temporal workflow list`
 * show it for what it is: completed campaigns complete; a cancel (the UI's Cancel button, or the
 * CLI's `cancel`, which requests one through Temporal too) ends Canceled; every other ending fails
 * the execution with a failure of these types, one line and no stack trace. Whatever way it ends, its result is in the memo under CAMPAIGN_RESULT_MEMO, where
 * `status` and `report` read it (docs/design.md, "Operator interface").
 */
export const ENDING_FAILURE_TYPES = {
  canceled: 'CampaignCanceled',
  aborted: 'CampaignAborted',
  failed: 'CampaignFailed',
} as const satisfies Partial<Record<CampaignState, string>>;

export const CAMPAIGN_RESULT_MEMO = 'campaignResult';
