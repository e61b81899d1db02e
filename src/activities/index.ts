import { Context } from '@temporalio/activity';
import { untouchedLane, type LaneInput } from '../campaign/lane';
import { isBlockedAnswer, type BlockingPart } from '../campaign/blocking';
import type { RecordOutcomesInput, ResetBatchInput } from '../campaign/work-item';
import type { KoophoneClient } from '../koophone';
import { redactUrlCredentials } from '../koophone';
import type { CampaignMetrics } from '../metrics/campaign-metrics';
import type { HolderLiveness } from '../leases';
import type { CampaignStore } from '../report/campaign-store';
import { describeCampaignStore } from '../report/create-store';
import { finalizeWhole } from '../report/rebuild-terminated';
import { FaultNamingStore } from '../report/store-faults';
import { storeIdentity } from '../report/store-identity';
import { joinAccount, runningCampaigns } from './account';
import { Credentials } from './credentials';
import { answerBlocked, probeParts } from './own-parts';
import { prepareCampaign, type PrepareInput } from './prepare-campaign';
import { recordOutcomes } from './record-outcomes';
import { resetBatch } from './reset-batch';
import { runLane } from './run-lane';
import { StoreGuard } from './store-guard';
import { SubmitPacer } from './submit-pacer';

export { INVALID_SOURCE } from './prepare-campaign';

export interface ActivityDeps {
  client: KoophoneClient;
  store: CampaignStore;
  /** Optional operational counters (Prometheus in the worker); absent in most tests. */
  metrics?: CampaignMetrics;
  /** Whether a lease holder still runs (tests may inject one); by default asked from Temporal. */
  liveness?: HolderLiveness;
}

/**
 * The worker injects the real KooPhone client and report store; tests inject a client pointed at
 * the simulator. Workflows see only the types of these functions.
 */
export function createActivities(deps: ActivityDeps) {
  const pacer = new SubmitPacer();
  // The store's faults (a full disk, a database down, a store gone) come out named, and the
  // activities of the lane engine answer them as data: the campaign blocks instead of failing.
  const store = new FaultNamingStore(deps.store, describeCampaignStore(deps.store));
  // IAM refusing the worker's credentials, or a worker of another KooPhone account, blocks too.
  const own = { ...deps, store, credentials: new Credentials(deps.client, store) };
  // Every activity on the campaign's data first checks this worker's store is the campaign's.
  const guard = new StoreGuard(deps.store, own.store);
  return {
    prepareCampaign: (input: PrepareInput) =>
      answerBlocked(input.campaignId, async () => {
        const prepared = await prepareCampaign(own, input);
        // Frozen phones of a fleet listing get a 'skipped' report line at prepare.
        deps.metrics?.outcomes({ skipped: prepared.skipped });
        // The store that holds the campaign now: the workflow records it for the other workers.
        const store = await storeIdentity(deps.store);
        return { ...prepared, ...(store ? { store } : {}) };
      }),
    /** The first engine's one call per activity; campaigns it recorded still run it (and fail on a store fault). */
    resetBatch: async (input: ResetBatchInput) => {
      await guard.check(input.campaignId);
      await own.credentials.refuse(input.campaignId);
      return resetBatch({ ...deps, pacer }, input);
    },
    runLane: async (input: LaneInput) => {
      // A lane starts only on a store that still holds the campaign and takes writes, with
      // credentials IAM takes, for the campaign's KooPhone account (or is refused, for a worker of it).
      const start = await answerBlocked(input.campaignId, async () => {
        await guard.check(input.campaignId);
        await own.credentials.refuse(input.campaignId);
        return probeParts(own, input.campaignId);
      });
      const fault = isBlockedAnswer(start) ? start.blocked : start;
      if (fault) return untouchedLane(input, Context.current().info.attempt, fault);
      return runLane(own, input);
    },
    recordOutcomes: (input: RecordOutcomesInput) =>
      answerBlocked(input.campaignId, async () => {
        await guard.check(input.campaignId);
        const written = await recordOutcomes(own.store, input);
        deps.metrics?.outcomes({ [input.outcome]: written });
        return written;
      }),
    /**
     * Assembles the report, one line per phone (those it lacks rebuilt from the journal), and gives
     * the campaign's phones back: nothing it held is leased now.
     */
    finalizeReport: (input: {
      campaignId: string;
      state?: string;
      expectedLines?: number;
      batchSize?: number;
    }) =>
      answerBlocked(input.campaignId, async () => {
        await guard.check(input.campaignId);
        const report = await finalizeWhole(own.store, input.campaignId, input.state, {
          ...(input.expectedLines !== undefined ? { lines: input.expectedLines } : {}),
          ...(input.batchSize !== undefined ? { batchSize: input.batchSize } : {}),
        });
        await own.store.releaseLease(input.campaignId);
        return report;
      }),
    /**
     * A blocked campaign's probe: {} once the parts work again (the campaign resumes), else the
     * fault that goes on.
     */
    probeOwnParts: async (input: { campaignId: string; parts?: BlockingPart[] }) => {
      const answer = await answerBlocked(input.campaignId, async () => {
        await guard.check(input.campaignId);
        return probeParts(own, input.campaignId, input.parts);
      });
      const fault = isBlockedAnswer(answer) ? answer.blocked : answer;
      return fault ? { blocked: fault } : {};
    },
    joinAccount,
    runningCampaigns,
    /** Smoke/connectivity check: the worker can reach KooPhone with its credentials. */
    checkKoophone: async () => {
      const page = await deps.client.listInstances({ pageNo: 1, pageSize: 1 });
      // Recorded in the check's history: never with credentials, whatever built the client.
      return { totalCount: page.totalCount, endpoint: redactUrlCredentials(deps.client.endpoint) };
    },
  };
}

export type CampaignActivities = ReturnType<typeof createActivities>;
