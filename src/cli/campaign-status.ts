import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { CAMPAIGN_WORKFLOW } from '../campaign/campaign-workflow';
import {
  CAMPAIGN_STATES,
  statusFromResult,
  type CampaignState,
  type CampaignView,
} from '../campaign/status';
import {
  CampaignErrors,
  CampaignFinished,
  CampaignState as CampaignStateKey,
  CampaignTotal,
} from '../temporal/search-attributes';
import { closedCampaignResult } from '../temporal/campaign-result';
import { statusQuery } from '../workflows/definitions';
import { CliError, EXIT } from './exit-codes';

/** A status query is answered by a worker in milliseconds; longer means none is polling. */
const QUERY_TIMEOUT_MS = 5000;

export type { CampaignView } from '../campaign/status';

export interface CampaignSnapshot {
  status: CampaignView;
  /** The workflow has closed: the status is final. */
  closed: boolean;
}

/** A running campaign whose progress query nobody answered: what the search attributes still say. */
export class NoWorkerError extends CliError {
  constructor(
    readonly campaignId: string,
    readonly lastKnown: string,
    cause: unknown,
  ) {
    super(
      EXIT.unreachable,
      `no worker answered the status query of ${campaignId} within ${QUERY_TIMEOUT_MS / 1000}s ` +
        `(is \`koophone-reset worker\` running on its task queue?); last recorded: ${lastKnown}`,
      { cause },
    );
  }
}

export function finishedOf(s: CampaignView): number {
  return s.succeeded + s.failed + s.timedOut + s.rejected + s.missingJob + s.skipped + s.canceled;
}

function searchAttributes(d: Pick<WorkflowExecutionDescription, 'typedSearchAttributes'>) {
  const state = d.typedSearchAttributes.get(CampaignStateKey);
  return {
    state: CAMPAIGN_STATES.includes(state as CampaignState) ? (state as CampaignState) : undefined,
    total: d.typedSearchAttributes.get(CampaignTotal) ?? 0,
    finished: d.typedSearchAttributes.get(CampaignFinished) ?? 0,
    errors: d.typedSearchAttributes.get(CampaignErrors) ?? 0,
  };
}

function describeLastKnown(d: WorkflowExecutionDescription): string {
  const sa = searchAttributes(d);
  return `${sa.state ?? 'starting'}, ${sa.finished}/${sa.total} finished, ${sa.errors} errors`;
}

/** A workflow that closed without a result (terminated, timed out, failed): what is known of it. */
function statusFromClosed(d: WorkflowExecutionDescription): CampaignView {
  const sa = searchAttributes(d);
  const how = d.status.name.toLowerCase().replace('_', ' ');
  return {
    campaignId: d.workflowId,
    state: d.status.name === 'TERMINATED' ? 'terminated' : d.status.name === 'CANCELLED' ? 'canceled' : 'failed',
    total: sa.total,
    pending: Math.max(0, sa.total - sa.finished),
    inFlight: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    rejected: 0,
    missingJob: 0,
    skipped: 0,
    canceled: 0,
    resetsSent: 0,
    startedAt: d.startTime.toISOString(),
    updatedAt: (d.closeTime ?? d.startTime).toISOString(),
    reason: `workflow ${how}; ${sa.finished}/${sa.total} instances had finished (${sa.errors} errors), see the report`,
  };
}

export async function describeCampaign(
  client: Client,
  campaignId: string,
): Promise<WorkflowExecutionDescription> {
  const d = await client.workflow.getHandle(campaignId).describe();
  if (d.type !== CAMPAIGN_WORKFLOW)
    throw new CliError(EXIT.usage, `${campaignId} is a ${d.type} workflow, not a campaign`);
  return d;
}

/**
 * The campaign's status: the progress query while it runs; the workflow result once it has
 * ended (no worker needed, and it is the authoritative final count). `endedOutside` reads what a
 * workflow ended from outside (terminated) left in the store (see terminated-campaign.ts).
 */
export async function fetchCampaignStatus(
  client: Client,
  campaignId: string,
  endedOutside?: (d: WorkflowExecutionDescription) => Promise<CampaignView | undefined>,
): Promise<CampaignSnapshot> {
  const d = await describeCampaign(client, campaignId);
  const handle = client.workflow.getHandle(campaignId);
  if (d.status.name === 'RUNNING') {
    try {
      const status = await client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
        handle.query(statusQuery),
      );
      return { status, closed: false };
    } catch (err) {
      // The run may have closed between describe and query; look again before blaming workers.
      const again = await handle.describe();
      if (again.status.name !== 'RUNNING') return fetchCampaignStatus(client, campaignId, endedOutside);
      throw new NoWorkerError(campaignId, describeLastKnown(d), err);
    }
  }
  const result = await closedCampaignResult(handle, d);
  if (result) return { status: statusFromResult(result), closed: true };
  return { status: (await endedOutside?.(d)) ?? statusFromClosed(d), closed: true };
}
