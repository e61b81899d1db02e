import { mkdir, writeFile } from 'node:fs/promises';
import { renderHtmlReport, summaryFromStatus } from '../report/html';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pino from 'pino';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createKoophoneClient, Secret } from '../koophone';
import { temporalLogger } from '../logger';
import { closeCampaignStore, createCampaignStore, reportRoot, type CampaignStore } from '../report';
import { startSimulator, type RunningSimulator } from '../simulator';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { portTaken } from '../temporal/free-port';
import { AccountWorker } from '../account-worker';
import { campaignWorkflowBundle, createCampaignWorker, runBoth } from '../worker';
import { parseCampaignFlags } from './campaign-options';
import { out, printJson, type CliContext } from './context';
import { CliError, EXIT, exitCodeForCampaign, usageError } from './exit-codes';
import { integerFlag, portFlag } from './flags';
import { followCampaign } from './follow';
import { formatPlan, planCampaign } from './plan';
import { progressMode } from './progress';
import { onInterrupt } from './signals';
import { newCampaignId, startCampaign } from './start-campaign';
import { formatSummary } from './summary';
import { connectTemporal, temporalAnswers, temporalSettings, type TemporalSession } from './temporal';
import { ensureSearchAttributes } from './temporal-setup';

export interface DemoFlags {
  instances: string;
  rate: string;
  temporalAddress?: string;
  uiPort?: string;
  simPort: string;
  reuseServer?: boolean;
  json?: boolean;
}

/** Ports the demo would start on but something else holds: refused before anything starts. */
async function refuseTakenPorts(wanted: [flag: string, port: number][]): Promise<void> {
  for (const [flag, port] of wanted)
    if (port !== 0 && (await portTaken(port)))
      throw usageError(`${flag}: port ${port} is already in use by another program; choose a free one`);
}

/** Where the demo's parts listen, checked before anything starts. */
function demoPorts(ctx: CliContext, flags: DemoFlags) {
  const address = flags.temporalAddress ?? (ctx.env.TEMPORAL_ADDRESS?.trim() || '127.0.0.1:7233');
  const m = /^([^:\s]+):(\d+)$/.exec(address);
  if (!m) throw usageError(`--temporal-address: expected HOST:PORT (e.g. 127.0.0.1:7300), got "${address}"`);
  const port = portFlag('--temporal-address', m[2]!);
  const uiPort =
    flags.uiPort === undefined ? (port === 7233 ? 8233 : port + 1000) : portFlag('--ui-port', flags.uiPort);
  if (uiPort === port) throw usageError(`--ui-port: ${uiPort} is the Temporal port; choose another`);
  if (uiPort > 65_535) throw usageError(`--ui-port: ${port} + 1000 is no port; give --ui-port`);
  return { address, host: m[1]!, port, uiPort, simPort: portFlag('--sim-port', flags.simPort, true) };
}

const DEMO_JOB_MS = { min: 1000, max: 4000 };

/** Everything the demo started, stopped in reverse order whatever happens. */
class Started {
  server?: DevServer;
  sim?: RunningSimulator;
  session?: TemporalSession;
  native?: NativeConnection;
  worker?: Worker;
  account?: AccountWorker;
  store?: CampaignStore;
  workerRun?: Promise<void>;

  async stop(): Promise<void> {
    if (this.worker && this.worker.getState() === 'RUNNING') this.worker.shutdown();
    this.account?.shutdown();
    await this.workerRun?.catch(() => undefined);
    if (this.store) await closeCampaignStore(this.store).catch(() => undefined);
    await this.native?.close().catch(() => undefined);
    await this.session?.connection.close().catch(() => undefined);
    await this.sim?.close().catch(() => undefined);
    await this.server?.stop().catch(() => undefined);
  }
}

export async function runDemo(ctx: CliContext, flags: DemoFlags): Promise<number> {
  const instances = integerFlag('--instances', flags.instances, { min: 1, max: 1_000_000 });
  // A short retry delay keeps the demo's failed-job retries within a minute.
  const options = parseCampaignFlags({
    rate: flags.rate,
    concurrency: '20',
    retryDelay: '10s',
    jobTimeout: '5m',
  });
  const ports = demoPorts(ctx, flags);
  const { address } = ports;
  // The demo's session, worker and links all go to the address it checked.
  const env = { ...ctx.env, TEMPORAL_ADDRESS: address };
  const settings = temporalSettings(env);
  // 1. Temporal: the demo starts its own dev server (data kept in .data/). A server already
  // answering there is someone else's: the demo would register search attributes and start a
  // campaign on it, so it is used only when the operator says so (docs/design.md "demo"). All
  // of this is settled before the demo writes or starts anything.
  const reuse = await temporalAnswers(address);
  if (reuse && !flags.reuseServer)
    throw usageError(
      `a Temporal server the demo did not start already answers on ${address}; the demo would ` +
        'register search attributes and start a campaign on it. Stop that server, choose a free ' +
        'address (--temporal-address 127.0.0.1:7300), or pass --reuse-server to use it anyway',
    );
  if (!reuse && ports.host !== '127.0.0.1' && ports.host !== 'localhost')
    throw new CliError(EXIT.unreachable, `cannot reach the Temporal server at ${address}`);
  await refuseTakenPorts(
    reuse
      ? [['--sim-port', ports.simPort]]
      : [
          ['--temporal-address', ports.port],
          ['--ui-port', ports.uiPort],
          ['--sim-port', ports.simPort],
        ],
  );
  const logFile = resolve('.data', 'demo-worker.log');
  mkdirSync(resolve('.data'), { recursive: true });
  // The worker's own logs would tear the progress bar apart: they go to a file.
  Runtime.install({
    logger: temporalLogger(
      pino(
        { level: 'warn', base: { service: 'koophone-reset-demo' } },
        pino.destination({ dest: logFile, sync: false }),
      ),
    ),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
    shutdownSignals: [],
  });

  // With --json, stdout carries only the result (docs/schemas/demo.schema.json); the
  // progress people watch goes to stderr.
  const say: CliContext = flags.json ? { ...ctx, stdout: ctx.stderr } : ctx;
  const started = new Started();
  let campaignId: string | undefined;
  const stopWatching = new AbortController();
  const release = onInterrupt(() => stopWatching.abort());
  try {
    let uiBase = `http://127.0.0.1:${ports.uiPort}`;
    if (reuse) {
      out(say, `Temporal: using the server at ${address} (--reuse-server)`);
    } else {
      out(say, `Temporal: starting the dev server on ${address} (data in .data/temporal.db)…`);
      started.server = await startDevServer({
        port: ports.port,
        uiPort: ports.uiPort,
        dbFile: resolve('.data', 'temporal.db'),
      });
      uiBase = started.server.uiUrl ?? uiBase;
    }
    started.session = await connectTemporal(env);
    const added = await ensureSearchAttributes(started.session.connection, settings.namespace);
    if (added.length) out(say, `Temporal: registered search attributes ${added.join(', ')}`);

    // 2. A simulated KooPhone with the faults a real fleet shows, throttling just above our rate.
    // A fresh seed per run: each demo meets a different pattern of faults.
    const seed = randomBytes(4).readUInt32BE(0);
    started.sim = await startSimulator({
      port: ports.simPort,
      instances,
      seed,
      jobDurationMs: DEMO_JOB_MS,
      fault9999Rate: 0.02,
      fault5xxRate: 0.01,
      rateLimit: Math.ceil((options.rate === 'auto' ? options.rateMax : options.rate) * 1.2),
      jobFailureRate: 0.01,
      lostResponseRate: 0.005,
      frozenRate: 0.001,
    });
    out(say, `KooPhone simulator: ${started.sim.url}, ${instances} instances (seed ${seed})`);
    out(
      say,
      '  faults: 2% 9999, 1% 5xx, 429 just above the rate, 1% failed jobs, 0.5% lost responses, 0.1% frozen',
    );

    // 3. A worker on a task queue of its own, so a stale worker elsewhere cannot take the tasks.
    const taskQueue = `demo-${randomBytes(4).toString('hex')}`;
    started.native = await NativeConnection.connect(settings.connection);
    const store = (started.store = createCampaignStore(ctx.env));
    // As a worker does: a folder store is made and written once before any campaign (a fresh
    // directory has no ./reports yet).
    await store.check();
    out(say, `worker: task queue ${taskQueue}, logs in ${logFile}`);
    // Loaded once for both queues the worker polls: its own and the account coordinator's.
    const workflowBundle = await campaignWorkflowBundle();
    started.worker = await createCampaignWorker({
      connection: started.native,
      namespace: settings.namespace,
      taskQueue,
      client: createKoophoneClient({
        endpoint: started.sim.url,
        timeoutMs: 5000,
        auth: { kind: 'static', token: new Secret(started.sim.options.token) },
      }),
      store,
      workflowBundle,
    });
    // A limit left in .data by an earlier `account --rate` is served here too: never a silent wait.
    started.account = await AccountWorker.create({
      connection: started.native,
      namespace: settings.namespace,
      workflowBundle,
    });
    started.workerRun = runBoth(started.worker, started.account);

    // 4. One campaign over the whole fleet, followed on screen.
    campaignId = newCampaignId().replace(/^reset-/, 'demo-');
    const resolved = {
      source: { kind: 'fleet' as const },
      instances,
      duplicates: 0,
      describe: 'the whole simulated fleet (--all)',
    };
    if (stopWatching.signal.aborted) {
      out(say, 'interrupted before the campaign started; stopping what the demo started');
      return 130;
    }
    out(say);
    formatPlan(planCampaign(campaignId, options, resolved, (DEMO_JOB_MS.min + DEMO_JOB_MS.max) / 2)).forEach(
      (l) => out(say, l),
    );
    // The demo resets its own simulated fleet, which it just made: nothing to pin or confirm.
    await startCampaign(say, started.session, campaignId, options, resolved, {}, taskQueue, false);
    out(say);
    const final = await followCampaign(say, started.session.client, campaignId, {
      mode: progressMode(say, false),
      signal: stopWatching.signal,
    });
    const uiUrl = `${uiBase}/namespaces/${settings.namespace}/workflows/${campaignId}`;
    if (!final) {
      // Its simulator and worker are going away: a campaign left running would wait forever.
      await started.session.client.workflow.getHandle(campaignId).terminate('demo interrupted');
      out(say, `\ninterrupted: campaign ${campaignId} terminated; stopping what the demo started`);
      return 130;
    }
    out(say);
    formatSummary(final, { reportPath: final.reportLocation ?? store.location(campaignId), uiUrl }).forEach(
      (l) => out(say, l),
    );
    const stats = started.sim.stats();
    const f = stats.faults;
    out(say, `  KooPhone saw ${stats.calls.batchReset} batch-reset calls, ${stats.calls.getTask} task polls`);
    out(
      say,
      `    faults     ${f.fault9999} 9999, ${f.fault5xx} 5xx, ${f.throttled} 429, ${f.lostResponse} lost responses`,
    );
    out(
      say,
      `    applied    ${stats.resets.total} resets on ${stats.resets.instances} instances (at most ${stats.resets.max} on one)`,
    );
    // A page to share with people who never open a terminal.
    const htmlPath = resolve(reportRoot(ctx.env), campaignId, 'report.html');
    await mkdir(dirname(htmlPath), { recursive: true });
    // The final status is the result's (statusFromResult); the batch size is the demo's own.
    await writeFile(
      htmlPath,
      await renderHtmlReport(
        store.readReport(campaignId),
        summaryFromStatus(final, { batchSize: options.batchSize }),
      ),
    );
    out(say, `  HTML report: ${htmlPath}`);
    out(say, `  CSV report:  koophone-reset report ${campaignId} --format csv`);
    const exitCode = exitCodeForCampaign(final);
    if (flags.json)
      printJson(ctx, {
        campaignId,
        exitCode,
        status: final,
        report: { location: final.reportLocation ?? store.location(campaignId), html: htmlPath },
        temporal: { address, namespace: settings.namespace, startedByDemo: !reuse, uiUrl },
        simulator: {
          url: started.sim.url,
          instances,
          seed,
          batchResetCalls: stats.calls.batchReset,
          taskPolls: stats.calls.getTask,
          faults: {
            fault9999: f.fault9999,
            fault5xx: f.fault5xx,
            throttled: f.throttled,
            lostResponse: f.lostResponse,
          },
          resets: stats.resets,
        },
        worker: { taskQueue, logFile },
      });
    return exitCode;
  } finally {
    release();
    await started.stop();
  }
}
