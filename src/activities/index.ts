import { Context } from '@temporalio/activity';
import { untouchedLane, type LaneInput } from '../campaign/lane';
import { isBlockedAnswer, type BlockingPart } from '../campaign/blocking';
import type { SpoolSeal } from '../campaign/spool-seal';
import type { RecordOutcomesInput, ResetBatchInput } from '../campaign/work-item';
import type { KoophoneClient } from '../koophone';
import { redactUrlCredentials } from '../koophone';
import type { CampaignMetrics } from '../metrics/campaign-metrics';
import type { HolderLiveness } from '../leases';
import type { CampaignStore } from '../report/campaign-store';
import { describeCampaignStore } from '../report/create-store';
import { FolderStore } from '../report/folder-store';
import { reportRoot } from '../report/report-root';
import { checkReportIds } from '../report/id-set-check';
import { finalizeWhole } from '../report/rebuild-terminated';
import { FaultNamingStore } from '../report/store-faults';
import { storeIdentity } from '../report/store-identity';
import { joinAccount, runningCampaigns } from './account';
export { accountActivities } from './account';
import { Credentials } from './credentials';
import { answerBlocked, probeParts, type ProbeContext } from './own-parts';
import { prepareCampaign, type PrepareInput } from './prepare-campaign';
import { sendNotification, type SendNotificationInput } from './notify';
import { recordOutcomes } from './record-outcomes';
import { refreshFleetFacts, type RefreshFleetInput } from './refresh-fleet';
import { resetBatch } from './reset-batch';
import { runLane } from './run-lane';
import { probeSpool, type ProbeSpoolInput } from './spool-probe';
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
  // Where the CLI left `--notify` URLs: beside a folder store's reports, else REPORT_DIR.
  const notifyRoot = deps.store instanceof FolderStore ? deps.store.root : reportRoot();
  return {
    prepareCampaign: (input: PrepareInput) =>
      answerBlocked(input.campaignId, async () => {
        const prepared = await prepareCampaign(own, input);
        // Phones the pre-flight answers (frozen, in use, not in the fleet) get their line at prepare.
        deps.metrics?.outcomes({ skipped: prepared.skipped, rejected: prepared.rejected ?? 0 });
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
    /** A long campaign lists the fleet again: the lanes screen their calls against the latest. */
    refreshFleetFacts: (input: RefreshFleetInput) =>
      answerBlocked(input.campaignId, async () => {
        await guard.check(input.campaignId);
        return refreshFleetFacts(own, input);
      }),
    runLane: async (input: LaneInput) => {
      // A lane starts only on a store that still holds the campaign and takes writes, with
      // credentials IAM takes, for the campaign's KooPhone account (or is refused, for a worker of it).
      const start = await answerBlocked(input.campaignId, async () => {
        await guard.check(input.campaignId);
        await own.credentials.refuse(input.campaignId);
        // The id file is compared before each call: only a lane that sends needs it readable.
        const ctx = input.item.sourceFile && input.sendForMs > 0 ? { sourceFile: input.item.sourceFile } : {};
        return probeParts(own, input.campaignId, undefined, ctx);
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
     * Assembles the report, one line per phone (those it lacks rebuilt from the journal), checks
     * its ids against the approved ones (with the spool's seal: every approved id exactly once, no
     * other), and gives the campaign's phones back: nothing it held is leased now.
     */
    finalizeReport: (input: {
      campaignId: string;
      state?: string;
      expectedLines?: number;
      batchSize?: number;
      seal?: SpoolSeal;
    }) =>
      answerBlocked(input.campaignId, async () => {
        await guard.check(input.campaignId);
        const report = await finalizeWhole(own.store, input.campaignId, input.state, {
          ...(input.expectedLines !== undefined ? { lines: input.expectedLines } : {}),
          ...(input.batchSize !== undefined ? { batchSize: input.batchSize } : {}),
          ...(input.seal ? { seal: input.seal } : {}),
        });
        const ids = input.seal
          ? await checkReportIds(own.store, input.campaignId, input.seal, () => Context.current().heartbeat())
          : undefined;
        await own.store.releaseLease(input.campaignId);
        return { ...report, ...(ids ? { ids } : {}) };
      }),
    /**
     * A blocked campaign's probe: {} once the parts work again (the campaign resumes), else the
     * fault that goes on.
     */
    probeOwnParts: async (input: { campaignId: string; parts?: BlockingPart[] } & ProbeContext) => {
      const answer = await answerBlocked(input.campaignId, async () => {
        await guard.check(input.campaignId);
        const ctx = input.sourceFile ? { sourceFile: input.sourceFile } : {};
        return probeParts(own, input.campaignId, input.parts, ctx);
      });
      const fault = isBlockedAnswer(answer) ? answer.blocked : answer;
      return fault ? { blocked: fault } : {};
    },
    /** A campaign's held slices of the spool, proved again: those that read true go back. */
    probeSpool: (input: ProbeSpoolInput) =>
      answerBlocked(input.campaignId, async () => {
        await guard.check(input.campaignId);
        return probeSpool(own.store, input);
      }),
    joinAccount,
    runningCampaigns,
    /** Smoke/connectivity check: the worker can reach KooPhone with its credentials. */
    checkKoophone: async () => {
      const page = await deps.client.listInstances({ pageNo: 1, pageSize: 1 });
      // Recorded in the check's history: never with credentials, whatever built the client.
      return { totalCount: page.totalCount, endpoint: redactUrlCredentials(deps.client.endpoint) };
    },
    /** `--notify`: one event to the campaign's webhook (the notifyCampaign workflow retries it). */
    sendNotification: (input: SendNotificationInput) => sendNotification(input, notifyRoot),
  };
}

export type CampaignActivities = ReturnType<typeof createActivities>;
