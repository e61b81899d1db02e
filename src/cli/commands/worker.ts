import type { Command } from 'commander';
import { loadWorkerConfig } from '../../worker-config';
import { createCampaignStore } from '../../report';
import type { CliContext } from '../context';
import { usageError } from '../exit-codes';
import { jsonLog } from '../json-log';
import { connectTemporal } from '../temporal';

/** Configuration problems surface as one line before the worker starts, not as a crash later. */
function checkWorkerConfig(env: NodeJS.ProcessEnv): void {
  try {
    loadWorkerConfig(env);
    createCampaignStore(env);
  } catch (err) {
    throw usageError((err as Error).message.replace(/:?\s*\n\s*-?\s*/g, ': ').replace(/: $/, ''));
  }
}

export function registerWorker(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description(
      'run a worker: hosts campaigns and calls KooPhone (config from the environment); Ctrl-C stops it',
    )
    .option(
      '--json',
      'every log line JSON, on a terminal too (the start-up line: docs/schemas/worker-started.schema.json)',
    )
    .action(async (flags: { json?: boolean }) => {
      checkWorkerConfig(ctx.env);
      // Fail fast with exit 3 when the server is down, instead of the worker's long retries.
      const probe = await connectTemporal(ctx.env);
      await probe.connection.close();
      // Loaded on use: the worker SDK would slow every other command's start.
      if (flags.json) await jsonLog();
      const { runWorker } = await import('../../worker');
      await runWorker(ctx.env);
    });
}
