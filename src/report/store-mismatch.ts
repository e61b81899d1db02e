import type { NativeConnection } from '@temporalio/worker';
import { defaultPayloadConverter } from '@temporalio/common';
import type { CampaignStore } from './campaign-store';
import { REPORT_STORE_MEMO, type StoreIdentity } from './store-identity';

/** A running campaign on this worker's task queue recorded with another report store. */
export interface StoreMismatch {
  campaignId: string;
  campaignStore: StoreIdentity;
}

/**
 * Running campaigns of `taskQueue` that `start` recorded against another store than `own`, and
 * of which `store` holds nothing: a worker here would run their batches against the wrong data
 * (two workers with different REPORT_DIRs livelocked a campaign). Reads at most 100 campaigns;
 * visibility may lag a few seconds behind a start.
 */
export async function campaignsOnOtherStores(
  connection: NativeConnection,
  namespace: string,
  taskQueue: string,
  own: StoreIdentity,
  store: CampaignStore,
): Promise<StoreMismatch[]> {
  const res = await connection.workflowService.listWorkflowExecutions({
    namespace,
    pageSize: 100,
    query: `WorkflowType = 'resetCampaign' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replace(/'/g, "\\'")}'`,
  });
  const found: StoreMismatch[] = [];
  for (const e of res.executions ?? []) {
    const payload = e.memo?.fields?.[REPORT_STORE_MEMO];
    const campaignId = e.execution?.workflowId;
    if (!payload || !campaignId) continue;
    const recorded = defaultPayloadConverter.fromPayload<StoreIdentity>(payload);
    if (recorded?.id === undefined || recorded.id === own.id) continue;
    if ((await store.describeStored(campaignId)) !== undefined) continue;
    found.push({ campaignId, campaignStore: recorded });
  }
  return found;
}
