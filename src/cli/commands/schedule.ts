import { campaignStaticDetails, campaignSummaryLine } from '../../campaign/describe';
import { setTimeout as sleep } from 'node:timers/promises';
import { Option, type Command } from 'commander';
import type { ScheduleDescription, ScheduleOverlapPolicy } from '@temporalio/client';
import { CAMPAIGN_ID_PATTERN } from '../../campaign/campaign-id';
import { withOptionDefaults, type CampaignOptions, type IdSource } from '../../campaign/options';
import type { CampaignSafety } from '../../campaign/safety';
import type { resetCampaign } from '../../workflows/reset-campaign';
import {
  addCampaignFlags,
  CAMPAIGN_FLAGS,
  flagsOf,
  givenCampaignFlags,
  parseCampaignFlags,
  type CampaignFlags,
} from '../campaign-options';
import { CAMPAIGN_WORKFLOW } from '../../campaign/campaign-workflow';
import { out, printJson, type CliContext } from '../context';
import { checkCronFlag } from '../flags';
import { alignedTable } from '../table';
import { usageError } from '../exit-codes';
import { confirmStart, needsConfirmation } from '../confirm';
import { addSourceFlags, resolveSource, spillIds, type ResolvedSource, type SourceFlags } from '../id-source';
import { listSelectedFleet } from '../safety-checks';
import { keepNotifyFlag } from '../notify-target';
import { withTemporal, type TemporalSession } from '../temporal';
import { zonedTime } from '../zoned-time';

const OVERLAP: Record<string, ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
  'allow-all': 'ALLOW_ALL',
};
// Temporal appends "-<ISO time>" (21 characters) to the schedule's workflow id for every run.
const MAX_NAME = 100;

interface CreateFlags extends CampaignFlags, Omit<SourceFlags, 'ids'> {
  cron: string;
  yes?: boolean;
  skipOverlap?: boolean;
  timezone: string;
  overlap: string;
  note?: string;
  paused?: boolean;
  json?: boolean;
}

function checkName(name: string): void {
  if (!CAMPAIGN_ID_PATTERN.test(name) || name.length > MAX_NAME) {
    throw usageError(
      `schedule name "${name}" must be 1-${MAX_NAME} characters of letters, digits, ".", "_", ":" or "-"`,
    );
  }
}

/**
 * What the schedule remembers about itself for `describe`: the server keeps cron only as
 * calendars. A schedule's own memo cannot be updated, so it also rides on the action's memo
 * (`schedule update` rewrites that); schedules made before read from the schedule memo.
 */
interface ScheduleMemo {
  cron: string;
  timezone: string;
  createdBy: 'koophone-reset';
  /**
   * The operator's note ("nightly maintenance reset, CHG-1234"). Temporal's own schedule note
   * (state.note) is what the last pause or unpause said, so the operator's note lives here.
   */
  note?: string;
}

function memoOf(d: ScheduleDescription): Partial<ScheduleMemo> {
  const onAction = (d.action.memo as { schedule?: ScheduleMemo } | undefined)?.schedule;
  return onAction ?? ((d.memo ?? {}) as Partial<ScheduleMemo>);
}

/** What this CLI writes as Temporal's note when the operator gave no reason. */
const DEFAULT_STATE_NOTES = new Set(['paused with koophone-reset', 'unpaused with koophone-reset']);

/**
 * The operator's note. Schedules made before it moved to the memo kept it only in Temporal's
 * note, which a pause overwrote; there it is the note unless this CLI wrote it on a pause.
 */
function operatorNote(d: ScheduleDescription): string | undefined {
  const memo = memoOf(d);
  if ('note' in memo) return memo.note || undefined;
  const state = d.state.note;
  return state && !DEFAULT_STATE_NOTES.has(state) && !d.state.paused ? state : undefined;
}

/** Why the schedule is paused (Temporal's note), when it is and a reason was given. */
function pauseReason(d: ScheduleDescription): string | undefined {
  if (!d.state.paused) return undefined;
  const state = d.state.note;
  if (!state || DEFAULT_STATE_NOTES.has(state) || state === operatorNote(d)) return undefined;
  return state;
}

/** What a schedule's runs start with: the source, options and safety of each new campaign. */
function startAction(name: string, taskQueue: string, memo: ScheduleMemo, input: CampaignInput) {
  return {
    type: 'startWorkflow' as const,
    workflowType: CAMPAIGN_WORKFLOW,
    // The run's time is appended, so every run is a fresh campaign with its own report.
    workflowId: name,
    taskQueue,
    args: [input] as [CampaignInput],
    memo: { schedule: memo },
    staticSummary: campaignSummaryLine(input.options, input.source),
    staticDetails: campaignStaticDetails(input.options, input.source),
  };
}

/**
 * A schedule approves a selector (a file, the fleet or a pool), read afresh by every run: its
 * runs are not pinned to today's set. What it would reset today is confirmed here, once.
 */
async function approvedSelector(
  ctx: CliContext,
  ids: string[],
  flags: Omit<SourceFlags, 'ids'> & { yes?: boolean },
  cron: string,
): Promise<ResolvedSource> {
  const resolved = await resolveSource({ ...flags, ids }, { env: ctx.env, stdin: ctx.stdin });
  await listSelectedFleet(resolved, ctx.env);
  if (needsConfirmation(resolved.source.kind === 'fleet', resolved.instances)) {
    const what = `${(resolved.instances ?? 0).toLocaleString('en-US')} phones of ${resolved.describe} (today), on every run of "${cron}"`;
    await confirmStart(ctx, what, flags.yes);
  }
  return resolved;
}

async function create(ctx: CliContext, name: string, ids: string[], flags: CreateFlags): Promise<void> {
  checkName(name);
  checkCronFlag('--cron', flags.cron, flags.timezone, { forSchedule: true });
  const options: CampaignOptions = parseCampaignFlags(flags);
  const resolved = await approvedSelector(ctx, ids, flags, flags.cron.trim());
  const safety: CampaignSafety = flags.skipOverlap ? { skipOverlap: true } : {};
  await withTemporal(ctx.env, async ({ client, settings }) => {
    const source: IdSource = await spillIds(resolved, ctx.env, `schedule-${name}`);
    await keepNotifyFlag(flags.notify, ctx.env);
    const memo: ScheduleMemo = {
      cron: flags.cron.trim(),
      timezone: flags.timezone,
      createdBy: 'koophone-reset',
      ...(flags.note ? { note: flags.note } : {}),
    };
    await client.schedule.create<typeof resetCampaign>({
      scheduleId: name,
      spec: { cronExpressions: [flags.cron.trim()], timezone: flags.timezone },
      action: startAction(name, settings.taskQueue, memo, { options, source, safety }),
      policies: { overlap: OVERLAP[flags.overlap], catchupWindow: '10 minutes' },
      state: { paused: Boolean(flags.paused), ...(flags.note ? { note: flags.note } : {}) },
      memo: memo as unknown as Record<string, unknown>,
    });
    const d = await client.schedule.getHandle(name).describe();
    if (flags.json) printJson(ctx, summarize(d));
    else {
      out(
        ctx,
        `schedule ${name} created: "${memo.cron}" in ${memo.timezone}, overlap ${flags.overlap}, ids from ${resolved.describe}`,
      );
      const next = d.info.nextActionTimes[0];
      if (next) out(ctx, `next run ${zonedTime(next, memo.timezone)}`);
    }
  });
}

type CampaignInput = Parameters<typeof resetCampaign>[0];

function inputOf(d: ScheduleDescription): Partial<CampaignInput> {
  return (d.action.args?.[0] ?? {}) as Partial<CampaignInput>;
}

function summarize(d: ScheduleDescription) {
  const memo = memoOf(d);
  const input = inputOf(d);
  return {
    name: d.scheduleId,
    cron: memo.cron,
    timezone: memo.timezone ?? d.spec.timezone,
    paused: d.state.paused,
    note: operatorNote(d),
    pauseReason: pauseReason(d),
    overlap: d.policies.overlap,
    taskQueue: d.action.taskQueue,
    source: input.source,
    options: input.options,
    nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
    recentCampaigns: d.info.recentActions.map((a) => ({
      campaignId: a.action.workflow.workflowId,
      takenAt: a.takenAt.toISOString(),
    })),
    runningCampaigns: d.info.runningActions.map((a) => a.workflow.workflowId),
    runs: d.info.numActionsTaken,
    skippedOverlapping: d.info.numActionsSkippedOverlap,
  };
}

function sourceText(source: IdSource | undefined): string {
  if (!source) return '?';
  if (source.kind === 'inline') return `${source.ids.length} listed ids`;
  if (source.kind === 'file') return `file ${source.path}`;
  const f = [
    source.namePrefix && `name prefix ${source.namePrefix}`,
    source.poolTag,
    source.poolName && `pool ${source.poolName}`,
  ];
  return `the fleet${f.some(Boolean) ? ` (${f.filter(Boolean).join(', ')})` : ''}`;
}

async function campaignSchedule(session: TemporalSession, name: string): Promise<ScheduleDescription> {
  const d = await session.client.schedule.getHandle(name).describe();
  if (d.action.workflowType !== CAMPAIGN_WORKFLOW)
    throw usageError(`schedule ${name} does not start reset campaigns`);
  return d;
}

/** Every campaign option of the schedule's runs, as the flags that give them (window included). */
function optionLines(options: CampaignOptions): string[] {
  return Object.entries(flagsOf(options)).flatMap(([name, value]) => {
    const flag = name === 'window' ? '--window' : CAMPAIGN_FLAGS.find((f) => f.name === name)!.flag;
    const values = Array.isArray(value) ? value : [value];
    return values.map((v) => (v === 'true' ? flag : `${flag} ${/\s/.test(v) ? `"${v}"` : v}`));
  });
}

async function describe(ctx: CliContext, name: string, json: boolean): Promise<void> {
  await withTemporal(ctx.env, async (session) => {
    const d = await campaignSchedule(session, name);
    const s = summarize(d);
    if (json) return printJson(ctx, s);
    const timezone = s.timezone ?? 'UTC';
    const paused = s.paused ? ` (paused${s.pauseReason ? `: ${s.pauseReason}` : ''})` : '';
    out(ctx, `Schedule ${s.name}${paused}`);
    if (s.note) out(ctx, `  note         ${s.note}`);
    out(ctx, `  cron         ${s.cron ?? '?'} in ${timezone}, overlap ${s.overlap}`);
    out(ctx, `  instances    ${sourceText(s.source)}`);
    const options = s.options ? optionLines(withOptionDefaults(s.options)) : [];
    options.forEach((line, i) => out(ctx, `  ${i === 0 ? 'options' : ''.padEnd(7)}      ${line}`));
    const next = d.info.nextActionTimes.slice(0, 3).map((t) => zonedTime(t, timezone));
    out(ctx, `  next runs    ${next.join(', ') || '-'}`);
    out(ctx, `  runs         ${s.runs} (${s.skippedOverlapping} skipped because one was still running)`);
    for (const r of d.info.recentActions)
      out(ctx, `  campaign     ${r.action.workflow.workflowId} (${zonedTime(r.takenAt, timezone)})`);
  });
}

async function list(ctx: CliContext, json: boolean): Promise<void> {
  await withTemporal(ctx.env, async ({ client }) => {
    const rows = [];
    for await (const listed of client.schedule.list()) {
      if (listed.action?.workflowType !== CAMPAIGN_WORKFLOW) continue;
      // The listing lacks the action's memo, where an updated cron is: describe each (few).
      const s = await client.schedule.getHandle(listed.scheduleId).describe();
      const memo = memoOf(s);
      const last = s.info.recentActions[s.info.recentActions.length - 1];
      rows.push({
        name: s.scheduleId,
        cron: memo.cron,
        timezone: memo.timezone ?? s.spec.timezone,
        paused: s.state.paused,
        note: operatorNote(s),
        pauseReason: pauseReason(s),
        nextRun: s.info.nextActionTimes[0]?.toISOString(),
        lastCampaign: last?.action.workflow.workflowId,
      });
    }
    rows.sort((a, b) => a.name.localeCompare(b.name));
    if (json) return printJson(ctx, rows);
    if (rows.length === 0) return out(ctx, 'no schedules');
    alignedTable(
      ['SCHEDULE', 'CRON', 'TIMEZONE', 'STATE', 'NEXT RUN', 'LAST CAMPAIGN', 'NOTE'],
      rows.map((r) => [
        r.name,
        r.cron ?? '?',
        r.timezone ?? 'UTC',
        r.paused ? `paused${r.pauseReason ? ` (${r.pauseReason})` : ''}` : 'active',
        // On the schedule's own clock, UTC beside: "03:00" of a Shanghai schedule is 19:00 UTC.
        r.nextRun ? zonedTime(new Date(r.nextRun), r.timezone ?? 'UTC', false) : '-',
        r.lastCampaign ?? '-',
        r.note ?? '',
      ]),
    ).forEach((l) => out(ctx, l));
  });
}

async function trigger(ctx: CliContext, name: string, json: boolean): Promise<void> {
  await withTemporal(ctx.env, async (session) => {
    const before = await campaignSchedule(session, name);
    const handle = session.client.schedule.getHandle(name);
    // Run now even when a run is still going: the operator asked for it explicitly.
    await handle.trigger('ALLOW_ALL');
    let campaignId: string | undefined;
    for (let i = 0; i < 50 && !campaignId; i++) {
      const d = await handle.describe();
      if (d.info.numActionsTaken > before.info.numActionsTaken) {
        campaignId = d.info.recentActions[d.info.recentActions.length - 1]?.action.workflow.workflowId;
      } else await sleep(200);
    }
    if (json) printJson(ctx, { schedule: name, triggered: true, campaignId: campaignId ?? null });
    else if (campaignId)
      out(ctx, `schedule ${name} triggered: campaign ${campaignId} (koophone-reset watch ${campaignId})`);
    else out(ctx, `schedule ${name} triggered; the campaign appears in koophone-reset list shortly`);
  });
}

interface UpdateFlags extends CampaignFlags, Omit<SourceFlags, 'ids'> {
  cron?: string;
  timezone?: string;
  overlap?: string;
  note?: string;
  yes?: boolean;
  skipOverlap?: boolean;
  json?: boolean;
}

const SOURCE_FLAGS = ['idsFile', 'all', 'namePrefix', 'poolTag', 'poolName'] as const;

/**
 * Changes a schedule in place: only what is given changes (cron, time zone, overlap, note,
 * campaign options, the phones), runs already started go on as they were. A new selector is
 * confirmed as `schedule create` confirms one; options are validated by the same schema.
 */
async function update(
  ctx: CliContext,
  name: string,
  ids: string[],
  flags: UpdateFlags,
  typed: (key: string) => boolean,
): Promise<void> {
  const campaignFlagsTyped = givenCampaignFlags(flags, typed);
  const newSelector = ids.length > 0 || SOURCE_FLAGS.some((k) => flags[k] !== undefined);
  const changes =
    Object.keys(campaignFlagsTyped).length > 0 ||
    newSelector ||
    ['cron', 'timezone', 'overlap', 'note', 'skipOverlap'].some((k) => typed(k));
  if (!changes)
    throw usageError(
      'schedule update: nothing to change; give --cron, --timezone, --overlap, --note, campaign options or the phones',
    );
  await withTemporal(ctx.env, async (session) => {
    const before = await campaignSchedule(session, name);
    const old = inputOf(before);
    const memo = memoOf(before);
    const cron = flags.cron?.trim() ?? memo.cron;
    const timezone = flags.timezone ?? memo.timezone ?? before.spec.timezone ?? 'UTC';
    if (!cron) throw usageError(`schedule ${name} has no recorded cron expression; give --cron`);
    checkCronFlag('--cron', cron, timezone, { forSchedule: true });
    if (!old.options || !old.source)
      throw usageError(`schedule ${name} has no recorded campaign input; delete and create it again`);
    const options = Object.keys(campaignFlagsTyped).length
      ? parseCampaignFlags({ ...flagsOf(old.options), ...campaignFlagsTyped })
      : old.options;
    await keepNotifyFlag(campaignFlagsTyped.notify, ctx.env);
    let source = old.source;
    let describeNew: string | undefined;
    if (newSelector) {
      const resolved = await approvedSelector(ctx, ids, flags, cron);
      source = await spillIds(resolved, ctx.env, `schedule-${name}-${Date.now()}`);
      describeNew = resolved.describe;
    }
    const safety: CampaignSafety = typed('skipOverlap')
      ? flags.skipOverlap
        ? { skipOverlap: true }
        : {}
      : (old.safety ?? {});
    const note = flags.note ?? operatorNote(before);
    const newMemo: ScheduleMemo = { cron, timezone, createdBy: 'koophone-reset', ...(note ? { note } : {}) };
    const handle = session.client.schedule.getHandle(name);
    await handle.update((prev) => ({
      ...prev,
      spec: { cronExpressions: [cron], timezone },
      action: startAction(name, prev.action.taskQueue, newMemo, { options, source, safety }),
      policies: { ...prev.policies, ...(flags.overlap ? { overlap: OVERLAP[flags.overlap] } : {}) },
      // Temporal's note of a paused schedule says why it is paused: a new note leaves it be.
      state: {
        ...prev.state,
        ...(flags.note !== undefined && !prev.state.paused ? { note: flags.note } : {}),
      },
    }));
    const d = await handle.describe();
    if (flags.json) return printJson(ctx, summarize(d));
    out(
      ctx,
      `schedule ${name} updated: "${cron}" in ${timezone}, overlap ${d.policies.overlap}` +
        (describeNew ? `, ids from ${describeNew}` : ''),
    );
    const next = d.info.nextActionTimes[0];
    if (next) out(ctx, `next run ${zonedTime(next, timezone)}`);
  });
}

/**
 * Temporal's pause and unpause replace the schedule's note with their own: the note (the
 * operator's "nightly maintenance reset, CHG-1234") is kept in the action's memo first, for a
 * schedule made before it lived there.
 */
async function keepNote(session: TemporalSession, d: ScheduleDescription): Promise<void> {
  const memo = memoOf(d);
  const note = operatorNote(d);
  const input = inputOf(d);
  if ('note' in memo || !note || !memo.cron || !input.options || !input.source) return;
  const kept: ScheduleMemo = {
    cron: memo.cron,
    timezone: memo.timezone ?? d.spec.timezone ?? 'UTC',
    createdBy: 'koophone-reset',
    note,
  };
  await session.client.schedule.getHandle(d.scheduleId).update((prev) => ({
    ...prev,
    action: startAction(d.scheduleId, prev.action.taskQueue, kept, {
      options: input.options!,
      source: input.source!,
      safety: input.safety ?? {},
    }),
  }));
}

async function setPaused(
  ctx: CliContext,
  name: string,
  paused: boolean,
  flags: { reason?: string; note?: string; json?: boolean },
): Promise<void> {
  await withTemporal(ctx.env, async (session) => {
    const d = await campaignSchedule(session, name);
    await keepNote(session, d);
    const handle = session.client.schedule.getHandle(name);
    // The reason is Temporal's note of the schedule: what its UI shows beside the pause.
    const reason = flags.reason ?? flags.note;
    if (paused) await handle.pause(reason ?? 'paused with koophone-reset');
    else await handle.unpause(reason ?? 'unpaused with koophone-reset');
    if (flags.json) printJson(ctx, { name, paused });
    else out(ctx, `schedule ${name} ${paused ? 'paused' : 'unpaused'}${reason ? `: ${reason}` : ''}`);
  });
}

async function remove(ctx: CliContext, name: string, json: boolean): Promise<void> {
  await withTemporal(ctx.env, async (session) => {
    await campaignSchedule(session, name);
    await session.client.schedule.getHandle(name).delete();
    if (json) printJson(ctx, { name, deleted: true });
    else out(ctx, `schedule ${name} deleted`);
  });
}

export function registerSchedule(program: Command, ctx: CliContext): void {
  const schedule = program
    .command('schedule')
    .description('Temporal Schedules that start campaigns from a cron expression');

  const create_ = schedule
    .command('create')
    .description('create a schedule; each run is a fresh campaign named NAME-<time>')
    .argument('<name>', 'schedule name (also the prefix of its campaign ids)')
    .argument('[ids...]', 'instance ids (or --ids-file / --all)')
    .requiredOption(
      '--cron <expr>',
      'when, as "minute hour day-of-month month day-of-week" (e.g. "0 3 * * SUN")',
    )
    .option('--timezone <tz>', 'IANA time zone of the cron expression', 'UTC')
    .addOption(
      new Option('--overlap <policy>', 'when the previous run is still going')
        .choices(Object.keys(OVERLAP))
        .default('skip'),
    )
    .option('--note <text>', 'a note shown with the schedule')
    .option('--paused', 'create it paused')
    .option('--yes', 'confirm a schedule over the whole fleet or more than 10,000 phones without asking')
    .option('--skip-overlap', 'runs skip phones that other running campaigns hold (reported LEASED_BY)');
  addSourceFlags(create_);
  addCampaignFlags(create_)
    .option('--json', 'print the schedule as JSON')
    .action((name: string, ids: string[], flags: CreateFlags) => create(ctx, name, ids, flags));

  const update_ = schedule
    .command('update')
    .description('change a schedule in place: only the flags given change (running campaigns go on)')
    .argument('<name>', 'schedule name')
    .argument('[ids...]', 'new instance ids (or --ids-file / --all)')
    .option('--cron <expr>', 'new cron expression')
    .option('--timezone <tz>', 'new IANA time zone of the cron expression')
    .addOption(
      new Option('--overlap <policy>', 'when the previous run is still going').choices(Object.keys(OVERLAP)),
    )
    .option('--note <text>', 'a note shown with the schedule')
    .option('--yes', 'confirm a new selector over the whole fleet or more than 10,000 phones without asking')
    .option('--skip-overlap', 'runs skip phones that other running campaigns hold (reported LEASED_BY)');
  addSourceFlags(update_);
  addCampaignFlags(update_, 'keep')
    .option('--json', 'print the schedule as JSON')
    .action((name: string, ids: string[], flags: UpdateFlags) =>
      update(ctx, name, ids, flags, (key) => update_.getOptionValueSource(key) === 'cli'),
    );

  schedule
    .command('list')
    .description('schedules that start campaigns')
    .option('--json', 'print a JSON array')
    .action((flags: { json?: boolean }) => list(ctx, Boolean(flags.json)));
  schedule
    .command('describe')
    .description('a schedule: cron, source, options, next and recent runs')
    .argument('<name>', 'schedule name')
    .option('--json', 'print a JSON object')
    .action((name: string, flags: { json?: boolean }) => describe(ctx, name, Boolean(flags.json)));
  for (const [verb, paused, help] of [
    ['pause', true, 'stop starting campaigns (running ones go on; the note stays)'],
    ['unpause', false, 'start campaigns again on the cron (the note stays)'],
  ] as const) {
    schedule
      .command(verb)
      .description(help)
      .argument('<name>', 'schedule name')
      .option('--reason <text>', `why (Temporal's note of the ${verb}, shown by describe and list)`)
      // What --reason was called before; kept for scripts.
      .addOption(new Option('--note <text>').hideHelp())
      .option('--json', 'print {name, paused} as JSON')
      .action((name: string, flags: { reason?: string; note?: string; json?: boolean }) =>
        setPaused(ctx, name, paused, flags),
      );
  }
  schedule
    .command('trigger')
    .description('start a campaign from the schedule now')
    .argument('<name>', 'schedule name')
    .option('--json', 'print the new campaign id as JSON')
    .action((name: string, flags: { json?: boolean }) => trigger(ctx, name, Boolean(flags.json)));
  schedule
    .command('delete')
    .description('delete the schedule (its campaigns and reports stay)')
    .argument('<name>', 'schedule name')
    .option('--json', 'print {name, deleted} as JSON')
    .action((name: string, flags: { json?: boolean }) => remove(ctx, name, Boolean(flags.json)));
}
