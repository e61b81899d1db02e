import type { Command } from 'commander';
import { describeCampaign, fetchCampaignStatus } from '../campaign-status';
import { checkCampaignStore, storeLine } from '../store-check';
import { out, printJson, type CliContext } from '../context';
import { exitCodeForCampaign, EXIT } from '../exit-codes';
import { followCampaign } from '../follow';
import { progressMode } from '../progress';
import { onInterrupt } from '../signals';
import { formatEnd, formatStatus } from '../summary';
import { terminatedView } from '../terminated-campaign';
import { withTemporal } from '../temporal';

export function registerWatch(program: Command, ctx: CliContext): void {
  program
    .command('watch')
    .description('follow a campaign to its end (bar on a terminal, lines otherwise, JSON lines with --json)')
    .argument('<id>', 'campaign id')
    .option('--json', 'one JSON status object per update')
    .option('--through-blocked', 'keep following a blocked campaign (default: exit 4 when it is blocked)')
    .action(async (id: string, flags: { json?: boolean; throughBlocked?: boolean }) => {
      ctx.exitCode = await withTemporal(ctx.env, async ({ client }) => {
        const stop = new AbortController();
        const release = onInterrupt(() => stop.abort());
        try {
          const final = await followCampaign(ctx, client, id, {
            mode: progressMode(ctx, Boolean(flags.json)),
            signal: stop.signal,
            untilBlocked: !flags.throughBlocked,
          });
          if (!final) {
            if (!flags.json) out(ctx, `stopped watching; campaign ${id} goes on`);
            return 130;
          }
          if (!flags.json) formatEnd(final).forEach((l) => out(ctx, l));
          return exitCodeForCampaign(final);
        } finally {
          release();
        }
      });
    });

  program
    .command('status')
    .description("a campaign's progress now, running or finished")
    .argument('<id>', 'campaign id')
    .option('--json', 'print the status object')
    .action(async (id: string, flags: { json?: boolean }) => {
      await withTemporal(ctx.env, async ({ client }) => {
        const { status } = await fetchCampaignStatus(client, id, terminatedView(ctx, client));
        const store = await checkCampaignStore(ctx.env, await describeCampaign(client, id), status);
        if (flags.json) printJson(ctx, { ...status, reportStore: store });
        else {
          formatStatus(status).forEach((l) => out(ctx, l));
          const stores = storeLine(store);
          if (stores) out(ctx, `  store        ${stores}`);
          if (store.problem) out(ctx, `  store        ${store.problem}`);
        }
      });
      ctx.exitCode = EXIT.ok;
    });
}
