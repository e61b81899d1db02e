// `rerun ID`: a new campaign over the phones of a finished one that were not reset and can still
// be (src/campaign/rerun-selection.ts), or exactly those that ended as `--outcome` names (Ansible's
// `--limit @retry`, SSM's re-run of failed targets). The report is streamed into an ids file (a
// million lines never sit in memory), and the new campaign goes through the same validate → plan
// → start path as `start`, with the old campaign's options unless a flag overrides one.
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Command } from 'commander';
import { OUTCOMES, type Outcome } from '../../campaign/outcome';
import type { CampaignOptions } from '../../campaign/options';
import { LeftOut, rerunTakes } from '../../campaign/rerun-selection';
import { closeCampaignStore, createCampaignStore, reportRoot } from '../../report';
import { addCampaignFlags, flagsOf, givenCampaignFlags, type CampaignFlags } from '../campaign-options';
import { describeCampaign } from '../campaign-status';
import { note, out, printJson, type CliContext } from '../context';
import { EXIT, usageError } from '../exit-codes';
import { campaignExists, newCampaignId } from '../start-campaign';
import { withTemporal } from '../temporal';
import { runStart } from './start';
import { settleTerminatedReport } from '../terminated-campaign';

interface RerunFlags extends CampaignFlags {
  outcome?: string;
  campaignId?: string;
  dryRun?: boolean;
  wait?: boolean;
  json?: boolean;
}

function parseOutcomes(raw: string): Set<Outcome> {
  const words = raw
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean);
  const wrong = words.filter((w) => !(OUTCOMES as readonly string[]).includes(w));
  if (words.length === 0 || wrong.length > 0) {
    throw usageError(
      `--outcome: ${wrong.length ? `unknown outcome "${wrong.join(', ')}"` : 'no outcome given'}; use a comma-separated list of ${OUTCOMES.join(', ')}`,
    );
  }
  return new Set(words as Outcome[]);
}

/** The options the campaign was started with: its first run's input. */
async function originalOptions(ctx: CliContext, id: string): Promise<CampaignOptions> {
  return withTemporal(ctx.env, async ({ client }) => {
    const d = await describeCampaign(client, id);
    if (d.status.name === 'RUNNING')
      throw usageError(`campaign ${id} is still running; rerun it once it has ended (or cancel it)`);
    const firstRunId = d.raw.workflowExecutionInfo?.firstRunId || d.runId;
    const history = await client.workflow.getHandle(id, firstRunId).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const input = payload
      ? client.options.loadedDataConverter.payloadConverter.fromPayload(payload)
      : undefined;
    const options = (input as { options?: CampaignOptions } | undefined)?.options;
    if (!options) throw usageError(`campaign ${id} has no recorded options to rerun with`);
    return options;
  });
}

/**
 * Streams the report lines the rerun takes into REPORT_ROOT/inputs/<newId>.ids; returns how many,
 * by outcome, and what a default rerun left out.
 */
async function writeIds(
  ctx: CliContext,
  id: string,
  outcomes: Set<Outcome> | undefined,
  path: string,
): Promise<{ count: number; taken: Map<Outcome, number>; leftOut: LeftOut }> {
  const store = createCampaignStore(ctx.env);
  await mkdir(join(path, '..'), { recursive: true });
  const file = createWriteStream(path, { flags: 'wx' });
  try {
    await once(file, 'open');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw usageError(
        `${path} already exists (the input of an earlier campaign); choose another --campaign-id`,
      );
    throw usageError(`cannot write ${path}: ${(err as Error).message}`);
  }
  let count = 0;
  const taken = new Map<Outcome, number>();
  const leftOut = new LeftOut();
  try {
    // A terminated campaign's report is rebuilt first: its unfinished phones get their lines.
    await settleTerminatedReport(ctx, store, id);
    for await (const line of store.readReport(id)) {
      if (!rerunTakes(line, outcomes)) {
        if (!outcomes) leftOut.add(line);
        continue;
      }
      count += 1;
      taken.set(line.outcome, (taken.get(line.outcome) ?? 0) + 1);
      if (!file.write(`${line.instance_id}\n`)) await once(file, 'drain');
    }
  } finally {
    file.end();
    await once(file, 'finish');
    await closeCampaignStore(store);
  }
  return { count, taken, leftOut };
}

const DEFAULT_HELP =
  'default: every phone not reset that can still be — failed, timed_out, missing_job, canceled, ' +
  'rejected but for good, skipped in use/backing up/restoring; frozen, not-in-fleet and ' +
  'no-permission phones are listed and left out';

async function campaignStarted(ctx: CliContext, campaignId: string): Promise<boolean> {
  return withTemporal(ctx.env, (session) => campaignExists(session, campaignId)).catch(() => true);
}

export function registerRerun(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('rerun')
    .description('a new campaign over the phones of a finished campaign that ended failed, timed out, …')
    .argument('<id>', 'the finished campaign')
    .option(
      '--outcome <list>',
      `rerun exactly the phones that ended so, comma-separated (${OUTCOMES.join(', ')}); ${DEFAULT_HELP}`,
    )
    .option('--campaign-id <id>', 'id of the new campaign (default reset-YYYYMMDD-HHMMSS-xxxx)');
  addCampaignFlags(cmd, 'keep')
    .option('--dry-run', 'validate, print the plan and check what start checks (overlap), start nothing')
    .option('--wait', 'follow the new campaign to its end; the exit code tells how it ended')
    .option('--json', 'print one JSON object')
    .action(async (id: string, flags: RerunFlags) => {
      const outcomes = flags.outcome === undefined ? undefined : parseOutcomes(flags.outcome);
      // Flags typed on this command override the old campaign's options; defaults do not.
      const typed = givenCampaignFlags(flags, (key) => cmd.getOptionValueSource(key) === 'cli');
      const campaignId = flags.campaignId ?? newCampaignId();
      const old = await originalOptions(ctx, id);
      const path = join(reportRoot(ctx.env), 'inputs', `${campaignId}.ids`);
      const { count, taken, leftOut } = await writeIds(ctx, id, outcomes, path);
      // Phones a default rerun leaves out are named (on stderr, --json too), with how to take them anyway.
      for (const line of leftOut.lines()) note(ctx, `left out: ${line}`);
      if (leftOut.count > 0)
        note(ctx, `(name their outcome to rerun them too, e.g. koophone-reset rerun ${id} --outcome rejected,skipped)`);
      if (count === 0) {
        await rm(path, { force: true });
        if (flags.json) printJson(ctx, { campaignId: null, rerunOf: id, instances: 0 });
        else {
          const what = outcomes ? `ended ${[...outcomes].join(', ')}` : 'can be reset again';
          out(ctx, `no instance of ${id} ${what}: nothing to rerun`);
        }
        ctx.exitCode = EXIT.ok;
        return;
      }
      if (!flags.json) {
        const by = [...taken].map(([o, n]) => `${o} ${n}`).join(', ');
        note(ctx, `rerun of ${id}: ${count} instances (${by}) in ${path}`);
      }
      try {
        ctx.exitCode = await runStart(ctx, [], {
          ...flagsOf(old),
          ...typed,
          idsFile: path,
          campaignId,
          dryRun: flags.dryRun,
          wait: flags.wait,
          json: flags.json,
        });
      } catch (err) {
        // Refused before starting: the ids file would only be in the way of the next try. Once
        // started, the workers read it: it stays.
        if (!(await campaignStarted(ctx, campaignId))) await rm(path, { force: true });
        throw err;
      }
      if (flags.dryRun) await rm(path, { force: true });
    });
}
