// The campaign options of `start`, `rerun` and `schedule create|update`, each declared once
// here: its flag, its help text and how its value reads and prints. Defaults and ranges are the
// domain schema's (src/campaign/options.ts), so help, validation and the workflow agree by
// construction (docs/design.md "One declaration per fact").
import type { Command } from 'commander';
import type { z } from 'zod';
import { formatDuration, parseDuration } from '../campaign/duration';
import {
  campaignOptionDefaults,
  campaignOptionsSchema,
  type CampaignOptions,
  type ErrorBudget,
  type MaintenanceWindow,
  maintenanceWindowSchema,
} from '../campaign/options';
import type { NotifyTarget } from '../campaign/notification';
import { windowProblem } from '../campaign/plan-limits';
import { describeBudget } from '../campaign/budget';
import { validateWindow } from '../campaign/windows';
import { usageError } from './exit-codes';
import { checkCronFlag, numberFlag } from './flags';
import { readNotifyTarget, showNotifyTarget } from './notify-target';

/** How a kind of value is read from the command line and printed back as a flag value. */
interface ValueKind<T> {
  read(flag: string, raw: string): unknown;
  show(value: T): string;
}

const count: ValueKind<number> = { read: (flag, raw) => numberFlag(flag, raw), show: String };
const budget: ValueKind<ErrorBudget> = {
  read: (_flag, raw) => raw,
  show: describeBudget,
};
/** Exact milliseconds with a unit: "5m" when that reads back exactly, else "90500ms". */
const duration: ValueKind<number> = {
  read: (_flag, raw) => raw,
  show: (ms) => (parseDuration(formatDuration(ms)) === ms ? formatDuration(ms) : `${ms}ms`),
};
const rate: ValueKind<number | 'auto'> = {
  // `auto`: the workflow finds the tenant's unpublished limit from how the API answers.
  read: (flag, raw) => (raw.trim() === 'auto' ? 'auto' : numberFlag(flag, raw)),
  show: String,
};
/** A switch (`--include-in-use`): commander gives `true`; old options come back as text. */
const toggle: ValueKind<boolean> = {
  read: (flag, raw) => {
    const value: unknown = raw;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw usageError(`${flag} takes no value, got "${String(raw)}"`);
  },
  show: String,
};
/** `--notify URL`: checked here, kept as a reference (src/cli/notify-target.ts); the URL never prints. */
const webhook: ValueKind<NotifyTarget> = {
  read: (flag, raw) => {
    try {
      return readNotifyTarget(raw).target;
    } catch (e) {
      throw usageError(`${flag}: ${(e as Error).message}`);
    }
  },
  show: showNotifyTarget,
};
const codes: ValueKind<string[]> = {
  read: (_flag, raw) =>
    raw
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean),
  show: (list) => list.join(','),
};

/**
 * `--window "CRON/DURATION[/TIMEZONE]"`: the cron has spaces, never slashes in this form. A window
 * that never opens within a year is refused: the campaign would wait for it forever.
 */
function readWindow(raw: string, now: number): z.input<typeof campaignOptionsSchema>['windows'] & object {
  const m = /^([^/]+)\/([^/]+)(?:\/(.+))?$/.exec(raw.trim());
  if (!m) throw usageError(`--window: expected "CRON/DURATION[/TIMEZONE]", got "${raw}"`);
  const window = { cron: m[1]!.trim(), durationMs: m[2]!.trim(), timezone: m[3]?.trim() ?? 'UTC' };
  checkCronFlag('--window', window.cron, window.timezone, { forSchedule: false });
  try {
    validateWindow(window);
  } catch (e) {
    throw usageError(`--window: ${(e as Error).message}`);
  }
  const parsed = maintenanceWindowSchema.safeParse(window);
  // A bad duration is worded by the schema below, with the other problems.
  const never = parsed.success ? windowProblem(parsed.data, now) : undefined;
  if (never) throw usageError(`--window ${never}; a campaign would never send a batch`);
  return [window];
}
const showWindow = (w: MaintenanceWindow) => `${w.cron}/${duration.show(w.durationMs)}/${w.timezone}`;

/** One campaign flag: `name` is commander's attribute for it, `path` the option it sets. */
interface CampaignFlag {
  name: string;
  flag: string;
  /** The value's placeholder; '' for a switch. */
  value: string;
  help: string;
  path: readonly [keyof CampaignOptions] | readonly ['abortOn', 'failed' | 'timed_out' | 'rejected'];
  kind: ValueKind<never>;
}
const flag = <N extends string, T>(
  f: Omit<CampaignFlag, 'name' | 'kind'> & { name: N; kind: ValueKind<T> },
) => f as unknown as CampaignFlag & { name: N };

export const CAMPAIGN_FLAGS = [
  flag({
    name: 'batchSize',
    flag: '--batch-size',
    value: '<n>',
    help: 'instances per batch-reset call',
    path: ['batchSize'],
    kind: count,
  }),
  flag({
    name: 'concurrency',
    flag: '--concurrency',
    value: '<n>',
    help: 'batches in flight at once',
    path: ['concurrency'],
    kind: count,
  }),
  flag({
    name: 'rate',
    flag: '--rate',
    value: '<n|auto>',
    help: 'batch-reset calls per second, or auto to find the tenant limit',
    path: ['rate'],
    kind: rate,
  }),
  flag({
    name: 'maxErrors',
    flag: '--max-errors',
    value: '<n|p%>',
    help: 'error budget: a count or a share of finished instances',
    path: ['maxErrors'],
    kind: budget,
  }),
  flag({
    name: 'canary',
    flag: '--canary',
    value: '<n>',
    help: 'batches that must succeed before the rest start (0: no canary)',
    path: ['canary'],
    kind: count,
  }),
  flag({
    name: 'retryFailed',
    flag: '--retry-failed',
    value: '<n>',
    help: 'resets again for instances whose job failed',
    path: ['retryFailed'],
    kind: count,
  }),
  flag({
    name: 'retryDelay',
    flag: '--retry-delay',
    value: '<dur>',
    help: 'wait before resetting a failed instance again (e.g. 30s, 5m)',
    path: ['retryDelayMs'],
    kind: duration,
  }),
  flag({
    name: 'jobTimeout',
    flag: '--job-timeout',
    value: '<dur>',
    help: 'how long to follow one reset job (e.g. 30m, 1h30m)',
    path: ['jobTimeoutMs'],
    kind: duration,
  }),
  flag({
    name: 'rateMax',
    flag: '--rate-max',
    value: '<n>',
    help: 'with --rate auto: never above this many calls per second',
    path: ['rateMax'],
    kind: count,
  }),
  flag({
    name: 'rampStart',
    flag: '--ramp-start',
    value: '<n>',
    help: 'exponential ramp: batches in flight at first (default: no ramp)',
    path: ['rampStart'],
    kind: count,
  }),
  flag({
    name: 'rampFactor',
    flag: '--ramp-factor',
    value: '<x>',
    help: 'ramp: multiply the batches in flight by this…',
    path: ['rampFactor'],
    kind: count,
  }),
  flag({
    name: 'rampAfter',
    flag: '--ramp-after',
    value: '<n>',
    help: '…each time this many batches succeed',
    path: ['rampAfter'],
    kind: count,
  }),
  flag({
    name: 'abortFailed',
    flag: '--abort-failed',
    value: '<n|p%>',
    help: 'abort when failed instances exceed this',
    path: ['abortOn', 'failed'],
    kind: budget,
  }),
  flag({
    name: 'abortTimedOut',
    flag: '--abort-timed-out',
    value: '<n|p%>',
    help: 'abort when timed-out instances exceed this',
    path: ['abortOn', 'timed_out'],
    kind: budget,
  }),
  flag({
    name: 'abortRejected',
    flag: '--abort-rejected',
    value: '<n|p%>',
    help: 'abort when rejected instances exceed this',
    path: ['abortOn', 'rejected'],
    kind: budget,
  }),
  flag({
    name: 'abortMinFinished',
    flag: '--abort-min-finished',
    value: '<n>',
    help: 'abort rules apply once this many instances finished',
    path: ['abortMinFinished'],
    kind: count,
  }),
  flag({
    name: 'retryTimedOut',
    flag: '--retry-timed-out',
    value: '<n>',
    help: 'resets again for instances whose job timed out',
    path: ['retryTimedOut'],
    kind: count,
  }),
  flag({
    name: 'blockedAfter',
    flag: '--blocked-after',
    value: '<dur>',
    help: 'show the campaign blocked once auth errors last this long with no call answered',
    path: ['blockedAfterMs'],
    kind: duration,
  }),
  flag({
    name: 'submitTimeout',
    flag: '--submit-timeout',
    value: '<dur>',
    help: "how long a batch's call is retried through outages and throttling before its phones fail (e.g. 2d)",
    path: ['submitTimeoutMs'],
    kind: duration,
  }),
  flag({
    name: 'submitBackoffMax',
    flag: '--submit-backoff-max',
    value: '<dur>',
    help: "longest wait between two tries of a batch's call (backoff from 2s)",
    path: ['submitBackoffMaxMs'],
    kind: duration,
  }),
  flag({
    name: 'neverRetry',
    flag: '--never-retry',
    value: '<codes>',
    help: 'job error codes never retried, comma-separated (e.g. CPS0005)',
    path: ['noRetryCodes'],
    kind: codes,
  }),
  flag({
    name: 'maxPerPool',
    flag: '--max-per-pool',
    value: '<n|p%>',
    help: "disruption budget: at most this many phones (or this share of a pool's size) of any one pool reset at once",
    path: ['maxPerPool'],
    kind: budget,
  }),
  flag({
    name: 'includeInUse',
    flag: '--include-in-use',
    value: '',
    help: 'also reset phones the fleet listing shows in use (a user logged in or assigned), backing up or restoring',
    path: ['includeInUse'],
    kind: toggle,
  }),
  flag({
    name: 'notify',
    flag: '--notify',
    value: '<url>',
    help: 'POST a JSON event to this http(s) webhook when the campaign ends, is blocked or unblocked (Slack-style text field)',
    path: ['notify'],
    kind: webhook,
  }),
  flag({
    name: 'notifyRetryFor',
    flag: '--notify-retry-for',
    value: '<dur>',
    help: 'how long one --notify event is retried before it is given up (logged)',
    path: ['notifyRetryForMs'],
    kind: duration,
  }),
] as const;

const WINDOW_HELP =
  'submit only inside this maintenance window, e.g. "0 1 * * SUN/4h/Asia/Shanghai" (repeatable)';

/** The raw strings commander collects for the campaign options. */
export type CampaignFlags = { [K in (typeof CAMPAIGN_FLAGS)[number]['name']]?: string } & {
  window?: string[];
};

function valueAt(options: CampaignOptions, path: CampaignFlag['path']): unknown {
  return path.length === 1 ? options[path[0]] : options.abortOn[path[1]];
}

/** The default as help shows it, from the schema; none for options that are off unless given. */
function shownDefault(f: CampaignFlag): string | undefined {
  const value = valueAt(campaignOptionDefaults(), f.path);
  if (value === undefined || value === false || (Array.isArray(value) && value.length === 0))
    return undefined;
  return f.kind.show(value as never);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * Adds the campaign flags. `keep`: an absent flag keeps the old campaign's or schedule's value
 * (`rerun`, `schedule update`), so help shows no default.
 */
export function addCampaignFlags(cmd: Command, absent: 'default' | 'keep' = 'default'): Command {
  // No commander defaults: an absent flag is absent (so `rerun` and `schedule update` keep the
  // old value), and the schema fills in today's default.
  for (const f of CAMPAIGN_FLAGS) {
    const d = absent === 'keep' ? undefined : shownDefault(f);
    cmd.option(
      f.value ? `${f.flag} ${f.value}` : f.flag,
      d === undefined ? f.help : `${f.help} (default: ${d})`,
    );
  }
  return cmd.option('--window <cron/duration[/timezone]>', WINDOW_HELP, collect);
}

/** A campaign's options as the flags that would give them: how `rerun` and `schedule update` start from old ones. */
export function flagsOf(options: CampaignOptions): CampaignFlags {
  const flags: Record<string, string | string[]> = {};
  for (const f of CAMPAIGN_FLAGS) {
    const value = valueAt(options, f.path);
    if (value !== undefined && !(Array.isArray(value) && value.length === 0))
      flags[f.name] = f.kind.show(value as never);
  }
  if (options.windows?.length) flags.window = options.windows.map(showWindow);
  return flags as CampaignFlags;
}

/** The campaign flags the operator typed (commander's value source "cli"), nothing else. */
export function givenCampaignFlags(flags: CampaignFlags, typed: (name: string) => boolean): CampaignFlags {
  const names = [...CAMPAIGN_FLAGS.map((f) => f.name), 'window'] as const;
  return Object.fromEntries(
    names.filter((n) => typed(n) && flags[n] !== undefined).map((n) => [n, flags[n]]),
  ) as CampaignFlags;
}

/** The campaign flags as a Markdown table for the README (a test keeps the two equal). */
export function campaignFlagsTable(): string {
  // A "|" inside a cell ends it in GitHub's tables, even in code.
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = CAMPAIGN_FLAGS.map(
    (f) =>
      `| \`${cell(f.value ? `${f.flag} ${f.value}` : f.flag)}\` | ${cell(shownDefault(f) ?? '-')} | ${cell(f.help)} |`,
  );
  rows.push(`| \`--window <cron/duration[/timezone]>\` | - | ${cell(WINDOW_HELP)} |`);
  return ['| flag | default | what it does |', '|---|---|---|', ...rows].join('\n');
}

/** A schema issue in the tool's words ("must be at most 100"), not zod's ("Too big: …"). */
function issueText(issue: z.core.$ZodIssue): string {
  const what = 'origin' in issue && issue.origin === 'array' ? ' values' : '';
  // A message the schema wrote itself ("--job-timeout must be at least 1s") is already ours.
  if (!/^(Too (small|big)|Invalid input)/.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'too_small':
      return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}${what}`;
    case 'too_big':
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}${what}`;
    case 'invalid_type':
      return issue.expected === 'int' ? 'must be a whole number' : `expected ${issue.expected}`;
    default:
      return issue.message;
  }
}

/**
 * Validates every campaign option through the domain schema, before anything is started, and
 * reports all problems at once, each naming its flag.
 */
export function parseCampaignFlags(
  flags: CampaignFlags,
  campaignId?: string,
  now = Date.now(),
): CampaignOptions {
  const input: Record<string, unknown> = { abortOn: {}, ...(campaignId !== undefined ? { campaignId } : {}) };
  for (const f of CAMPAIGN_FLAGS) {
    const raw = flags[f.name];
    if (raw === undefined) continue;
    const value = f.kind.read(f.flag, raw);
    if (f.path.length === 1) input[f.path[0]] = value;
    else (input.abortOn as Record<string, unknown>)[f.path[1]] = value;
  }
  input.windows = (flags.window ?? []).flatMap((w) => readWindow(w, now));
  const parsed = campaignOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.map(String);
    const f = CAMPAIGN_FLAGS.find((c) => c.path.join('.') === path.slice(0, c.path.length).join('.'));
    const name =
      f?.flag ??
      (path[0] === 'campaignId' ? '--campaign-id' : path[0] === 'windows' ? '--window' : path.join('.'));
    const got = f ? flags[f.name] : path[0] === 'campaignId' ? campaignId : undefined;
    // The --max-errors and duration messages already name the flag and the value.
    const text = issueText(issue);
    const message = text.startsWith('--') ? text : `${name}: ${text}`;
    return got === undefined || message.includes(`"${got}"`) ? message : `${message} (got "${got}")`;
  });
  throw usageError(problems.join('; '));
}
