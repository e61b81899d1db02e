import type { Command } from 'commander';
import type { CampaignStatus } from '../../campaign/status';
import { cancelUpdate, pauseUpdate, resumeUpdate } from '../../workflows/definitions';
import { describeCampaign, finishedOf } from '../campaign-status';
import { out, printJson, type CliContext } from '../context';
import { usageError } from '../exit-codes';
import { withTemporal } from '../temporal';

/** An update waits for a worker to run it; past this, say that none is there. */
const UPDATE_TIMEOUT_MS = 30_000;

type Action = 'pause' | 'resume' | 'cancel';

async function control(
  ctx: CliContext,
  action: Action,
  id: string,
  flags: { reason?: string; json?: boolean },
): Promise<void> {
  await withTemporal(ctx.env, async ({ client }) => {
    const d = await describeCampaign(client, id);
    if (d.status.name !== 'RUNNING')
      throw usageError(`campaign ${id} has already ended (${d.status.name.toLowerCase()})`);
    const handle = client.workflow.getHandle(id);
    // The workflow's validators refuse what makes no sense now ("already paused"): exit 2.
    const status: CampaignStatus = await client.withDeadline(Date.now() + UPDATE_TIMEOUT_MS, () => {
      if (action === 'pause') return handle.executeUpdate(pauseUpdate);
      if (action === 'resume') return handle.executeUpdate(resumeUpdate);
      return handle.executeUpdate(cancelUpdate, { args: [flags.reason ?? 'canceled by operator'] });
    });
    if (flags.json) printJson(ctx, status);
    else {
      const why = flags.reason && action !== 'cancel' ? ` (reason: ${flags.reason})` : '';
      out(ctx, `campaign ${id}: ${status.state}, ${finishedOf(status)}/${status.total} finished${why}`);
    }
  });
}

export function registerControl(program: Command, ctx: CliContext): void {
  program
    .command('pause')
    .description('stop sending new batches; batches in flight finish')
    .argument('<id>', 'campaign id')
    .option('--reason <text>', 'why, echoed back (only cancel records a reason in the campaign)')
    .option('--json', 'print the new status object')
    .action((id: string, flags: { reason?: string; json?: boolean }) => control(ctx, 'pause', id, flags));
  program
    .command('resume')
    .description('continue a paused campaign')
    .argument('<id>', 'campaign id')
    .option('--reason <text>', 'why, echoed back (only cancel records a reason in the campaign)')
    .option('--json', 'print the new status object')
    .action((id: string, flags: { reason?: string; json?: boolean }) => control(ctx, 'resume', id, flags));
  program
    .command('cancel')
    .description('stop the campaign: batches in flight finish, the rest is reported canceled')
    .argument('<id>', 'campaign id')
    .option('--reason <text>', 'why; recorded in the report for every instance not reset')
    .option('--json', 'print the new status object')
    .action((id: string, flags: { reason?: string; json?: boolean }) => control(ctx, 'cancel', id, flags));
}
