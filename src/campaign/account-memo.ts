// Workflow-safe (no Node modules): the engine records the KooPhone account of the campaign.

/**
 * The workflow memo key under which the engine records the KooPhone account prepare talked to (a
 * KoophoneAccount: endpoint, tenant, project; never a secret). It is the campaign's account: for
 * people (`temporal workflow describe`) and for workers starting on its task queue, which warn when
 * theirs is another. Workers refuse the campaign's KooPhone work by its prepared record, which
 * holds the same account (src/activities/credentials.ts).
 */
export const PREPARED_ACCOUNT_MEMO = 'preparedAccount';
