import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Custom search attributes let operators list and filter campaigns in the Temporal UI and the CLI.
// They must be registered on the namespace before a workflow upserts them.
export const CampaignState = defineSearchAttributeKey('CampaignState', SearchAttributeType.KEYWORD);
export const CampaignTotal = defineSearchAttributeKey('CampaignTotal', SearchAttributeType.INT);
export const CampaignFinished = defineSearchAttributeKey('CampaignFinished', SearchAttributeType.INT);
export const CampaignErrors = defineSearchAttributeKey('CampaignErrors', SearchAttributeType.INT);

/** Name → CLI type, the form `temporal server start-dev --search-attribute` and `operator` take. */
export const campaignSearchAttributes: Record<string, 'Keyword' | 'Int'> = {
  CampaignState: 'Keyword',
  CampaignTotal: 'Int',
  CampaignFinished: 'Int',
  CampaignErrors: 'Int',
};
