import type { Command } from 'commander';
import { addCampaignFlags, parseCampaignFlags, type CampaignFlags } from '../campaign-options';
import { keepNotifyFlag } from '../notify-target';
import { out, printJson, type CliContext } from '../context';
import { exitCodeForCampaign, EXIT, usageError } from '../exit-codes';
import { confirmStart, needsConfirmation } from '../confirm';
import { followCampaign } from '../follow';
import { addSourceFlags, resolveSource, type SourceFlags } from '../id-source';
import { formatPlan, planCampaign, planProblem } from '../plan';
import { previewPreflight } from '../preflight';
import { progressMode } from '../progress';
import { campaignSafety, checkStartSafety, listSelectedFleet, type SafetyFlags } from '../safety-checks';
import { onInterrupt } from '../signals';
import { alreadyExists, campaignExists, newCampaignId, startCampaign } from '../start-campaign';
import { formatEnd } from '../summary';
import { withTemporal } from '../temporal';

export interface StartFlags extends CampaignFlags, Omit<SourceFlags, 'ids'>, SafetyFlags {
  campaignId?: string;
  yes?: boolean;
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
    .option('--dry-run', 'validate, print the plan and check what start checks (overlap), start nothing')
    .option('--yes', `confirm a start over the whole fleet or more than 10,000 phones without asking`)
    .option(
      '--skip-overlap',
      'start even if running campaigns hold some phones: those are skipped (LEASED_BY)',
    )
    .option(
      '--archive-old',
      'move aside the stored data of an earlier campaign with this id (kept) and start anew',
    )
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
  await listSelectedFleet(resolved, ctx.env, options);
  await previewPreflight(ctx, resolved, options);
  const plan = planCampaign(campaignId, options, resolved);
  const problem = planProblem(plan);
  const safety = campaignSafety(resolved, flags);

  if (flags.dryRun) {
    // The plan is shown even when it is refused: it says which figure to change.
    if (flags.json) printJson(ctx, { dryRun: true, plan });
    else formatPlan(plan).forEach((l) => out(ctx, l));
    if (problem) throw usageError(problem);
    // What the real start would refuse, refused here with its words and exit code: the id taken,
    // phones running campaigns hold. Read only, like the start's own check.
    await withTemporal(ctx.env, async (session) => {
      if (await campaignExists(session, campaignId)) throw alreadyExists(campaignId);
      await checkStartSafety(ctx, session, campaignId, resolved, flags);
    });
    if (!flags.json) out(ctx, 'dry run: nothing started');
    return EXIT.ok;
  }
  if (problem) throw usageError(problem);

  return withTemporal(ctx.env, async (session) => {
    if (await campaignExists(session, campaignId)) throw alreadyExists(campaignId);
    await checkStartSafety(ctx, session, campaignId, resolved, flags);
    if (!flags.json) formatPlan(plan).forEach((l) => out(ctx, l));
    if (needsConfirmation(resolved.source.kind === 'fleet', resolved.instances)) {
      const what = `${(resolved.instances ?? 0).toLocaleString('en-US')} phones of ${resolved.describe}`;
      await confirmStart(ctx, what, flags.yes);
    }
    await keepNotifyFlag(flags.notify, ctx.env);
    const handle = await startCampaign(ctx, session, campaignId, options, resolved, safety);
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
        untilBlocked: true,
      });
      if (!final) {
        out(ctx, `stopped watching; campaign ${campaignId} goes on (koophone-reset watch ${campaignId})`);
        return 130;
      }
      if (flags.json)
        printJson(ctx, { campaignId, runId: handle.firstExecutionRunId, taskQueue, plan, status: final });
      else formatEnd(final).forEach((l) => out(ctx, l));
      return exitCodeForCampaign(final);
    } finally {
      release();
    }
  });
}
