import { resolve } from 'node:path';
import type { Command } from 'commander';
import { startDevServer } from '../../temporal/dev-server';
import { out, type CliContext } from '../context';
import { CliError, EXIT, usageError } from '../exit-codes';
import { portFlag } from '../flags';
import { untilInterrupted } from '../signals';
import { jsonLog } from '../json-log';
import { temporalAnswers } from '../temporal';

interface DevServerFlags {
  port: string;
  uiPort: string;
  db: string;
  headless?: boolean;
  json?: boolean;
}

export function registerDevServer(program: Command, ctx: CliContext): void {
  program
    .command('dev-server')
    .description('run a local Temporal dev server with the campaign search attributes, until Ctrl-C')
    .option('--port <port>', 'gRPC port', '7233')
    .option('--ui-port <port>', 'web UI port', '8233')
    .option('--db <path>', 'SQLite file that keeps workflows across restarts', '.data/temporal.db')
    .option('--headless', 'no web UI')
    .option('--json', 'JSON log lines (the start-up line: docs/schemas/dev-server-started.schema.json)')
    .action(async (flags: DevServerFlags) => {
      const grpc = portFlag('--port', flags.port);
      const ui = portFlag('--ui-port', flags.uiPort);
      const address = `127.0.0.1:${grpc}`;
      if (await temporalAnswers(address)) throw usageError(`a Temporal server already answers on ${address}`);
      const dbFile = resolve(flags.db);
      const server = await startDevServer({
        port: grpc,
        uiPort: ui,
        dbFile,
        headless: Boolean(flags.headless),
      }).catch((err: Error) => {
        throw new CliError(EXIT.unreachable, err.message, { cause: err });
      });
      const interrupted = untilInterrupted();
      const log = flags.json ? await jsonLog() : undefined;
      if (log) {
        log.info(
          {
            address: server.address,
            namespace: server.namespace,
            ...(server.uiUrl ? { uiUrl: server.uiUrl } : {}),
            dbFile,
          },
          `Temporal dev server listening on ${server.address}`,
        );
      } else {
        out(
          ctx,
          `Temporal dev server at ${server.address} (namespace ${server.namespace}, data in ${dbFile})`,
        );
        if (server.uiUrl) out(ctx, `  web UI:   ${server.uiUrl}`);
        out(ctx, `  use it:   TEMPORAL_ADDRESS=${server.address}`);
        out(ctx, 'Ctrl-C stops it');
      }
      const exited = new Promise<'exited'>((r) => server.process.once('exit', () => r('exited')));
      const why = await Promise.race([interrupted.promise, exited]);
      interrupted.release();
      await server.stop();
      if (why === 'exited')
        throw new CliError(EXIT.unreachable, 'the Temporal dev server exited unexpectedly');
      if (log) log.info('dev server stopped');
      else out(ctx, 'dev server stopped');
    });
}
