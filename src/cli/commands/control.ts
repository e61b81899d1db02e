import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { WorkflowHandle } from '@temporalio/client';
import { cancelNowUpdate } from '../../workflows/definitions';
import type { CampaignState, CampaignStatus } from '../../campaign/status';
import {
  CampaignFinished,
  CampaignState as CampaignStateKey,
  CampaignTotal,
} from '../../temporal/search-attributes';
import { cancelSignal, pauseSignal, resumeSignal, statusQuery } from '../../workflows/definitions';
import { describeCampaign, finishedOf } from '../campaign-status';
import { out, printJson, type CliContext } from '../context';
import { usageError } from '../exit-codes';
import { workflowPollers } from '../task-queue-pollers';
import { withTemporal, type TemporalSession } from '../temporal';

// Control is a signal: recorded in the campaign's history at once, applied when a worker runs
// the workflow, with or without one polling now. An update would wait for a worker, time out
// ("did not answer in time") and still be applied later: an operator told "failed" about a
// cancel that then happens. A live worker's status query checks the request first and then
// confirms it took effect.

/** A worker answers a status query in milliseconds; past this, none is running the campaign. */
const QUERY_TIMEOUT_MS = 5000;
/** How long a live worker gets to show the change in its status. */
const CONFIRM_TIMEOUT_MS = 15_000;


type Action = 'pause' | 'resume' | 'cancel';

interface ControlFlags {
  reason?: string;
  json?: boolean;
  now?: boolean;
}

/**
 * The campaign's live status, or undefined when no worker answered in time. A query refused at
 * once (the worker has not run the campaign's first task yet) is asked again until then.
 */
async function liveStatus(
  session: TemporalSession,
  handle: WorkflowHandle,
  timeoutMs = QUERY_TIMEOUT_MS,
): Promise<CampaignStatus | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      return await session.client.withDeadline(until, () => handle.query(statusQuery));
    } catch {
      await sleep(Math.min(250, Math.max(0, until - Date.now())));
    }
  }
  return undefined;
}

/** Why `action` makes no sense in `state`, or undefined. Mirrors the workflow's update validators. */
function refusal(id: string, action: Action, state: CampaignState | undefined): string | undefined {
  if (state === 'canceling') return `campaign ${id} is being canceled`;
  if (action === 'pause' && state === 'paused') return `campaign ${id} is already paused`;
  if (action === 'resume' && state !== undefined && state !== 'paused') return `campaign ${id} is not paused`;
  return undefined;
}

/** The request shows in the status: applied. */
function applied(action: Action, s: CampaignStatus): boolean {
  if (action === 'pause') return s.state !== 'running';
  if (action === 'resume') return s.state !== 'paused';
  return s.state !== 'running' && s.state !== 'paused';
}

async function send(handle: WorkflowHandle, action: Action, reason: string): Promise<void> {
  if (action === 'pause') return handle.signal(pauseSignal);
  if (action === 'resume') return handle.signal(resumeSignal);
  return handle.signal(cancelSignal, reason);
}

/**
 * After the campaign recorded the operator's cancel (and its reason), a Temporal cancel request
 * too: the execution then ends Canceled, as with the Temporal UI's button, not Failed — nobody
 * filtering the UI on failures should find a routine cancel there. The campaign treats the request
 * as the same cancel (src/workflows/engine/campaign-engine.ts): the reason stays the operator's.
 */
async function endsCanceled(handle: WorkflowHandle): Promise<void> {
  await handle.cancel();
}

async function confirm(
  session: TemporalSession,
  handle: WorkflowHandle,
  action: Action,
): Promise<CampaignStatus | undefined> {
  const until = Date.now() + CONFIRM_TIMEOUT_MS;
  while (Date.now() < until) {
    const s = await liveStatus(session, handle, Math.max(1, until - Date.now()));
    if (s && applied(action, s)) return s;
    await sleep(250);
  }
  return undefined;
}

async function cancelNow(ctx: CliContext, session: TemporalSession, id: string, flags: ControlFlags) {
  const handle = session.client.workflow.getHandle(id);
  if (!(await liveStatus(session, handle)))
    throw usageError(
      `cancel --now needs a worker to run campaign ${id} (none answered within ${QUERY_TIMEOUT_MS / 1000}s); ` +
        '`cancel` without --now is recorded even with no worker',
    );
  let status: CampaignStatus;
  try {
    status = await handle.executeUpdate(cancelNowUpdate, { args: [flags.reason ?? 'canceled by operator'] });
    await endsCanceled(handle);
  } catch (err) {
    const why = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    if (/no registered handler/i.test(why))
      throw usageError(
        `campaign ${id} runs a workflow version without cancel --now: nothing was changed; ` +
          '`cancel` (without --now) stops it after the batches in flight end or reach --job-timeout',
      );
    throw err;
  }
  if (flags.json) printJson(ctx, status);
  else out(ctx, `campaign ${id}: ${status.state}, ${finishedOf(status)}/${status.total} finished`);
}

async function control(ctx: CliContext, action: Action, id: string, flags: ControlFlags): Promise<void> {
  await withTemporal(ctx.env, async (session) => {
    const d = await describeCampaign(session.client, id);
    if (d.status.name !== 'RUNNING')
      throw usageError(`campaign ${id} has already ended (${d.status.name.toLowerCase()})`);
    if (action === 'cancel' && flags.now) return cancelNow(ctx, session, id, flags);
    const handle = session.client.workflow.getHandle(id);
    const taskQueue = d.taskQueue;
    // No poller listed: no worker for certain, so do not wait for a query to time out.
    const pollers = await workflowPollers(session, taskQueue);
    const before = pollers === 0 ? undefined : await liveStatus(session, handle);
    const lastState = d.typedSearchAttributes.get(CampaignStateKey) as CampaignState | undefined;
    // Without a worker, the last recorded state still rules out some requests (a canceling campaign).
    const refused = before
      ? refusal(id, action, before.state)
      : refusal(id, action, lastState === 'canceling' ? lastState : undefined);
    if (refused) throw usageError(refused);

    const reason = flags.reason?.trim() || 'canceled by operator';
    if (action === 'cancel' && reason.length > 500) throw usageError('--reason: at most 500 characters');
    await send(handle, action, reason);
    if (action === 'cancel') await endsCanceled(handle);
    const after = before ? await confirm(session, handle, action) : undefined;
    if (after) {
      if (flags.json) printJson(ctx, after);
      else {
        const why = flags.reason && action !== 'cancel' ? ` (reason: ${flags.reason})` : '';
        out(ctx, `campaign ${id}: ${after.state}, ${finishedOf(after)}/${after.total} finished${why}`);
      }
      return;
    }
    const whyPending = before
      ? `a worker answered for campaign ${id} but has not applied it within ${CONFIRM_TIMEOUT_MS / 1000}s`
      : pollers === 0
        ? `no worker is running for task queue ${taskQueue}`
        : `no worker answered for campaign ${id} within ${QUERY_TIMEOUT_MS / 1000}s (task queue ${taskQueue})`;
    const lastKnown = {
      state: lastState ?? 'running',
      finished: d.typedSearchAttributes.get(CampaignFinished) ?? 0,
      total: d.typedSearchAttributes.get(CampaignTotal) ?? 0,
    };
    if (flags.json)
      printJson(ctx, {
        campaignId: id,
        action,
        recorded: true,
        applied: false,
        taskQueue,
        pollers,
        lastKnown,
      });
    else
      out(
        ctx,
        `campaign ${id}: ${action} recorded; ${whyPending}, it takes effect when ${before ? 'it runs the campaign' : 'one starts'} ` +
          `(last recorded: ${lastKnown.state}, ${lastKnown.finished}/${lastKnown.total} finished)`,
      );
  });
}

export function registerControl(program: Command, ctx: CliContext): void {
  program
    .command('pause')
    .description('stop sending new batches; batches in flight finish (recorded even with no worker)')
    .argument('<id>', 'campaign id')
    .option('--reason <text>', 'why, echoed back (only cancel records a reason in the campaign)')
    .option('--json', 'print the new status object')
    .action((id: string, flags: ControlFlags) => control(ctx, 'pause', id, flags));
  program
    .command('resume')
    .description('continue a paused campaign (recorded even with no worker)')
    .argument('<id>', 'campaign id')
    .option('--reason <text>', 'why, echoed back (only cancel records a reason in the campaign)')
    .option('--json', 'print the new status object')
    .action((id: string, flags: ControlFlags) => control(ctx, 'resume', id, flags));
  program
    .command('cancel')
    .description(
      'stop the campaign: batches in flight finish, the rest is reported canceled (recorded even with no worker)',
    )
    .argument('<id>', 'campaign id')
    .option('--reason <text>', 'why; recorded in the report for every instance not reset')
    .option(
      '--now',
      'also stop following batches in flight: reported canceled with their job ids, state unknown',
    )
    .option('--json', 'print the new status object')
    .action((id: string, flags: ControlFlags) => control(ctx, 'cancel', id, flags));
}
