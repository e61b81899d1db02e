import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { WorkflowFailedError } from '@temporalio/client';
import type { checkConnectivity } from '../../workflows/check-connectivity';
import { out, printJson, type CliContext } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { durationFlag } from '../flags';
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
    .option('--timeout <dur>', 'how long to wait for a worker (e.g. 60s, 5m)', '60s')
    .option('--json', 'print the result as JSON')
    .action(async (flags: { timeout: string; json?: boolean }) => {
      const timeoutMs = durationFlag('--timeout', flags.timeout, { min: 1000, max: 3_600_000 });
      await withTemporal(ctx.env, async ({ client, settings }) => {
        const workflowId = `check-${new Date().toISOString().replace(/[:.]/g, '')}-${randomBytes(2).toString('hex')}`;
        try {
          const result = await client.workflow.execute<typeof checkConnectivity>('checkConnectivity', {
            taskQueue: settings.taskQueue,
            workflowId,
            workflowExecutionTimeout: timeoutMs,
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
              ? `no worker ran the check on task queue ${settings.taskQueue} within ${flags.timeout} (is \`koophone-reset worker\` running?)`
              : `the worker could not reach KooPhone: ${innermost(err).message}`;
          throw new CliError(EXIT.unreachable, why, { cause: err });
        }
      });
    });
}
