import { campaignStaticDetails, campaignSummaryLine } from '../campaign/describe';
import { randomBytes } from 'node:crypto';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { CampaignOptions } from '../campaign/options';
import type { CampaignSafety } from '../campaign/safety';
import { CampaignState, CampaignTotal } from '../temporal/search-attributes';
import type { resetCampaign } from '../workflows/reset-campaign';
import { CAMPAIGN_WORKFLOW } from '../campaign/campaign-workflow';
import { note, type CliContext } from './context';
import { usageError } from './exit-codes';
import { spillIds, type ResolvedSource } from './id-source';
import {
  closeCampaignStore,
  createCampaignStore,
  describeCampaignStore,
  REPORT_STORE_MEMO,
  storeIdentity,
} from '../report';
import { workflowPollers } from './task-queue-pollers';
import type { TemporalSession } from './temporal';
import type { StoreIdentity } from '../campaign/store-memo';

/** `reset-YYYYMMDD-HHMMSS-xxxx` (UTC): sorts by start time, and is unique enough to never clash. */
export function newCampaignId(now = new Date()): string {
  const iso = now.toISOString();
  const date = iso.slice(0, 10).replace(/-/g, '');
  const time = iso.slice(11, 19).replace(/:/g, '');
  return `reset-${date}-${time}-${randomBytes(2).toString('hex')}`;
}

export async function campaignExists(session: TemporalSession, campaignId: string): Promise<boolean> {
  try {
    await session.client.workflow.getHandle(campaignId).describe();
    return true;
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return false;
    throw err;
  }
}

export function alreadyExists(campaignId: string) {
  return usageError(`a campaign with id ${campaignId} already exists; choose another --campaign-id`);
}

/**
 * Starts the campaign workflow under the campaign id. Workflow ids are refused when they were
 * ever used (running or closed), so a campaign id names exactly one campaign and its report.
 */
export async function startCampaign(
  ctx: CliContext,
  session: TemporalSession,
  campaignId: string,
  options: CampaignOptions,
  resolved: ResolvedSource,
  safety: CampaignSafety,
  taskQueue = session.settings.taskQueue,
  /** Off where the caller runs its own worker (the demo): its pollers may not be visible yet. */
  warnIfNoWorker = true,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof resetCampaign>> {
  if (await campaignExists(session, campaignId)) throw alreadyExists(campaignId);
  const source = await spillIds(resolved, ctx.env, campaignId);
  const store = await shellStore(ctx);
  const handle = await session.client.workflow.start<typeof resetCampaign>(CAMPAIGN_WORKFLOW, {
    taskQueue,
    workflowId: campaignId,
    args: [{ options, source, safety }],
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    // What the Temporal UI shows for this campaign before anyone opens it.
    staticSummary: campaignSummaryLine(options, source, resolved.instances ?? undefined),
    staticDetails: campaignStaticDetails(options, source),
    // Which report store the operator started it against: `status` elsewhere says when it differs.
    ...(store ? { memo: { [REPORT_STORE_MEMO]: store } } : {}),
    // Visible in `list` and the UI before a worker has picked the campaign up.
    typedSearchAttributes: [
      { key: CampaignState, value: 'running' },
      { key: CampaignTotal, value: resolved.instances ?? 0 },
    ],
  });
  if (warnIfNoWorker) await warnWithoutWorkers(ctx, session, taskQueue);
  return handle;
}

/**
 * The report store this shell names, when a worker has used it (undefined otherwise: a store no
 * worker ever wrote is not the campaign's, and `start` must not create files in it).
 */
async function shellStore(ctx: CliContext): Promise<StoreIdentity | undefined> {
  let store;
  try {
    store = createCampaignStore(ctx.env);
  } catch {
    return undefined;
  }
  try {
    const identity = await storeIdentity(store);
    if (!identity)
      note(
        ctx,
        `warning: no worker has used this shell's report store ${describeCampaignStore(store)} (REPORT_DIR / REPORT_SINK): ` +
          "`report` and `status` here will not see this campaign unless they name the workers' store",
      );
    return identity;
  } catch {
    return undefined;
  } finally {
    await closeCampaignStore(store);
  }
}

/** A campaign started where no worker polls would wait silently: say so at once. */
async function warnWithoutWorkers(
  ctx: CliContext,
  session: TemporalSession,
  taskQueue: string,
): Promise<void> {
  // Only a hint (undefined: the server did not say); the start itself succeeded.
  if ((await workflowPollers(session, taskQueue)) === 0) {
    note(
      ctx,
      `warning: no worker is polling task queue ${taskQueue} yet; the campaign waits for one (koophone-reset worker)`,
    );
  }
}
