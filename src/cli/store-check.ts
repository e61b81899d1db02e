import type { WorkflowExecutionDescription } from '@temporalio/client';
import { closeCampaignStore, createCampaignStore, describeCampaignStore, storeIdentity } from '../report';
import type { CampaignView } from './campaign-status';
import type { StoreIdentity } from '../campaign/store-memo';
import { recordedStores } from '../temporal/store-mismatch';

/** Whether this shell's report store is the campaign's, as far as can be told. */
export interface StoreCheck {
  /** The store prepare wrote the campaign into: where its report is (absent in older campaigns). */
  prepared?: StoreIdentity;
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
  const { prepared, started: campaign } = recordedStores(d.memo);
  const recorded = { ...(prepared ? { prepared } : {}), ...(campaign ? { campaign } : {}) };
  let store;
  try {
    store = createCampaignStore(env);
  } catch (err) {
    return { ...recorded, holdsCampaign: false, problem: (err as Error).message };
  }
  try {
    const shell = await storeIdentity(store);
    const stored = await store.describeStored(d.workflowId);
    const firstRun = d.raw.workflowExecutionInfo?.firstRunId || undefined;
    const holdsCampaign =
      stored !== undefined &&
      (stored.owner === undefined || firstRun === undefined || stored.owner === firstRun);
    const known = { ...recorded, ...(shell ? { shell } : {}), holdsCampaign };
    const here = describeCampaignStore(store);
    // The store the campaign was prepared in, at the same place, no longer holding it: deleted or
    // replaced under its workers (who write to this same place), not another store.
    if (prepared && prepared.where === here && (shell?.id !== prepared.id || stored === undefined))
      return { ...known, problem: lostStoreProblem(d.workflowId, here, prepared, shell) };
    if (prepared && shell && prepared.id !== shell.id)
      return {
        ...known,
        problem: `the campaign was prepared in the report store ${prepared.where} (${prepared.id}), where its report is; this shell's is ${here} (${shell.id}): ${FIX}`,
      };
    if (!prepared && campaign && shell && campaign.id !== shell.id)
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
      ...recorded,
      holdsCampaign: false,
      problem: `cannot read this shell's report store: ${(err as Error).message}`,
    };
  } finally {
    await closeCampaignStore(store);
  }
}

function lostStoreProblem(
  campaignId: string,
  here: string,
  prepared: StoreIdentity,
  shell: StoreIdentity | undefined,
): string {
  const what = !shell
    ? 'its .store-id is gone'
    : shell.id !== prepared.id
      ? `its id is now ${shell.id}`
      : "the campaign's data is gone";
  return (
    `the report store ${here}, where the campaign was prepared (${prepared.id}) and its workers write, no longer holds it ` +
    `(${what}): it was deleted or replaced. Restore it from a backup (the campaign resumes by itself), ` +
    `or end the campaign without a report: koophone-reset cancel ${campaignId} --now`
  );
}

/** Where the campaign's report is (the store prepare wrote it into), next to this shell's store. */
export function storeLine(c: StoreCheck): string | undefined {
  if (!c.prepared) return undefined;
  const shell = !c.shell
    ? "this shell's store was never used by a worker"
    : c.shell.id === c.prepared.id
      ? "this shell's store"
      : `this shell's is ${c.shell.where} (${c.shell.id})`;
  return `prepared in ${c.prepared.where} (${c.prepared.id}), where its report is; ${shell}`;
}
