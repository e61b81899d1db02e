import type { WorkflowExecutionDescription } from '@temporalio/client';
import {
  closeCampaignStore,
  createCampaignStore,
  describeCampaignStore,
  REPORT_STORE_MEMO,
  storeIdentity,
  type StoreIdentity,
} from '../report';
import type { CampaignView } from './campaign-status';

/** Whether this shell's report store is the campaign's, as far as can be told. */
export interface StoreCheck {
  /** The store the campaign was started against (recorded by `start`), when recorded. */
  campaign?: StoreIdentity;
  /** The store this shell's REPORT_DIR / REPORT_SINK names, when a worker ever used it. */
  shell?: StoreIdentity;
  /** This shell's store holds the campaign's prepared phones. */
  holdsCampaign: boolean;
  /** What is wrong, in a sentence the operator can act on; undefined when nothing is. */
  problem?: string;
}

const FIX = 'set REPORT_DIR / REPORT_SINK as its workers have them';

/**
 * Compares the store named in this shell with the campaign's: a `report` or `status` read from
 * another store sees nothing of it (or another campaign's data under the same id).
 */
export async function checkCampaignStore(
  env: NodeJS.ProcessEnv,
  d: WorkflowExecutionDescription,
  status: CampaignView,
): Promise<StoreCheck> {
  const campaign = d.memo?.[REPORT_STORE_MEMO] as StoreIdentity | undefined;
  let store;
  try {
    store = createCampaignStore(env);
  } catch (err) {
    return { ...(campaign ? { campaign } : {}), holdsCampaign: false, problem: (err as Error).message };
  }
  try {
    const shell = await storeIdentity(store);
    const stored = await store.describeStored(d.workflowId);
    const firstRun = d.raw.workflowExecutionInfo?.firstRunId || undefined;
    const holdsCampaign =
      stored !== undefined &&
      (stored.owner === undefined || firstRun === undefined || stored.owner === firstRun);
    const known = { ...(campaign ? { campaign } : {}), ...(shell ? { shell } : {}), holdsCampaign };
    const here = describeCampaignStore(store);
    if (campaign && shell && campaign.id !== shell.id)
      return {
        ...known,
        problem: `the campaign was started against the report store ${campaign.where} (${campaign.id}), this shell's is ${here} (${shell.id}): ${FIX}`,
      };
    if (stored !== undefined && !holdsCampaign)
      return {
        ...known,
        problem: `this shell's report store ${here} holds an earlier campaign with this id, not this one: ${FIX}`,
      };
    // Once phones have finished, the campaign's store holds its spool and report lines.
    const underWay = status.total > 0 && status.pending < status.total;
    if (stored === undefined && underWay)
      return {
        ...known,
        problem: `this shell's report store ${here} holds nothing of this campaign: its workers write to another store; ${FIX}`,
      };
    return known;
  } catch (err) {
    return {
      ...(campaign ? { campaign } : {}),
      holdsCampaign: false,
      problem: `cannot read this shell's report store: ${(err as Error).message}`,
    };
  } finally {
    await closeCampaignStore(store);
  }
}
