export * from './check-connectivity';
export * from './definitions';
export { resetCampaign, type CampaignCarry, type CampaignWorkflowInput } from './reset-campaign';
