import type { Command } from 'commander';
import {
  campaignOptionsSchema,
  maintenanceWindowSchema,
  type CampaignOptions,
  type CampaignOptionsInput,
} from '../campaign/options';
import type { z } from 'zod';
import { windowProblem } from '../campaign/plan-limits';
import { validateWindow } from '../workflows/windows';
import { usageError } from './exit-codes';
import { checkCronFlag, numberFlag } from './flags';

/** The raw strings commander collects for the campaign options of `start` and `schedule create`. */
export interface CampaignFlags {
  batchSize?: string;
  concurrency?: string;
  rate?: string;
  maxErrors?: string;
  canary?: string;
  retryFailed?: string;
  retryDelay?: string;
  jobTimeout?: string;
  rateMax?: string;
  rampStart?: string;
  rampFactor?: string;
  rampAfter?: string;
  abortFailed?: string;
  abortTimedOut?: string;
  abortRejected?: string;
  abortMinFinished?: string;
  retryTimedOut?: string;
  neverRetry?: string;
  window?: string[];
}

// Which flag an option key came from, so an error names what the operator typed.
const FLAG_OF: Record<string, string> = {
  campaignId: '--campaign-id',
  batchSize: '--batch-size',
  concurrency: '--concurrency',
  rate: '--rate',
  maxErrors: '--max-errors',
  canary: '--canary',
  retryFailed: '--retry-failed',
  retryDelayMs: '--retry-delay',
  jobTimeoutMs: '--job-timeout',
  rateMax: '--rate-max',
  rampStart: '--ramp-start',
  rampFactor: '--ramp-factor',
  rampAfter: '--ramp-after',
  'abortOn.failed': '--abort-failed',
  'abortOn.timed_out': '--abort-timed-out',
  'abortOn.rejected': '--abort-rejected',
  abortMinFinished: '--abort-min-finished',
  retryTimedOut: '--retry-timed-out',
  noRetryCodes: '--never-retry',
  windows: '--window',
};

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addCampaignFlags(cmd: Command): Command {
  return cmd
    .option('--batch-size <n>', 'instances per batch-reset call, 1..100', '100')
    .option('--concurrency <n>', 'batches in flight at once', '10')
    .option('--rate <n|auto>', 'batch-reset calls per second, or auto to find the tenant limit', '5')
    .option('--max-errors <n|p%>', 'error budget: a count or a share of finished instances', '10%')
    .option('--canary <n>', 'batches that must succeed before the rest start (0: no canary)', '1')
    .option('--retry-failed <n>', 'resets again for instances whose job failed', '2')
    .option('--retry-delay <dur>', 'wait before resetting a failed instance again (e.g. 30s, 5m)', '5m')
    .option('--job-timeout <dur>', 'how long to follow one reset job (e.g. 30m)', '30m')
    .option('--rate-max <n>', 'with --rate auto: never above this many calls per second', '50')
    .option('--ramp-start <n>', 'exponential ramp: batches in flight at first (default: no ramp)')
    .option('--ramp-factor <x>', 'ramp: multiply the batches in flight by this…', '2')
    .option('--ramp-after <n>', '…each time this many batches succeed', '1')
    .option('--abort-failed <n|p%>', 'abort when failed instances exceed this')
    .option('--abort-timed-out <n|p%>', 'abort when timed-out instances exceed this')
    .option('--abort-rejected <n|p%>', 'abort when rejected instances exceed this')
    .option('--abort-min-finished <n>', 'abort rules apply once this many instances finished', '100')
    .option('--retry-timed-out <n>', 'resets again for instances whose job timed out', '0')
    .option('--never-retry <codes>', 'job error codes never retried, comma-separated (e.g. CPS0005)')
    .option(
      '--window <cron/duration[/timezone]>',
      'submit only inside this maintenance window, e.g. "0 1 * * SUN/4h/Asia/Shanghai" (repeatable)',
      collect,
    );
}

/**
 * `--window "CRON/DURATION[/TIMEZONE]"`: the cron has spaces, never slashes in this form. A window
 * that never opens within a year is refused: the campaign would wait for it forever.
 */
function parseWindows(raw: string[] | undefined, now: number): CampaignOptionsInput['windows'] {
  return (raw ?? []).map((w) => {
    const m = /^([^/]+)\/([^/]+)(?:\/(.+))?$/.exec(w.trim());
    if (!m) throw usageError(`--window: expected "CRON/DURATION[/TIMEZONE]", got "${w}"`);
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
    return window;
  });
}

// Numbers are read here; whole-number and range rules live in the schema, worded by issueText.
function number(flag: string, raw: string | undefined): number | undefined {
  return raw === undefined ? undefined : numberFlag(flag, raw);
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
  const input: CampaignOptionsInput = {
    ...(campaignId !== undefined ? { campaignId } : {}),
    batchSize: number('--batch-size', flags.batchSize),
    concurrency: number('--concurrency', flags.concurrency),
    // `auto`: the workflow finds the tenant's unpublished limit from how the API answers.
    rate: flags.rate?.trim() === 'auto' ? 'auto' : number('--rate', flags.rate),
    maxErrors: flags.maxErrors,
    canary: number('--canary', flags.canary),
    retryFailed: number('--retry-failed', flags.retryFailed),
    retryDelayMs: flags.retryDelay,
    jobTimeoutMs: flags.jobTimeout,
    rateMax: number('--rate-max', flags.rateMax),
    rampStart: number('--ramp-start', flags.rampStart),
    rampFactor: number('--ramp-factor', flags.rampFactor),
    rampAfter: number('--ramp-after', flags.rampAfter),
    abortOn: {
      ...(flags.abortFailed !== undefined ? { failed: flags.abortFailed } : {}),
      ...(flags.abortTimedOut !== undefined ? { timed_out: flags.abortTimedOut } : {}),
      ...(flags.abortRejected !== undefined ? { rejected: flags.abortRejected } : {}),
    },
    abortMinFinished: number('--abort-min-finished', flags.abortMinFinished),
    retryTimedOut: number('--retry-timed-out', flags.retryTimedOut),
    noRetryCodes: flags.neverRetry
      ? flags.neverRetry
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean)
      : [],
    windows: parseWindows(flags.window, now),
  };
  const parsed = campaignOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const raw: Record<string, unknown> = {
    ...flags,
    retryDelayMs: flags.retryDelay,
    jobTimeoutMs: flags.jobTimeout,
    campaignId,
  };
  const problems = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const flag = FLAG_OF[issue.path.join('.')] ?? FLAG_OF[key] ?? key;
    const got = raw[key];
    // The --max-errors and duration messages already name the flag and the value.
    const text = issueText(issue);
    const message = text.startsWith('--') ? text : `${flag}: ${text}`;
    return got === undefined || message.includes(`"${String(got)}"`)
      ? message
      : `${message} (got "${String(got)}")`;
  });
  throw usageError(problems.join('; '));
}
