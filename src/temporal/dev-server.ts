import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort } from './free-port';
import { requireTemporalCli } from './locate-cli';
import { campaignSearchAttributes } from './search-attributes';

export interface DevServerOptions {
  ip?: string;
  /** gRPC port; 0 picks a free one. */
  port?: number;
  /** Web UI port; omitted with headless. */
  uiPort?: number;
  headless?: boolean;
  /** Persistent SQLite file; omitted means in-memory (lost on exit). */
  dbFile?: string;
  namespace?: string;
  /** Further namespaces to create at start, each with the search attributes (test runs use one per file running). */
  moreNamespaces?: string[];
  /** Where the server's own output goes; 'ignore' keeps test output clean. */
  stdio?: 'inherit' | 'ignore';
  startTimeoutMs?: number;
  /** Further dynamic config, e.g. a low `limit.historyCount.suggestContinueAsNew` for a test. */
  dynamicConfig?: Record<string, string | number | boolean>;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  namespace: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts the real Temporal dev server (the CLI's `server start-dev`) with the project's search
 * attributes registered, and resolves once its frontend answers. The caller owns stop().
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cli = requireTemporalCli();
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port || (await freePort(ip));
  const namespace = options.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--log-level', 'error'];
  if (options.headless) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort ?? port + 1000));
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  const namespaces = [namespace, ...(options.moreNamespaces ?? [])];
  for (const ns of namespaces) if (ns !== 'default') args.push('--namespace', ns);
  for (const [name, type] of Object.entries(campaignSearchAttributes)) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  // Production-like dev server knobs: allow campaign-sized histories and fast shutdown.
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {}))
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);

  const child = spawn(cli.path, args, {
    stdio: ['ignore', options.stdio ?? 'ignore', options.stdio ?? 'ignore'],
  });
  let exited = false;
  let exitInfo = '';
  child.once('exit', (code, signal) => {
    exited = true;
    exitInfo = `code ${code ?? ''} signal ${signal ?? ''}`;
  });

  const address = `${ip}:${port}`;
  const stop = async (): Promise<void> => {
    if (exited) return;
    const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) throw new Error(`Temporal dev server (${cli.path}) exited during start-up: ${exitInfo}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        for (const ns of namespaces) await connection.workflowService.describeNamespace({ namespace: ns });
      } finally {
        await connection.close();
      }
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`Temporal dev server at ${address} did not become ready: ${(err as Error).message}`, {
          cause: err,
        });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    address,
    namespace,
    uiUrl: options.headless ? undefined : `http://${ip}:${options.uiPort ?? port + 1000}`,
    process: child,
    stop,
  };
}
