import { Context } from '@temporalio/activity';
import { joinCoordinator } from '../account/coordinator';
import type { BlockedAnswer } from '../campaign/blocking';
import { CAMPAIGN_WORKFLOW } from '../campaign/campaign-workflow';
import type { JoinAnswer } from '../workflows/account-definitions';
import { answerBlocked } from './own-parts';


interface JoinInput {
  campaignId: string;
  rate: number;
}

/**
 * A campaign joins the account's rate coordinator before its first call and gets its share (an
 * ended coordinator is re-created from its record first, see src/account/coordinator.ts).
 * Resolves null when no account limit is recorded: the campaign keeps its own rate. When a limit
 * is recorded and no coordinator answers, the lane engine (`answerBlocked`) gets a blocked answer
 * naming why and is blocked until it answers; the first engine, which knows no blocked answer,
 * gets a failed attempt, as before.
 */
export function joinAccount(
  input: JoinInput & { answerBlocked: true },
): Promise<JoinAnswer | null | BlockedAnswer>;
export function joinAccount(input: JoinInput): Promise<JoinAnswer | null>;
export async function joinAccount(
  input: JoinInput & { answerBlocked?: true },
): Promise<JoinAnswer | null | BlockedAnswer> {
  const { client } = Context.current();
  const join = () => joinCoordinator(client, { campaignId: input.campaignId, rate: input.rate });
  return input.answerBlocked ? answerBlocked(input.campaignId, join) : join();
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

/** The activities the account's task queue serves: the coordinator's own. */
export function accountActivities() {
  return { runningCampaigns };
}
