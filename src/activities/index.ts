import type { LaneInput } from '../campaign/lane';
import type { RecordOutcomesInput, ResetBatchInput } from '../campaign/work-item';
import type { KoophoneClient } from '../koophone';
import { redactUrlCredentials } from '../koophone';
import type { CampaignMetrics } from '../metrics/campaign-metrics';
import type { HolderLiveness } from '../leases';
import type { CampaignStore } from '../report/campaign-store';
import { storeIdentity } from '../report/store-identity';
import { joinAccount, runningCampaigns } from './account';
import { prepareCampaign, type PrepareInput } from './prepare-campaign';
import { recordOutcomes } from './record-outcomes';
import { refreshFleetFacts, type RefreshFleetInput } from './refresh-fleet';
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
  // Every activity on the campaign's data first checks this worker's store is the campaign's.
  const guard = new StoreGuard(deps.store);
  return {
    prepareCampaign: async (input: PrepareInput) => {
      const prepared = await prepareCampaign(deps, input);
      // Phones the pre-flight answers (frozen, in use, not in the fleet) get their line at prepare.
      deps.metrics?.outcomes({ skipped: prepared.skipped, rejected: prepared.rejected ?? 0 });
      // The store that holds the campaign now: the workflow records it for the other workers.
      const store = await storeIdentity(deps.store, true);
      return { ...prepared, ...(store ? { store } : {}) };
    },
    /** The first engine's one call per activity; campaigns it recorded still run it. */
    resetBatch: async (input: ResetBatchInput) => {
      await guard.check(input.campaignId);
      return resetBatch({ ...deps, pacer }, input);
    },
    /** A long campaign lists the fleet again: the lanes screen their calls against the latest. */
    refreshFleetFacts: async (input: RefreshFleetInput) => {
      await guard.check(input.campaignId);
      return refreshFleetFacts(deps, input);
    },
    runLane: async (input: LaneInput) => {
      await guard.check(input.campaignId);
      return runLane(deps, input);
    },
    recordOutcomes: async (input: RecordOutcomesInput) => {
      await guard.check(input.campaignId);
      const written = await recordOutcomes(deps.store, input);
      deps.metrics?.outcomes({ [input.outcome]: written });
      return written;
    },
    /** Assembles the report and gives the campaign's phones back: nothing it held is leased now. */
    finalizeReport: async (input: { campaignId: string; state?: string }) => {
      await guard.check(input.campaignId);
      const report = await deps.store.finalize(input.campaignId, input.state);
      await deps.store.releaseLease(input.campaignId);
      return report;
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
