import type { Command } from 'commander';
import { addCampaignFlags, parseCampaignFlags, type CampaignFlags } from '../campaign-options';
import { out, printJson, type CliContext } from '../context';
import { exitCodeForCampaign, EXIT } from '../exit-codes';
import { countFleet } from '../fleet-count';
import { followCampaign } from '../follow';
import { addSourceFlags, resolveSource, type SourceFlags } from '../id-source';
import { formatPlan, planCampaign } from '../plan';
import { progressMode } from '../progress';
import { onInterrupt } from '../signals';
import { newCampaignId, startCampaign } from '../start-campaign';
import { formatSummary } from '../summary';
import { withTemporal } from '../temporal';

export interface StartFlags extends CampaignFlags, Omit<SourceFlags, 'ids'> {
  campaignId?: string;
  dryRun?: boolean;
  wait?: boolean;
  json?: boolean;
}

export function registerStart(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('start')
    .description('validate, plan and start a reset campaign')
    .argument('[ids...]', 'instance ids (up to 5000; more through --ids-file)');
  addSourceFlags(cmd).option('--campaign-id <id>', 'campaign id (default reset-YYYYMMDD-HHMMSS-xxxx)');
  addCampaignFlags(cmd)
    .option('--dry-run', 'validate and print the plan, start nothing')
    .option('--wait', 'follow the campaign to its end; the exit code tells how it ended')
    .option('--json', 'print one JSON object')
    .action(async (ids: string[], flags: StartFlags) => {
      ctx.exitCode = await runStart(ctx, ids, flags);
    });
}

/** Validate, plan and start: the one start path (`start` and `rerun`). */
export async function runStart(ctx: CliContext, ids: string[], flags: StartFlags): Promise<number> {
  // Everything the operator typed is checked before anything is read, connected or started.
  const campaignId = flags.campaignId ?? newCampaignId();
  const options = parseCampaignFlags(flags, campaignId);
  const resolved = await resolveSource({ ...flags, ids }, { env: ctx.env, stdin: ctx.stdin });
  if (resolved.source.kind === 'fleet') resolved.instances = await countFleet(ctx.env, resolved.source);
  const plan = planCampaign(campaignId, options, resolved);

  if (flags.dryRun) {
    if (flags.json) printJson(ctx, { dryRun: true, plan });
    else {
      formatPlan(plan).forEach((l) => out(ctx, l));
      out(ctx, 'dry run: nothing started');
    }
    return EXIT.ok;
  }

  return withTemporal(ctx.env, async (session) => {
    if (!flags.json) formatPlan(plan).forEach((l) => out(ctx, l));
    const handle = await startCampaign(ctx, session, campaignId, options, resolved);
    const taskQueue = session.settings.taskQueue;
    if (!flags.wait) {
      if (flags.json) printJson(ctx, { campaignId, runId: handle.firstExecutionRunId, taskQueue, plan });
      else out(ctx, `started on task queue ${taskQueue}; follow it with: koophone-reset watch ${campaignId}`);
      return EXIT.ok;
    }
    if (!flags.json)
      out(ctx, `started on task queue ${taskQueue}; following it (Ctrl-C stops watching, not the campaign)`);
    const stopWatching = new AbortController();
    const release = onInterrupt(() => stopWatching.abort());
    try {
      const mode = flags.json ? 'silent' : progressMode(ctx, false);
      const final = await followCampaign(ctx, session.client, campaignId, {
        mode,
        signal: stopWatching.signal,
      });
      if (!final) {
        out(ctx, `stopped watching; campaign ${campaignId} goes on (koophone-reset watch ${campaignId})`);
        return 130;
      }
      if (flags.json)
        printJson(ctx, { campaignId, runId: handle.firstExecutionRunId, taskQueue, plan, status: final });
      else formatSummary(final).forEach((l) => out(ctx, l));
      return exitCodeForCampaign(final);
    } finally {
      release();
    }
  });
}
