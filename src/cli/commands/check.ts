import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { WorkflowFailedError } from '@temporalio/client';
import type { checkConnectivity } from '../../workflows/check-connectivity';
import { out, printJson, type CliContext } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { durationFlag } from '../flags';
import { withTemporal } from '../temporal';
import { workflowPollers } from '../task-queue-pollers';

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
      await withTemporal(ctx.env, async (session) => {
        const { client, settings } = session;
        const noWorker = `no worker ran the check on task queue ${settings.taskQueue}`;
        const startIt = '(is `koophone-reset worker` running?)';
        // None listed is none for certain: say so without leaving a workflow behind to time out.
        if ((await workflowPollers(session, settings.taskQueue)) === 0)
          throw new CliError(EXIT.unreachable, `${noWorker}: none polls it ${startIt}`);
        const workflowId = `check-${new Date().toISOString().replace(/[:.]/g, '')}-${randomBytes(2).toString('hex')}`;
        try {
          const answer = await client.workflow.execute<typeof checkConnectivity>('checkConnectivity', {
            taskQueue: settings.taskQueue,
            workflowId,
            workflowExecutionTimeout: timeoutMs,
          });
          // A worker of an earlier version answers without `ok` (it fails the workflow instead).
          if ('ok' in answer && !answer.ok)
            throw new CliError(EXIT.unreachable, `the worker could not reach KooPhone: ${answer.error}`);
          const result = answer as { totalCount: number; endpoint: string };
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
              ? `${noWorker} within ${flags.timeout} ${startIt}`
              : `the worker could not reach KooPhone: ${innermost(err).message}`;
          throw new CliError(EXIT.unreachable, why, { cause: err });
        }
      });
    });
}
