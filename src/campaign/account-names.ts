// Pure: the account coordinator's names, for workflow code, workers, the CLI and blocking causes.

/** One coordinator per namespace: KooPhone limits calls per account, not per campaign. */
export const ACCOUNT_WORKFLOW_ID = 'koophone-account';
/**
 * The task queue the coordinator runs on, whatever task queue the shell or campaign that created
 * it uses: every worker polls it beside its own, so any worker of the namespace serves it.
 */
export const ACCOUNT_TASK_QUEUE = 'koophone-account';
