import { setTimeout as sleep } from 'node:timers/promises';
import { Runtime, Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { accountActivities } from './activities/account';
import { ACCOUNT_TASK_QUEUE } from './campaign/account-names';
import { keepCoordinator, type Kept } from './account/coordinator';

/** How often every worker makes sure the recorded account limits are served. */
export const KEEP_EVERY_MS = 30_000;

export interface AccountWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** The same bundle as the worker's campaign task queue (built once). */
  workflowBundle: NonNullable<WorkerOptions['workflowBundle']>;
  keepEveryMs?: number;
}

// The runtime's logger: the worker's log (the demo's goes to its file, never to the terminal).
const log = () => Runtime.instance().logger;

function logKept(kept: Kept): void {
  if (kept.recreated) {
    log().warn(
      'account coordinator had ended: re-created with its recorded limits and the campaigns holding a share',
      {
        endedAs: kept.recreated.from.endedAs,
        limits: kept.recreated.record.limits,
        campaigns: kept.recreated.record.members.length,
      },
    );
  }
  if (kept.moved) {
    log().warn('account coordinator ran on a task queue no worker polls: moved to the account task queue', {
      from: kept.moved.from.taskQueue,
      to: ACCOUNT_TASK_QUEUE,
      limits: kept.moved.record.limits,
    });
  }
}

/**
 * Every worker serves the account coordinator: it polls the account's task queue beside its own
 * (so the coordinator never depends on one deployment's task queue), and every KEEP_EVERY_MS it
 * re-creates a coordinator that ended (terminated) with a limit recorded, or moves one that runs
 * where no worker polls (src/account/coordinator.ts, keepCoordinator). Racing workers are
 * harmless: the re-creation uses the conflict policy USE_EXISTING.
 */
export class AccountWorker {
  private readonly stopKeeping = new AbortController();

  private constructor(
    readonly worker: Worker,
    private readonly keepEveryMs: number,
  ) {}

  static async create(options: AccountWorkerOptions): Promise<AccountWorker> {
    const worker = await Worker.create({
      connection: options.connection,
      namespace: options.namespace,
      taskQueue: ACCOUNT_TASK_QUEUE,
      workflowBundle: options.workflowBundle,
      activities: accountActivities(),
      // One coordinator per namespace: a handful of slots is plenty.
      maxConcurrentActivityTaskExecutions: 4,
      maxConcurrentWorkflowTaskExecutions: 4,
    });
    return new AccountWorker(worker, options.keepEveryMs ?? KEEP_EVERY_MS);
  }

  /** Serves the account's task queue and keeps the coordinator until shutdown. */
  async run(): Promise<void> {
    const keeping = this.keep();
    try {
      await this.worker.run();
    } finally {
      this.stopKeeping.abort();
      await keeping;
    }
  }

  shutdown(): void {
    this.stopKeeping.abort();
    if (this.worker.getState() === 'RUNNING') this.worker.shutdown();
  }

  private async keep(): Promise<void> {
    const { signal } = this.stopKeeping;
    let lastError = '';
    while (!signal.aborted) {
      const client = this.worker.client;
      if (client) {
        try {
          logKept(await keepCoordinator(client));
          lastError = '';
        } catch (err) {
          // Said once per cause, not every 30 s while Temporal is away.
          const error = err instanceof Error ? err.message : String(err);
          if (error !== lastError) log().warn('could not check the account coordinator', { err: error });
          lastError = error;
        }
      }
      await sleep(this.keepEveryMs, undefined, { signal }).catch(() => undefined);
    }
  }
}
