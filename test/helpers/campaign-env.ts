import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime, type ActivityInterceptorsFactory, type Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { campaignOptionsSchema, type CampaignOptionsInput, type IdSource } from '../../src/campaign/options';
import type { CampaignResult } from '../../src/campaign/status';
import type { ReportLine } from '../../src/campaign/outcome';
import { createKoophoneClient, Secret } from '../../src/koophone';
import { FolderStore } from '../../src/report';
import { startSimulator, type RunningSimulator, type SimulatorOptionsInput } from '../../src/simulator';
import { AccountWorker } from '../../src/account-worker';
import { loadWorkflowBundle } from '../../src/prebuilt-bundle';
import { createCampaignWorker } from '../../src/worker';
import { resetCampaign } from '../../src/workflows';
import { closeTestTemporal, testTemporal, type TestTemporal } from './temporal';
import { campaignResult } from '../../src/temporal/campaign-result';

// Tests read their own assertions, not the SDK's INFO lines.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // already installed by another helper in this process
}

let bundle: Promise<WorkflowBundleOption> | undefined;
/**
 * The workflow code as a worker loads it: dist/workflow-bundle.js, which `npm test` builds first
 * (its pretest), once it is checked against the sources; otherwise (a file run on its own after
 * an edit) bundled once for the test file, with a warning (src/prebuilt-bundle.ts).
 */
export function workflowBundle(): Promise<WorkflowBundleOption> {
  bundle ??= loadWorkflowBundle(warnOnlyLogger);
  return bundle;
}
const noop = () => undefined;
const warnOnlyLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: (message: string) => process.stderr.write(`${message}\n`),
  error: noop,
};

export interface CampaignEnv {
  temporal: TestTemporal;
  sim: RunningSimulator;
  store: FolderStore;
  reportDir: string;
  taskQueue: string;
  worker?: Worker;
  /** The worker's account task queue (every worker serves the account coordinator). */
  accountWorker?: AccountWorker;
  workerRun?: Promise<void>;
  accountRun?: Promise<void>;
  /**
   * A worker as `koophone-reset worker` runs one: its task queue and the account's (unless account:
   * false); `activityInterceptors` after its own.
   */
  startWorker(options?: { account?: boolean; activityInterceptors?: ActivityInterceptorsFactory[] }): Promise<void>;
  stopWorker(): Promise<void>;
  /** `keepEveryMs`: how often it re-creates an ended coordinator (default: as every worker, 30 s). */
  startAccountWorker(options?: { keepEveryMs?: number }): Promise<void>;
  stopAccountWorker(): Promise<void>;
  start(
    options: Partial<CampaignOptionsInput>,
    source: IdSource,
  ): Promise<WorkflowHandle<typeof resetCampaign>>;
  run(
    options: Partial<CampaignOptionsInput>,
    source: IdSource,
  ): Promise<{ result: CampaignResult; lines: ReportLine[]; handle: WorkflowHandle<typeof resetCampaign> }>;
  report(campaignId: string): Promise<ReportLine[]>;
  ids(n: number, offset?: number): string[];
  writeIdsFile(name: string, content: string): string;
  /** The environment a worker process (`koophone-reset worker`) needs to join this campaign env. */
  workerProcessEnv(extra?: Record<string, string>): Record<string, string>;
}

/** A real dev server, a real simulator over HTTP, a real worker: everything but the KooPhone cloud. */
export function campaignEnv(
  simOptions: SimulatorOptionsInput = {},
  opts: { worker?: boolean } = {},
): CampaignEnv {
  const env = {} as CampaignEnv;
  before(async () => {
    env.temporal = await testTemporal();
    env.sim = await startSimulator({ port: 0, instances: 20_000, jobDurationMs: '200..800', ...simOptions });
    env.reportDir = mkdtempSync(join(tmpdir(), 'koophone-reports-'));
    env.store = new FolderStore(env.reportDir);
    env.taskQueue = `test-${randomUUID()}`;
    env.startAccountWorker = async (options = {}) => {
      env.accountWorker = await AccountWorker.create({
        connection: env.temporal.nativeConnection,
        namespace: env.temporal.namespace,
        workflowBundle: await workflowBundle(),
        ...options,
      });
      env.accountRun = env.accountWorker.run();
    };
    env.stopAccountWorker = async () => {
      env.accountWorker?.shutdown();
      await env.accountRun;
      env.accountWorker = undefined;
      env.accountRun = undefined;
    };
    env.startWorker = async (options = {}) => {
      const client = createKoophoneClient({
        endpoint: env.sim.url,
        timeoutMs: 5000,
        auth: { kind: 'static', token: new Secret('sim-token') },
      });
      env.worker = await createCampaignWorker({
        connection: env.temporal.nativeConnection,
        namespace: env.temporal.namespace,
        taskQueue: env.taskQueue,
        client,
        store: env.store,
        workflowBundle: await workflowBundle(),
        ...(options.activityInterceptors ? { activityInterceptors: options.activityInterceptors } : {}),
      });
      env.workerRun = env.worker.run();
      if (options.account !== false) await env.startAccountWorker();
    };
    env.stopWorker = async () => {
      await env.stopAccountWorker();
      if (!env.worker) return;
      env.worker.shutdown();
      await env.workerRun;
      env.worker = undefined;
    };
    if (opts.worker !== false) await env.startWorker();
  });
  after(async () => {
    await env.stopWorker?.();
    await env.sim?.close();
    await closeTestTemporal();
  });
  env.start = async (options, source) => {
    const campaignId = options.campaignId ?? `c-${randomUUID().slice(0, 8)}`;
    const parsed = campaignOptionsSchema.parse({ ...options, campaignId });
    return env.temporal.client.workflow.start(resetCampaign, {
      taskQueue: env.taskQueue,
      workflowId: campaignId,
      args: [{ options: parsed, source }],
    });
  };
  env.run = async (options, source) => {
    const handle = await env.start(options, source);
    const result = await campaignResult(handle);
    return { result, lines: await env.report(handle.workflowId), handle };
  };
  env.report = async (campaignId) => {
    const lines: ReportLine[] = [];
    for await (const l of env.store.readReport(campaignId)) lines.push(l);
    return lines;
  };
  env.ids = (n, offset = 0) => Array.from({ length: n }, (_, i) => env.sim.fleet.idAt(offset + i));
  env.workerProcessEnv = (extra = {}) => ({
    TEMPORAL_ADDRESS: env.temporal.address,
    TEMPORAL_NAMESPACE: env.temporal.namespace,
    TEMPORAL_TASK_QUEUE: env.taskQueue,
    KOOPHONE_ENDPOINT: env.sim.url,
    KOOPHONE_TOKEN: 'sim-token',
    REPORT_DIR: env.reportDir,
    ...extra,
  });
  env.writeIdsFile = (name, content) => {
    const dir = join(env.reportDir, 'inputs');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  return env;
}

export async function waitFor(
  predicate: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  stepMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
}
