export * from './check-connectivity';
export * from './definitions';
export { resetCampaign, type CampaignCarry, type CampaignWorkflowInput } from './reset-campaign';
export * from './account-definitions';
export { accountCoordinator } from './account-coordinator';
export { notifyCampaign, type NotifyCampaignInput, type NotifyCampaignResult } from './notify-campaign';
