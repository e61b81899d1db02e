import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { createKoophoneClient, type KoophoneClient } from './koophone';
import { rootLogger, temporalLogger } from './logger';
import { createCampaignStore, type CampaignStore } from './report';
import { loadWorkerConfig } from './worker-config';

export interface CampaignWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  client: KoophoneClient;
  store: CampaignStore;
  /** A pre-built bundle (tests build one per suite); otherwise the workflows are bundled here. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxConcurrentActivityTaskExecutions?: number;
}

/** A worker hosting the campaign workflows and their activities. */
export async function createCampaignWorker(options: CampaignWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('./workflows') }),
    activities: createActivities({ client: options.client, store: options.store }),
    // Batch activities mostly wait on KooPhone jobs; many fit in one process.
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 200,
  });
}

/** `koophone-reset worker`: configuration from the environment, graceful stop on SIGINT/SIGTERM. */
export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadWorkerConfig(env);
  Runtime.install({ logger: temporalLogger(), shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const { temporal, maxActivities } = config;
  const client = createKoophoneClient(config.koophone);
  const store = createCampaignStore(env);
  const connection = await NativeConnection.connect(temporal.connection);
  try {
    const worker = await createCampaignWorker({
      connection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      client,
      store,
      maxConcurrentActivityTaskExecutions: maxActivities,
    });
    rootLogger.info(
      { address: temporal.connection.address, namespace: temporal.namespace, taskQueue: temporal.taskQueue, endpoint: client.endpoint },
      'worker started',
    );
    await worker.run();
    rootLogger.info('worker stopped');
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  runWorker().catch((err: unknown) => {
    rootLogger.error({ err: err instanceof Error ? err.message : String(err) }, 'worker failed');
    process.exit(1);
  });
}
