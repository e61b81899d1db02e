import type { NativeConnection } from '@temporalio/worker';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Payload } from '@temporalio/common';
import { CAMPAIGN_WORKFLOW } from '../campaign/campaign-workflow';
import { PREPARED_STORE_MEMO, type StoreIdentity } from '../campaign/store-memo';
import type { CampaignStore } from '../report/campaign-store';
import { REPORT_STORE_MEMO } from '../report/store-identity';

export { WRONG_REPORT_STORE } from '../campaign/blocking';

/** The stores a campaign's memo names: where prepare wrote it, and the shell that started it. */
export interface RecordedStores {
  /** The store prepare wrote the campaign into: the campaign's store. Absent before prepare and in older campaigns. */
  prepared?: StoreIdentity;
  /** The store of the shell that ran `start`, which may rightly differ from the workers'. */
  started?: StoreIdentity;
}

/** Reads both store identities from a memo, raw (visibility, describe) or decoded. */
export function recordedStores(
  memo: Record<string, Payload | unknown> | null | undefined,
  raw = false,
): RecordedStores {
  const read = (key: string): StoreIdentity | undefined => {
    const v = memo?.[key];
    if (v === undefined || v === null) return undefined;
    const s = (raw ? defaultPayloadConverter.fromPayload(v as Payload) : v) as StoreIdentity | undefined;
    return typeof s?.id === 'string' ? s : undefined;
  };
  const prepared = read(PREPARED_STORE_MEMO);
  const started = read(REPORT_STORE_MEMO);
  return { ...(prepared ? { prepared } : {}), ...(started ? { started } : {}) };
}

const FIX = 'give this worker the same REPORT_DIR / REPORT_SINK as the campaign\'s other workers';

/**
 * Why a worker on `own` must not touch campaign `campaignId`, prepared in `prepared` (when recorded;
 * campaigns from before it was only name the store of the shell that started them).
 */
export function wrongStoreMessage(
  campaignId: string,
  own: StoreIdentity,
  prepared: StoreIdentity | undefined,
  started?: StoreIdentity,
): string {
  if (prepared && prepared.where === own.where && prepared.id !== own.id) {
    // The same place, another store: the one the campaign was prepared in was deleted or replaced.
    return (
      `this worker's report store ${own.where} (id ${own.id}) is not the one campaign ${campaignId} was prepared in ` +
      `at the same place (id ${prepared.id}): it was deleted or replaced since. Restore it from a backup ` +
      `(with its .store-id), or end the campaign`
    );
  }
  const where = prepared
    ? `prepared in the report store ${prepared.where} (id ${prepared.id})`
    : started && started.id !== own.id
      ? `started against the report store ${started.where} (id ${started.id})`
      : 'prepared in another report store';
  return `this worker's report store ${own.where} (id ${own.id}) holds nothing of campaign ${campaignId}, ${where}: ${FIX}`;
}

/** A running campaign on this worker's task queue recorded with another report store. */
export interface StoreMismatch {
  campaignId: string;
  campaignStore: StoreIdentity;
  /** The campaign was prepared in that store (a worker here would be refused); else only started against it. */
  prepared: boolean;
}

/**
 * Running campaigns of `taskQueue` recorded against another store than `own`: prepared in it (a
 * worker here would be refused every activity of theirs), or, for campaigns with no prepared
 * store recorded, started from a shell against it and of which `store` holds nothing. Reads at
 * most 100 campaigns; visibility may lag a few seconds behind a start.
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
    query: `WorkflowType = '${CAMPAIGN_WORKFLOW}' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replace(/'/g, "\\'")}'`,
  });
  const found: StoreMismatch[] = [];
  for (const e of res.executions ?? []) {
    const campaignId = e.execution?.workflowId;
    if (!campaignId) continue;
    const { prepared, started } = recordedStores(e.memo?.fields, true);
    if (prepared) {
      if (prepared.id !== own.id) found.push({ campaignId, campaignStore: prepared, prepared: true });
      continue;
    }
    if (started === undefined || started.id === own.id) continue;
    if ((await store.describeStored(campaignId)) !== undefined) continue;
    found.push({ campaignId, campaignStore: started, prepared: false });
  }
  return found;
}
