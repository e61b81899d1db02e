import { ApplicationFailure, Context } from '@temporalio/activity';
import type { CampaignStore } from '../report/campaign-store';
import { storeIdentity } from '../report/store-identity';
import {
  recordedStores,
  WRONG_REPORT_STORE,
  wrongStoreMessage,
  type RecordedStores,
} from '../temporal/store-mismatch';
import type { StoreIdentity } from '../campaign/store-memo';

/**
 * Refuses an activity that reads or writes a campaign's data on a worker whose report store is
 * not the campaign's. Two workers with different REPORT_DIRs once livelocked a campaign: each
 * batch's spool slice was in the other's folder, so batches found no phones and handed their
 * slots back forever, and the report came out empty.
 *
 * The campaign's store is the one prepare wrote it into, which the workflow records in its memo.
 * The refusal is retryable: Temporal's next attempt may land on a worker with the right store, so
 * a campaign with one good worker still completes; with only wrong workers the activities run out
 * of attempts, each attempt's failure naming both stores, and the campaign is blocked on its
 * store (src/campaign/blocking.ts WRONG_STORE) until a worker with the right store takes it.
 *
 * One verdict per campaign run and process: a describe of the workflow (not a store read) the
 * first time, none after.
 */
export class StoreGuard {
  private own: StoreIdentity | undefined;
  private readonly verdicts = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly store: CampaignStore,
    /** The same store as its activities read it (faults named), for the guard's own reads. */
    private readonly reads: CampaignStore = store,
  ) {}

  /** Throws a retryable WrongReportStore failure when this worker's store is not the campaign's. */
  async check(campaignId: string): Promise<void> {
    const ctx = Context.current();
    const key = `${campaignId}/${ctx.info.workflowExecution?.runId ?? ''}`;
    let verdict = this.verdicts.get(key);
    if (!verdict) {
      verdict = this.judge(campaignId);
      this.verdicts.set(key, verdict);
      // A verdict that could not be reached is sought again next time.
      verdict.catch(() => this.verdicts.delete(key));
    }
    const problem = await verdict;
    if (problem === undefined) return;
    ctx.log.error(problem, { campaignId });
    throw ApplicationFailure.retryable(problem, WRONG_REPORT_STORE);
  }

  private async judge(campaignId: string): Promise<string | undefined> {
    // Read, never made: the worker's start made its store's id, and one missing now is a store
    // deleted or replaced since, which its probe names (a new id here would be a half store).
    this.own ??= await storeIdentity(this.store);
    const own = this.own;
    if (!own) return undefined; // no id (a store of no known kind, or lost): nothing to compare
    const recorded = await this.recorded(campaignId);
    if (recorded.prepared) {
      return recorded.prepared.id === own.id ? undefined : wrongStoreMessage(campaignId, own, recorded.prepared);
    }
    // No prepared store recorded (a campaign from before it was, or no Temporal client here): the
    // store must hold the campaign's prepared spool, which prepare writes before any batch runs.
    const prepared = await this.reads.readPrepared(campaignId);
    if (prepared && (!prepared.owner || !recorded.firstRunId || prepared.owner === recorded.firstRunId)) return undefined;
    return wrongStoreMessage(campaignId, own, undefined, recorded.started);
  }

  /** The stores the campaign's memo names, and its first run id; nothing when it cannot be asked. */
  private async recorded(campaignId: string): Promise<RecordedStores & { firstRunId?: string }> {
    let client;
    try {
      client = Context.current().client;
    } catch {
      return {}; // an activity run outside a worker (unit tests): no client
    }
    try {
      const d = await client.workflow.getHandle(campaignId).describe();
      const firstRunId = d.raw.workflowExecutionInfo?.firstRunId || undefined;
      return { ...recordedStores(d.memo), ...(firstRunId ? { firstRunId } : {}) };
    } catch (err) {
      Context.current().log.warn('could not read the campaign\'s recorded report store', {
        campaignId,
        error: (err as Error).message,
      });
      return {};
    }
  }
}
