import type { Command } from 'commander';
import {
  LimitsNotConfirmed,
  readCoordinator,
  setCoordinatorLimits,
  type Kept,
} from '../../account/coordinator';
import { NO_ANSWER, NO_WORKER } from '../../account/record';
import { OwnPartError } from '../../campaign/blocking';
import {
  ACCOUNT_TASK_QUEUE,
  ACCOUNT_WORKFLOW_ID,
  type AccountLimitsChange,
  type AccountView,
} from '../../workflows/account-definitions';
import { note, out, printJson, type CliContext } from '../context';
import { CliError, EXIT, usageError } from '../exit-codes';
import { withTemporal } from '../temporal';

interface AccountFlags {
  rate?: string;
  queryRate?: string;
  clear?: boolean;
  json?: boolean;
}

function parseLimit(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 10_000) {
    throw usageError(
      `${flag} must be calls per second, above 0 and at most 10000 (e.g. ${flag} 20), got "${value}"`,
    );
  }
  return n;
}

/** The coordinator did not answer: why, in the tool's words (exit 3), and what became of a change. */
function unanswered(err: OwnPartError | LimitsNotConfirmed): CliError {
  const why = err.fault.message.replace(/^coordinator: /, '');
  const fix =
    err.fault.code === NO_WORKER
      ? `start a worker (koophone-reset worker): every worker polls ${ACCOUNT_TASK_QUEUE} and serves the coordinator`
      : err.fault.code === NO_ANSWER
        ? `see why its workflow tasks fail: temporal workflow describe --workflow-id ${ACCOUNT_WORKFLOW_ID}`
        : 'try again, or set the limits again: koophone-reset account --rate N';
  const change = !(err instanceof LimitsNotConfirmed)
    ? ''
    : err.fault.code === NO_WORKER
      ? '; the limits were not changed'
      : err.recorded
        ? '; the limits are recorded (the coordinator was created with them): campaigns are blocked until a worker serves it'
        : '; the change is not confirmed (it applies if the coordinator answers later): check with koophone-reset account';
  return new CliError(EXIT.unreachable, `${why}: ${fix}${change}`, { cause: err });
}

/** What keeping the coordinator did, said on stderr: it was re-created or moved. */
function sayKept(ctx: CliContext, kept: Kept): void {
  const members = (n: number) => `${n} campaign${n === 1 ? '' : 's'} holding a share`;
  if (kept.recreated) {
    const { from, record } = kept.recreated;
    const at = from.endedAt ? ` at ${new Date(from.endedAt).toISOString()}` : '';
    note(
      ctx,
      `note: the account coordinator had been ${from.endedAs.toLowerCase()}${at}: re-created with its recorded limits ` +
        `and the ${members(record.members.length)} (a terminate does not remove the limits: account --clear does)`,
    );
  }
  if (kept.moved) {
    note(
      ctx,
      `note: the account coordinator ran on task queue ${kept.moved.from.taskQueue}, which no worker polls: ` +
        `moved to ${ACCOUNT_TASK_QUEUE}, which every worker polls, with its limits and the ${members(kept.moved.record.members.length)}`,
    );
  }
}

async function setLimits(ctx: CliContext, client: Parameters<typeof setCoordinatorLimits>[0], change: AccountLimitsChange): Promise<AccountView> {
  try {
    const { view, kept } = await setCoordinatorLimits(client, change);
    sayKept(ctx, kept);
    return view;
  } catch (err) {
    // The coordinator's validator refused the limits: the tool's own words, exit 2.
    if ((err as Error).name === 'WorkflowUpdateFailedError') {
      const cause = (err as Error).cause;
      throw usageError(cause instanceof Error ? cause.message : (err as Error).message, err);
    }
    if (err instanceof LimitsNotConfirmed || err instanceof OwnPartError) throw unanswered(err);
    throw err;
  }
}

async function readAccount(ctx: CliContext, client: Parameters<typeof readCoordinator>[0]): Promise<AccountView | undefined> {
  try {
    const { view, kept } = await readCoordinator(client);
    sayKept(ctx, kept);
    return view;
  } catch (err) {
    if (err instanceof OwnPartError) throw unanswered(err);
    throw err;
  }
}

function print(ctx: CliContext, view: AccountView | undefined): void {
  const limit = (n: number | undefined) => (n === undefined ? 'none' : `${n} calls/s`);
  if (!view || (view.limits.rate === undefined && view.limits.queryRate === undefined)) {
    out(ctx, 'no account limits set: every campaign keeps its own --rate');
    out(ctx, 'set one with: koophone-reset account --rate N [--query-rate M]');
    if (!view) return;
  } else {
    out(
      ctx,
      `account limits  batch-reset ${limit(view.limits.rate)}, other calls ${limit(view.limits.queryRate)}`,
    );
  }
  if (view.campaigns.length === 0) {
    out(ctx, 'running campaigns  none');
    return;
  }
  const rows = view.campaigns.map((c) => [
    c.campaignId,
    String(c.rate),
    c.share.rate === undefined ? '-' : String(c.share.rate),
    c.share.queryRate === undefined ? '-' : String(c.share.queryRate),
    c.joinedAt,
  ]);
  const head = ['CAMPAIGN', 'OWN RATE', 'SHARE', 'QUERY SHARE', 'JOINED'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows])
    out(
      ctx,
      r
        .map((v, i) => v.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}

async function account(ctx: CliContext, flags: AccountFlags): Promise<void> {
  if (flags.clear && (flags.rate !== undefined || flags.queryRate !== undefined)) {
    throw usageError('--clear removes the limits: give it without --rate or --query-rate');
  }
  const change: AccountLimitsChange | undefined = flags.clear
    ? { rate: null, queryRate: null }
    : flags.rate !== undefined || flags.queryRate !== undefined
      ? {
          ...(flags.rate !== undefined ? { rate: parseLimit('--rate', flags.rate) } : {}),
          ...(flags.queryRate !== undefined
            ? { queryRate: parseLimit('--query-rate', flags.queryRate) }
            : {}),
        }
      : undefined;
  await withTemporal(ctx.env, async ({ client }) => {
    const view = change ? await setLimits(ctx, client, change) : await readAccount(ctx, client);
    if (flags.json) printJson(ctx, view ?? { limits: {}, campaigns: [] });
    else print(ctx, view);
  });
}

export function registerAccount(program: Command, ctx: CliContext): void {
  program
    .command('account')
    .description("the KooPhone account's rate limits, shared by every running campaign, and each one's share")
    .option('--rate <n>', 'batch-reset calls per second for all campaigns together')
    .option('--query-rate <n>', 'task queries and other calls per second for all campaigns together')
    .option('--clear', 'remove the account limits: campaigns keep their own --rate')
    .option('--json', 'print one JSON object')
    .action((flags: AccountFlags) => account(ctx, flags));
}
