import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ACCOUNT_WORKFLOW_ID, joinAccountUpdate, type JoinAnswer } from '../workflows/account-definitions';

const CAMPAIGN_WORKFLOW = 'resetCampaign';
// The coordinator answers in milliseconds when a worker polls its task queue; a join that waits
// longer fails and is retried (the campaign sends nothing meanwhile: its share is not known).
const JOIN_TIMEOUT_MS = 20_000;

/**
 * A campaign joins the account's rate coordinator before its first call and gets its share.
 * Resolves null when no account limit was ever set (no coordinator): the campaign keeps its own rate.
 */
export async function joinAccount(input: { campaignId: string; rate: number }): Promise<JoinAnswer | null> {
  const { client } = Context.current();
  const handle = client.workflow.getHandle(ACCOUNT_WORKFLOW_ID);
  try {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') return null;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), JOIN_TIMEOUT_MS);
  try {
    return await client.withAbortSignal(abort.signal, () =>
      handle.executeUpdate(joinAccountUpdate, { args: [input] }),
    );
  } catch (err) {
    if (abort.signal.aborted) {
      throw new Error(
        `the account rate coordinator (${ACCOUNT_WORKFLOW_ID}) did not answer within ${JOIN_TIMEOUT_MS / 1000} s: is a worker polling its task queue?`,
        { cause: err },
      );
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Ids of the campaigns that run now, as Temporal's visibility sees them. */
export async function runningCampaigns(): Promise<string[]> {
  const { client } = Context.current();
  const ids: string[] = [];
  for await (const e of client.workflow.list({
    query: `WorkflowType = '${CAMPAIGN_WORKFLOW}' AND ExecutionStatus = 'Running'`,
  })) {
    ids.push(e.workflowId);
  }
  return ids;
}
