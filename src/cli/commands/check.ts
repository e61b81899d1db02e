import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { WorkflowFailedError } from '@temporalio/client';
import type { checkConnectivity } from '../../workflows/check-connectivity';
import { out, printJson, type CliContext } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { withTemporal } from '../temporal';

function innermost(err: Error): Error {
  let e = err;
  while (e.cause instanceof Error) e = e.cause;
  return e;
}

export function registerCheck(program: Command, ctx: CliContext): void {
  program
    .command('check')
    .description(
      'prove the chain end to end: Temporal server, a worker on the task queue, KooPhone with its credentials',
    )
    .option('--timeout <seconds>', 'how long to wait for a worker', '60')
    .option('--json', 'print the result as JSON')
    .action(async (flags: { timeout: string; json?: boolean }) => {
      const seconds = Number(flags.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0)
        throw new CliError(EXIT.usage, `--timeout: expected seconds, got "${flags.timeout}"`);
      await withTemporal(ctx.env, async ({ client, settings }) => {
        const workflowId = `check-${new Date().toISOString().replace(/[:.]/g, '')}-${randomBytes(2).toString('hex')}`;
        try {
          const result = await client.workflow.execute<typeof checkConnectivity>('checkConnectivity', {
            taskQueue: settings.taskQueue,
            workflowId,
            workflowExecutionTimeout: `${seconds}s`,
          });
          if (flags.json)
            printJson(ctx, {
              ok: true,
              address: settings.connection.address,
              taskQueue: settings.taskQueue,
              ...result,
            });
          else {
            out(
              ctx,
              `ok: Temporal ${settings.connection.address} (namespace ${settings.namespace}) → worker on ${settings.taskQueue}`,
            );
            out(ctx, `    → KooPhone ${result.endpoint}: ${result.totalCount} instances visible`);
          }
        } catch (err) {
          if (!(err instanceof WorkflowFailedError)) throw err;
          const cause = err.cause;
          const why =
            cause?.name === 'TimeoutFailure'
              ? `no worker ran the check on task queue ${settings.taskQueue} within ${seconds}s (is \`koophone-reset worker\` running?)`
              : `the worker could not reach KooPhone: ${innermost(err).message}`;
          throw new CliError(EXIT.unreachable, why, { cause: err });
        }
      });
    });
}
