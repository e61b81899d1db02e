import {
  NativeConnection,
  Runtime,
  Worker,
  type ActivityInterceptors,
  type ActivityInterceptorsFactory,
  type WorkerOptions,
} from '@temporalio/worker';
import { AccountWorker } from './account-worker';
import { createActivities } from './activities';
import { ACCOUNT_TASK_QUEUE } from './campaign/account-names';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { workerIdentity } from './activities/credentials';
import { CAMPAIGN_WORKFLOW } from './campaign/campaign-workflow';
import { PREPARED_ACCOUNT_MEMO } from './campaign/account-memo';
import { HEARTBEAT_THROTTLE_MS } from './campaign/lane';
import { createKoophoneClient, sameAccount, type KoophoneAccount, type KoophoneClient } from './koophone';
import { campaignLogAttributes, rootLogger, temporalLogger } from './logger';
import {
  PrometheusCampaignMetrics,
  startMetricsServer,
  type CampaignMetrics,
  type MetricsServer,
} from './metrics';
import {
  closeCampaignStore,
  createCampaignStore,
  describeCampaignStore,
  storeIdentity,
  type CampaignStore,
} from './report';
import { loadWorkflowBundle } from './prebuilt-bundle';
import { loadWorkerConfig } from './worker-config';
import { campaignsOnOtherStores, wrongStoreMessage } from './temporal/store-mismatch';

export interface CampaignWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  client: KoophoneClient;
  store: CampaignStore;
  /** The workflow code (campaignWorkflowBundle), loaded once for this worker and its account worker. */
  workflowBundle: NonNullable<WorkerOptions['workflowBundle']>;
  maxConcurrentActivityTaskExecutions?: number;
  /** How long shutdown waits for running activities before cancelling them (SDK default: 0). */
  shutdownGraceTimeMs?: number;
  /** Operational counters for the activities (the worker's Prometheus endpoint); optional. */
  metrics?: CampaignMetrics;
  /** More activity interceptors, after the log's (tests: what a lane is given). */
  activityInterceptors?: ActivityInterceptorsFactory[];
}

/**
 * Puts the campaign id, batch number and work item of the activity's input on every line the
 * activity logs through `Context.current().log`, including the SDK's own start/finish lines.
 */
function activityLogInterceptors(): ActivityInterceptors {
  let attributes: Record<string, unknown> = {};
  return {
    inbound: {
      execute: (input, next) => {
        attributes = campaignLogAttributes(input.args[0]);
        return next(input);
      },
    },
    outbound: { getLogAttributes: (input, next) => next({ ...attributes, ...input }) },
  };
}

/** A worker hosting the campaign workflows and their activities. */
export async function createCampaignWorker(options: CampaignWorkerOptions): Promise<Worker> {
  // A folder store gets its id from its first worker: `start` records it with the campaign.
  await storeIdentity(options.store, true);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    // Names its KooPhone account (a fingerprint): a worker of another account refusing a campaign's
    // work tells from the task queue's pollers whether one of the campaign's account can take it.
    identity: workerIdentity(options.client.account),
    workflowBundle: options.workflowBundle,
    activities: createActivities({
      client: options.client,
      store: options.store,
      ...(options.metrics ? { metrics: options.metrics } : {}),
    }),
    interceptors: { activity: [activityLogInterceptors, ...(options.activityInterceptors ?? [])] },
    ...(options.shutdownGraceTimeMs === undefined ? {} : { shutdownGraceTime: options.shutdownGraceTimeMs }),
    // Batch activities mostly wait on KooPhone jobs; many fit in one process.
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 200,
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS,
  });
}

/**
 * The workflow code, loaded once for both task queues a worker polls (its own and the account's):
 * the bundle `npm run build` made (or WORKFLOW_BUNDLE's) when it matches the workflow sources,
 * else bundled here (src/prebuilt-bundle.ts).
 */
export async function campaignWorkflowBundle(
  codePath?: string,
): Promise<NonNullable<WorkerOptions['workflowBundle']>> {
  // Logged where the worker logs (the runtime's logger: the demo's goes to its file).
  return loadWorkflowBundle(Runtime.instance().logger, codePath);
}

/**
 * Runs a campaign worker and its account worker (src/account-worker.ts) together until
 * both stop: one that stops (a shutdown signal, a fatal error) stops the other.
 */
export async function runBoth(worker: Worker, account: AccountWorker): Promise<void> {
  const stop = (w: { getState(): string; shutdown(): void }) => {
    if (w.getState() === 'RUNNING') w.shutdown();
  };
  await Promise.all([
    worker.run().finally(() => account.shutdown()),
    account.run().finally(() => stop(worker)),
  ]);
}

/**
 * A worker that cannot write its store would take campaigns and fail them minutes later (blaming
 * the id source): refuse to start instead, naming the variable to fix.
 */
async function checkStoreWritable(store: CampaignStore, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await store.check();
  } catch (err) {
    await closeCampaignStore(store);
    const variable = env.REPORT_SINK?.trim() ? 'REPORT_SINK' : 'REPORT_DIR';
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `the report store ${describeCampaignStore(store)} (${variable}) cannot be written: ${reason} — fix ${variable} and start the worker again`,
      { cause: err },
    );
  }
}

/**
 * Before taking work: refuses to start when a running campaign of this task queue was prepared in
 * another report store than this worker's, whose activities would all be refused here (two
 * workers with different REPORT_DIRs once livelocked a campaign). Campaigns from before the
 * prepared store was recorded only name the store of the shell that started them, which the
 * workers' may rightly differ from: a warning then.
 */
async function checkOtherStores(
  connection: NativeConnection,
  namespace: string,
  taskQueue: string,
  store: CampaignStore,
): Promise<void> {
  const own = await storeIdentity(store, true);
  if (!own) return;
  let mismatches;
  try {
    mismatches = await campaignsOnOtherStores(connection, namespace, taskQueue, own, store);
  } catch (err) {
    rootLogger.warn({ err: (err as Error).message }, 'could not compare report stores with running campaigns');
    return;
  }
  const refused = mismatches.filter((m) => m.prepared);
  for (const m of mismatches.filter((m) => !m.prepared))
    rootLogger.warn(
      { campaignId: m.campaignId, campaignStore: m.campaignStore, workerStore: own },
      `campaign ${m.campaignId} was started against the report store ${m.campaignStore.where} (${m.campaignStore.id}), ` +
        `this worker's is ${own.where} (${own.id}) and holds nothing of it: if its workers use the other store, ` +
        'give this worker the same REPORT_DIR / REPORT_SINK',
    );
  if (refused.length > 0)
    throw new Error(
      refused.map((m) => wrongStoreMessage(m.campaignId, own, m.campaignStore)).join('; ') +
        ' — this worker did not start',
    );
}

/**
 * Before taking work: warns of running campaigns of this task queue prepared for another KooPhone
 * account, whose KooPhone work this worker will refuse (src/activities/credentials.ts). It still
 * starts: a task queue may rightly carry campaigns of several accounts, each run by its own workers.
 */
async function warnOtherAccounts(
  connection: NativeConnection,
  namespace: string,
  taskQueue: string,
  own: KoophoneAccount,
): Promise<void> {
  try {
    const res = await connection.workflowService.listWorkflowExecutions({
      namespace,
      pageSize: 100,
      query: `WorkflowType = '${CAMPAIGN_WORKFLOW}' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replace(/'/g, "\\'")}'`,
    });
    for (const e of res.executions ?? []) {
      const raw = e.memo?.fields?.[PREPARED_ACCOUNT_MEMO];
      const account = raw ? (defaultPayloadConverter.fromPayload(raw as Payload) as KoophoneAccount | undefined) : undefined;
      if (typeof account?.id !== 'string' || sameAccount(account, own)) continue;
      rootLogger.warn(
        { campaignId: e.execution?.workflowId, campaignAccount: account.id, workerAccount: own.id },
        `campaign ${e.execution?.workflowId} talks to the KooPhone account ${account.id}, this worker to ${own.id}: ` +
          'it refuses that campaign\'s KooPhone work (give it the same KOOPHONE_ENDPOINT and KOOPHONE_IAM_DOMAIN / KOOPHONE_IAM_PROJECT to run it)',
      );
    }
  } catch (err) {
    rootLogger.warn({ err: (err as Error).message }, 'could not compare KooPhone accounts with running campaigns');
  }
}

/** `koophone-reset worker`: configuration from the environment, graceful stop on SIGINT/SIGTERM. */
export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadWorkerConfig(env);
  const { temporal, maxActivities } = config;
  const bind = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;
  Runtime.install({
    logger: temporalLogger(),
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    // The SDK's Prometheus exporter runs in its native core and needs a port of its own.
    ...(config.metrics
      ? {
          telemetryOptions: {
            metrics: { prometheus: { bindAddress: bind(config.metrics.host, config.metrics.sdkPort) } },
          },
        }
      : {}),
  });
  const client = createKoophoneClient(config.koophone);
  const store = createCampaignStore(env);
  await checkStoreWritable(store, env);
  // Before connecting: a WORKFLOW_BUNDLE of other workflow code stops the worker here.
  const workflowBundle = await campaignWorkflowBundle(config.workflowBundlePath).catch(
    async (err: unknown) => {
      await closeCampaignStore(store);
      throw err;
    },
  );
  let metrics: PrometheusCampaignMetrics | undefined;
  let metricsServer: MetricsServer | undefined;
  if (config.metrics) {
    metrics = new PrometheusCampaignMetrics();
    metricsServer = await startMetricsServer(metrics.registry, config.metrics);
    rootLogger.info(
      {
        metrics: metricsServer.url,
        sdkMetrics: `http://${bind(config.metrics.host, config.metrics.sdkPort)}/metrics`,
      },
      'metrics endpoints listening',
    );
  }
  const connection = await NativeConnection.connect(temporal.connection).catch(async (err: unknown) => {
    await metricsServer?.close();
    await closeCampaignStore(store);
    throw err;
  });
  try {
    await checkOtherStores(connection, temporal.namespace, temporal.taskQueue, store);
    await warnOtherAccounts(connection, temporal.namespace, temporal.taskQueue, client.account);
    const worker = await createCampaignWorker({
      connection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      client,
      store,
      maxConcurrentActivityTaskExecutions: maxActivities,
      shutdownGraceTimeMs: config.shutdownGraceMs,
      ...(metrics ? { metrics } : {}),
      workflowBundle,
    });
    const account = await AccountWorker.create({ connection, namespace: temporal.namespace, workflowBundle });
    rootLogger.info(
      {
        address: temporal.connection.address,
        namespace: temporal.namespace,
        taskQueue: temporal.taskQueue,
        accountTaskQueue: ACCOUNT_TASK_QUEUE,
        endpoint: client.endpoint,
        account: client.account.id,
        tls: temporal.connection.tls !== undefined && temporal.connection.tls !== false,
        reportSink: describeCampaignStore(store),
      },
      'worker started',
    );
    await runBoth(worker, account);
    rootLogger.info('worker stopped');
  } finally {
    await connection.close();
    await metricsServer?.close();
    await closeCampaignStore(store);
  }
}

if (require.main === module) {
  runWorker().catch((err: unknown) => {
    rootLogger.error({ err: err instanceof Error ? err.message : String(err) }, 'worker failed');
    process.exit(1);
  });
}
