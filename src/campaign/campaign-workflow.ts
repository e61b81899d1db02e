// Pure: the campaign workflow's type, for everyone who starts, lists or recognises one (the CLI,
// schedules, the account coordinator's sweep, the logger, the store's mismatch check). Temporal
// names a workflow type after its function: test/unit/campaign-workflow.test.ts holds the two equal.
export const CAMPAIGN_WORKFLOW = 'resetCampaign';
