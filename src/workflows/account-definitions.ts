import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AccountLimits, AccountLimitsChange, AccountMember, RateShare } from '../campaign/rate-share';

export type { AccountLimitsChange } from '../campaign/rate-share';

export { ACCOUNT_TASK_QUEUE, ACCOUNT_WORKFLOW_ID } from '../campaign/account-names';
export const ACCOUNT_WORKFLOW = 'accountCoordinator';

export interface AccountCoordinatorInput {
  limits: AccountLimits;
  members?: AccountMember[];
}

/**
 * The coordinator's workflow function as clients start it (src/account/coordinator.ts), declared
 * with its messages: a client typed by the function itself would import workflow code.
 */
export type AccountCoordinatorWorkflow = (input: AccountCoordinatorInput) => Promise<void>;

export interface AccountView {
  limits: AccountLimits;
  campaigns: { campaignId: string; rate: number; share: RateShare; joinedAt: string }[];
  updatedAt: string;
}

export const accountQuery = defineQuery<AccountView>('account');
export const setAccountLimitsUpdate = defineUpdate<AccountView, [AccountLimitsChange]>('setLimits');
/**
 * What a joining campaign learns: its share, and how long to hold its first call. The others
 * already handed some calls out at their old, larger shares (up to a few seconds ahead): the
 * newcomer waits for those, so the account never goes over its limit while shares change.
 */
export type JoinAnswer = RateShare & { settleMs?: number };

/** A campaign joins before its first call and gets its share at once. */
export const joinAccountUpdate = defineUpdate<JoinAnswer, [{ campaignId: string; rate: number }]>('join');
export const leaveAccountSignal = defineSignal<[campaignId: string]>('leave');
/** Sent by the coordinator to a campaign whenever its share changes. */
export const accountShareSignal = defineSignal<[RateShare]>('accountShare');
