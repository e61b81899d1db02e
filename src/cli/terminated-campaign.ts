import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { SpoolSeal } from '../campaign/spool-seal';
import { CAMPAIGN_RESULT_MEMO } from '../campaign/ending';
import { HEARTBEAT_THROTTLE_MS } from '../campaign/lane';
import { emptyCounts } from '../campaign/outcome';
import { statusFromCounts } from '../campaign/status';
import {
  closeCampaignStore,
  createCampaignStore,
  describeTermination,
  rebuildTerminatedReport,
  rebuiltAfter,
  type CampaignStore,
  type StoredCampaign,
  type Termination,
} from '../report';
import { describeCampaign, type CampaignView } from './campaign-status';
import { note, type CliContext } from './context';
import { connectTemporal } from './temporal';

/**
 * A terminated workflow's lanes learn it from their next heartbeat's answer (the worker sends one
 * per HEARTBEAT_THROTTLE_MS at most) and send nothing after it. A rebuild waits this long past the
 * close, so that no call goes out after it read the journal.
 */
const SETTLE_MS = 3 * HEARTBEAT_THROTTLE_MS;
// temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT: only the
// close event, not a history of tens of thousands of events.
const CLOSE_EVENT_ONLY = 2;

/**
 * How a workflow ended without its code assembling the report, or undefined when it did not. A
 * campaign's own endings leave their result in the memo; a failed execution without one failed
 * before it could (a bug, or a campaign of the first engine).
 */
export function endedOutside(d: WorkflowExecutionDescription): Termination['how'] | undefined {
  if (d.status.name === 'TERMINATED') return 'terminated';
  if (d.status.name === 'TIMED_OUT') return 'timed out';
  if (d.status.name === 'FAILED' && d.memo?.[CAMPAIGN_RESULT_MEMO] === undefined) return 'failed';
  return undefined;
}

/** Who ended it and why (the close event), and the batch size its run was started with. */
async function terminationOf(
  client: Client,
  d: WorkflowExecutionDescription,
  how: Termination['how'],
): Promise<{ termination: Termination; batchSize?: number; seal?: SpoolSeal }> {
  const namespace = client.options.namespace;
  const execution = { workflowId: d.workflowId, runId: d.runId };
  const closed = await client.workflowService.getWorkflowExecutionHistory({
    namespace,
    execution,
    historyEventFilterType: CLOSE_EVENT_ONLY,
  });
  const ended = closed.history?.events?.at(-1);
  const by = ended?.workflowExecutionTerminatedEventAttributes;
  const failure = ended?.workflowExecutionFailedEventAttributes?.failure?.message;
  // The run's first events: its input (the batch size; a continued run's carried seal) and, in a
  // first run, what prepare answered (the seal), a few events in.
  const first = await client.workflowService.getWorkflowExecutionHistory({
    namespace,
    execution,
    maximumPageSize: FIRST_EVENTS,
  });
  const events = first.history?.events ?? [];
  const { payloadConverter } = client.options.loadedDataConverter;
  const payload = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const input = payload
    ? (payloadConverter.fromPayload(payload) as {
        options?: { batchSize?: number };
        carry?: { prepared?: { seal?: SpoolSeal } };
      })
    : undefined;
  const seal = input?.carry?.prepared?.seal ?? preparedSeal(events, (p) => payloadConverter.fromPayload(p));
  const at =
    d.closeTime ?? (ended?.eventTime ? new Date(Number(ended.eventTime.seconds) * 1000) : new Date());
  return {
    termination: {
      how,
      ...(by?.identity ? { identity: by.identity } : {}),
      ...(by?.reason ? { reason: by.reason } : failure ? { reason: failure } : {}),
      at: at.toISOString(),
    },
    ...(input?.options?.batchSize ? { batchSize: input.options.batchSize } : {}),
    ...(seal ? { seal } : {}),
  };
}

// Events read from the start of a run: prepare's answer is among the first dozen.
const FIRST_EVENTS = 100;

/** The seal prepare answered with, from the run's first events (undefined: not among them, or none). */
function preparedSeal(
  events: temporal.api.history.v1.IHistoryEvent[],
  decode: (p: temporal.api.common.v1.IPayload) => unknown,
): SpoolSeal | undefined {
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'prepareCampaign');
  if (!scheduled?.eventId) return undefined;
  const done = events.find(
    (e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId!.toString(),
  );
  const result = done?.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
  const answer = result ? (decode(result) as { seal?: SpoolSeal } | undefined) : undefined;
  return answer?.seal?.root ? answer.seal : undefined;
}

export interface TerminatedCampaign {
  termination: Termination;
  stored: StoredCampaign;
}

/**
 * A campaign ended from outside (terminated, timed out): its final report rebuilt once from the
 * store and the journal (see rebuildTerminatedReport), or as already rebuilt. Undefined when it
 * did not end so, or when this store does not hold it (another store, or an earlier campaign
 * with its id): nothing is written then.
 */
export async function settleTerminated(
  client: Client,
  d: WorkflowExecutionDescription,
  store: CampaignStore,
  say: (line: string) => void,
): Promise<TerminatedCampaign | undefined> {
  const how = endedOutside(d);
  if (!how) return undefined;
  const stored = await store.describeStored(d.workflowId);
  const firstRun = d.raw.workflowExecutionInfo?.firstRunId || undefined;
  if (!stored || (stored.owner !== undefined && firstRun !== undefined && stored.owner !== firstRun))
    return undefined;
  const { termination, batchSize, seal } = await terminationOf(client, d, how);
  // Already final: rebuilt by an earlier look, or assembled by the workflow before it was ended.
  if (stored.finalState !== undefined) return { termination, stored };
  // At most SETTLE_MS: a clock behind the server's must not make every look wait longer.
  const wait = Math.min(SETTLE_MS, Date.parse(termination.at) + SETTLE_MS - Date.now());
  if (wait > 0) {
    say(
      `waiting ${Math.ceil(wait / 1000)}s for the terminated campaign's activities to stop before rebuilding its report`,
    );
    await sleep(wait);
  }
  // With the seal its history holds, only spool records that read as prepare wrote them get a line.
  const rebuilt = await rebuildTerminatedReport(store, d.workflowId, termination, {
    ...(batchSize ? { batchSize } : {}),
    ...(seal ? { seal } : {}),
  });
  if (rebuilt?.unreadable)
    say(
      `warning: ${rebuilt.unreadable} spool records no longer read as prepare wrote them: their phones cannot be ` +
        'named and have no line in the rebuilt report',
    );
  if (rebuilt?.unmapped.length)
    say(
      `warning: ${rebuilt.unmapped.length} journal entries (written by an earlier version: ${rebuilt.unmapped.slice(0, 3).join(', ')}…) ` +
        'do not name their phones; their calls are not counted in the rebuilt report',
    );
  return { termination, stored: (await store.describeStored(d.workflowId)) ?? stored };
}

/** The stderr note of a rebuilt report. */
export function rebuiltNote(campaignId: string, how: Termination['how']): string {
  return (
    `report of ${campaignId} rebuilt from the store and the journal after the campaign ${how}: ` +
    'phones it had not finished are canceled, with the resets their journals show'
  );
}

/** The status of a campaign ended from outside: counted from its (rebuilt) final report. */
export async function terminatedStatus(
  store: CampaignStore,
  d: WorkflowExecutionDescription,
  { termination, stored }: TerminatedCampaign,
): Promise<CampaignView> {
  const counts = emptyCounts();
  let lines = 0;
  let resets = 0;
  for await (const line of store.readReport(d.workflowId)) {
    counts[line.outcome] += 1;
    resets += line.resets;
    lines += 1;
  }
  const rebuilt = rebuiltAfter(stored);
  return {
    campaignId: d.workflowId,
    state: termination.how === 'terminated' ? 'terminated' : 'failed',
    total: stored.total,
    pending: Math.max(0, stored.total - lines),
    inFlight: 0,
    ...statusFromCounts(counts),
    // Each line counts the resets its phone received or may have received (the journal's, for
    // phones the campaign had not finished).
    resetsSent: resets,
    startedAt: stored.preparedAt ?? d.startTime.toISOString(),
    updatedAt: termination.at,
    reason: `${describeTermination(termination)}${rebuilt ? '; report rebuilt from the store and the journal' : ''}`,
    reportLocation: store.location(d.workflowId),
    ...(rebuilt ? { reportRebuilt: { after: rebuilt, at: stored.finishedAt ?? termination.at } } : {}),
  };
}

/**
 * For fetchCampaignStatus: the status of a campaign ended from outside, read from this shell's
 * store (its report rebuilt first when it is not yet), or undefined to fall back on what Temporal
 * alone knows.
 */
export function terminatedView(
  ctx: CliContext,
  client: Client,
): (d: WorkflowExecutionDescription) => Promise<CampaignView | undefined> {
  return async (d) => {
    if (!endedOutside(d)) return undefined;
    let store: CampaignStore;
    try {
      store = createCampaignStore(ctx.env);
    } catch {
      return undefined; // the store check of `status` names the misconfiguration
    }
    try {
      const settled = await settleTerminated(client, d, store, (line) => note(ctx, line));
      return settled ? await terminatedStatus(store, d, settled) : undefined;
    } catch (err) {
      // What Temporal knows is still worth showing; `report` retries the rebuild and fails loudly.
      note(
        ctx,
        `cannot rebuild the report of ${d.workflowId} from this shell's store: ${(err as Error).message}`,
      );
      return undefined;
    } finally {
      await closeCampaignStore(store);
    }
  };
}

/**
 * For `report`: rebuilds the report of a campaign ended from outside before it is read. When
 * Temporal cannot say how the campaign ended (unreachable, history gone), the store is read as
 * it is.
 */
export async function settleTerminatedReport(
  ctx: CliContext,
  store: CampaignStore,
  id: string,
): Promise<void> {
  let session;
  try {
    session = await connectTemporal(ctx.env);
  } catch {
    return;
  }
  try {
    const d = await describeCampaign(session.client, id).catch(() => undefined);
    if (d) await settleTerminated(session.client, d, store, (line) => note(ctx, line));
  } finally {
    await session.connection.close();
  }
}
