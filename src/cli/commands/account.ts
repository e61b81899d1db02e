import type { Command } from 'commander';
import { WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import type { accountCoordinator } from '../../workflows/account-coordinator';
import {
  ACCOUNT_WORKFLOW,
  ACCOUNT_WORKFLOW_ID,
  accountQuery,
  setAccountLimitsUpdate,
  type AccountLimitsChange,
  type AccountView,
} from '../../workflows/account-definitions';
import { out, printJson, type CliContext } from '../context';
import { CliError, EXIT, usageError } from '../exit-codes';
import { withTemporal, type TemporalSession } from '../temporal';

// The coordinator answers in milliseconds when a worker polls; longer means none does.
const ANSWER_TIMEOUT_MS = 15_000;

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

function noWorker(err: unknown): CliError {
  return new CliError(
    EXIT.unreachable,
    `the account coordinator (${ACCOUNT_WORKFLOW_ID}) did not answer within ${ANSWER_TIMEOUT_MS / 1000} s: ` +
      'start a worker on its task queue (koophone-reset worker)',
    { cause: err },
  );
}

async function setLimits(session: TemporalSession, change: AccountLimitsChange): Promise<AccountView> {
  const start = new WithStartWorkflowOperation<typeof accountCoordinator>(ACCOUNT_WORKFLOW, {
    workflowId: ACCOUNT_WORKFLOW_ID,
    taskQueue: session.settings.taskQueue,
    args: [{ limits: {} }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: 'KooPhone account rate limits, shared by every running campaign of the namespace',
  });
  try {
    return await session.client.withDeadline(Date.now() + ANSWER_TIMEOUT_MS, () =>
      session.client.workflow.executeUpdateWithStart(setAccountLimitsUpdate, {
        args: [change],
        startWorkflowOperation: start,
      }),
    );
  } catch (err) {
    // The coordinator's validator refused the limits: the tool's own words, exit 2.
    if ((err as Error).name === 'WorkflowUpdateFailedError') {
      const cause = (err as Error).cause;
      throw usageError(cause instanceof Error ? cause.message : (err as Error).message, err);
    }
    throw noWorker(err);
  }
}

async function readAccount(session: TemporalSession): Promise<AccountView | undefined> {
  const handle = session.client.workflow.getHandle(ACCOUNT_WORKFLOW_ID);
  try {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') return undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  try {
    return await session.client.withDeadline(Date.now() + ANSWER_TIMEOUT_MS, () =>
      handle.query(accountQuery),
    );
  } catch (err) {
    throw noWorker(err);
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
  await withTemporal(ctx.env, async (session) => {
    const view = change ? await setLimits(session, change) : await readAccount(session);
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
