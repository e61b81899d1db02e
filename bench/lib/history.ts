// Temporal figures of one campaign from its event histories: billed actions by Temporal Cloud's
// definition, the longest run, and the largest payload. Every run of the workflow is visited by
// following the continue-as-new chain from the first run (each run's last event names the next).
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { tsToMs } from '@temporalio/common/lib/time';
import { HEARTBEAT_THROTTLE_MS } from '../../src/campaign/lane';

type HistoryEvent = NonNullable<History['events']>[number];

export interface ActionBreakdown {
  /** Workflow start and every continue-as-new run start. */
  workflowStarts: number;
  /** ActivityTaskScheduled, plus attempt − 1 for each activity that needed retries. */
  activityAttempts: number;
  /** Of activityAttempts: the extra attempts (retries). */
  activityRetries: number;
  /** Estimated from activity durations (heartbeats are not history events); see estimateHeartbeats. */
  heartbeats: number;
  timers: number;
  signals: number;
  updates: number;
  /** StartChildWorkflowExecutionInitiated × 2 (the start and the child's own workflow start). */
  childStarts: number;
  /** UpsertWorkflowSearchAttributes (billed on Temporal Cloud as a workflow action). */
  searchAttributeUpserts: number;
  /** Queries are not in history; the harness sends none. */
  queries: number;
}

export interface HistoryFigures {
  runs: number;
  totalEvents: number;
  /** Events of the longest single run. */
  maxHistoryEvents: number;
  /** Largest single payload (`data` bytes) in any event of any run. */
  maxPayloadBytes: number;
  /** Largest sum of payload bytes in one event (e.g. a continue-as-new input with several payloads). */
  maxEventPayloadBytes: number;
  actions: ActionBreakdown;
  totalActions: number;
  /** Longest activity, start to close, in seconds. */
  maxActivitySeconds: number;
  /** Where the campaign's time went, in seconds from the first run's start. */
  timeline: Timeline;
}

/**
 * The activities that send batch-reset calls and track their jobs: the lane engine's `runLane`
 * (one per lane and term), the first engine's `resetBatch` (one per call).
 */
const WORK_ACTIVITIES = new Set(['runLane', 'resetBatch']);

export interface Timeline {
  /** prepareCampaign closed (ids read, validated and spooled). */
  prepared: number;
  /** The first work activity (lane or batch) started. */
  firstBatchStarted: number | null;
  /** The last work activity closed. */
  lastBatchClosed: number | null;
  /** finalizeReport started (every outcome known; the report is written from here). */
  finalizeStarted: number | null;
  /** The last run closed (report finalized, result returned). */
  closed: number;
  /**
   * Per continue-as-new: seconds between the last work activity the old run scheduled and the
   * first the new run scheduled.
   */
  continueAsNewGaps: number[];
  /** Mean seconds from a work activity being scheduled to its worker picking it up. */
  meanScheduleToStart: number;
  /** Mean work activity start-to-close, seconds. */
  meanBatchSeconds: number;
  /**
   * resetBatch close minus the rate slot the workflow gave it (`slotAt` in the activity input):
   * ≈ first poll time at which its jobs have ended when the call goes out in its slot; more when
   * calls leave later than their slots. Null for lanes (they pace their own calls).
   */
  meanSlotToCloseSeconds: number | null;
  maxSlotToCloseSeconds: number | null;
}

/**
 * The SDK's heartbeat throttle: 0.8 × heartbeatTimeout, at most the worker's
 * maxHeartbeatThrottleInterval (src/worker.ts sets it to HEARTBEAT_THROTTLE_MS).
 */
function throttleMs(heartbeatTimeoutMs: number): number {
  return Math.min(0.8 * heartbeatTimeoutMs, HEARTBEAT_THROTTLE_MS);
}

/**
 * Recorded heartbeats of one activity, estimated from its duration; the SDK sends the first one
 * at once and then at most one per throttle interval. A lane heartbeats every second from its
 * start (src/activities/run-lane.ts); a batch activity (src/activities/track-jobs.ts) only once
 * tracking has run heartbeatTimeout / 3 and then on each poll. Counting from the activity's start
 * (pacer wait included) makes this an upper bound.
 */
export function estimateHeartbeats(durationMs: number, heartbeatTimeoutMs: number, activity = 'resetBatch'): number {
  if (heartbeatTimeoutMs <= 0) return 0;
  const from = activity === 'runLane' ? 0 : heartbeatTimeoutMs / 3;
  if (durationMs < from) return 0;
  return 1 + Math.floor((durationMs - from) / throttleMs(heartbeatTimeoutMs));
}

function payloadSizes(value: unknown, sizes: number[]): void {
  if (value === null || typeof value !== 'object') return;
  if (value instanceof Uint8Array) return;
  if (Array.isArray(value)) {
    for (const item of value) payloadSizes(item, sizes);
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    if (key === 'data' && child instanceof Uint8Array) sizes.push(child.byteLength);
    else payloadSizes(child, sizes);
  }
}

const emptyActions = (): ActionBreakdown => ({
  workflowStarts: 0,
  activityAttempts: 0,
  activityRetries: 0,
  heartbeats: 0,
  timers: 0,
  signals: 0,
  updates: 0,
  childStarts: 0,
  searchAttributeUpserts: 0,
  queries: 0,
});

/** The `slotAt` of a resetBatch input (JSON payload), when readable. */
function slotOf(event: HistoryEvent): number | undefined {
  const data = event.activityTaskScheduledEventAttributes?.input?.payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    const input = JSON.parse(Buffer.from(data).toString('utf8')) as { slotAt?: unknown };
    return typeof input.slotAt === 'number' ? input.slotAt : undefined;
  } catch {
    return undefined;
  }
}

const ms = (ts: HistoryEvent['eventTime']): number => tsToMs(ts);

export async function analyzeCampaign(
  client: Client,
  workflowId: string,
  firstRunId: string,
): Promise<HistoryFigures> {
  const figures: HistoryFigures = {
    runs: 0,
    totalEvents: 0,
    maxHistoryEvents: 0,
    maxPayloadBytes: 0,
    maxEventPayloadBytes: 0,
    actions: emptyActions(),
    totalActions: 0,
    maxActivitySeconds: 0,
    timeline: {
      prepared: 0,
      firstBatchStarted: null,
      lastBatchClosed: null,
      finalizeStarted: null,
      closed: 0,
      continueAsNewGaps: [],
      meanScheduleToStart: 0,
      meanBatchSeconds: 0,
      meanSlotToCloseSeconds: null,
      maxSlotToCloseSeconds: null,
    },
  };
  const a = figures.actions;
  let origin: number | undefined;
  let firstBatchStarted = Infinity;
  let lastBatchClosed = 0;
  let preparedAt = 0;
  let finalizeStartedAt: number | undefined;
  let closedAt = 0;
  let scheduleToStart = 0;
  let batchTime = 0;
  let batches = 0;
  let slotToClose = 0;
  let slotted = 0;
  let maxSlotToClose = 0;
  // Per run: the first and last batch scheduled, to measure the hand-over gaps.
  const runSpans: { firstScheduled: number; lastScheduled: number }[] = [];
  let runId: string | undefined = firstRunId;
  const seen = new Set<string>();
  while (runId && !seen.has(runId)) {
    seen.add(runId);
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    figures.runs += 1;
    figures.totalEvents += events.length;
    figures.maxHistoryEvents = Math.max(figures.maxHistoryEvents, events.length);

    const scheduled = new Map<
      string,
      { heartbeatTimeoutMs: number; name: string; at: number; slotAt?: number }
    >();
    const started = new Map<string, number>();
    const span = { firstScheduled: Infinity, lastScheduled: 0 };
    runSpans.push(span);
    let next: string | undefined;
    for (const event of events) {
      const sizes: number[] = [];
      payloadSizes(event, sizes);
      for (const s of sizes) figures.maxPayloadBytes = Math.max(figures.maxPayloadBytes, s);
      figures.maxEventPayloadBytes = Math.max(
        figures.maxEventPayloadBytes,
        sizes.reduce((n, s) => n + s, 0),
      );
      const id = String(event.eventId ?? '');
      const at = ms(event.eventTime);
      origin ??= at;
      closedAt = Math.max(closedAt, at);
      if (event.workflowExecutionStartedEventAttributes) a.workflowStarts += 1;
      else if (event.activityTaskScheduledEventAttributes) {
        a.activityAttempts += 1;
        const hb = event.activityTaskScheduledEventAttributes.heartbeatTimeout;
        const name = event.activityTaskScheduledEventAttributes.activityType?.name ?? '';
        scheduled.set(id, { heartbeatTimeoutMs: hb ? tsToMs(hb) : 0, name, at, slotAt: slotOf(event) });
        if (WORK_ACTIVITIES.has(name)) {
          span.firstScheduled = Math.min(span.firstScheduled, at);
          span.lastScheduled = Math.max(span.lastScheduled, at);
        }
      } else if (event.activityTaskStartedEventAttributes) {
        const attrs = event.activityTaskStartedEventAttributes;
        const extra = Math.max(0, (attrs.attempt ?? 1) - 1);
        a.activityAttempts += extra;
        a.activityRetries += extra;
        started.set(id, at);
        if (scheduled.get(String(attrs.scheduledEventId ?? ''))?.name === 'finalizeReport')
          finalizeStartedAt ??= at;
      } else if (
        event.activityTaskCompletedEventAttributes ||
        event.activityTaskFailedEventAttributes ||
        event.activityTaskTimedOutEventAttributes ||
        event.activityTaskCanceledEventAttributes
      ) {
        const attrs =
          event.activityTaskCompletedEventAttributes ??
          event.activityTaskFailedEventAttributes ??
          event.activityTaskTimedOutEventAttributes ??
          event.activityTaskCanceledEventAttributes;
        const startedAt = started.get(String(attrs?.startedEventId ?? ''));
        const sched = scheduled.get(String(attrs?.scheduledEventId ?? ''));
        if (sched?.name === 'prepareCampaign') preparedAt = at;
        if (startedAt !== undefined && sched !== undefined && WORK_ACTIVITIES.has(sched.name)) {
          firstBatchStarted = Math.min(firstBatchStarted, startedAt);
          lastBatchClosed = Math.max(lastBatchClosed, at);
          scheduleToStart += startedAt - sched.at;
          batchTime += at - startedAt;
          batches += 1;
          if (sched.slotAt !== undefined) {
            slotted += 1;
            slotToClose += at - sched.slotAt;
            maxSlotToClose = Math.max(maxSlotToClose, at - sched.slotAt);
          }
        }
        if (startedAt !== undefined) {
          const duration = at - startedAt;
          figures.maxActivitySeconds = Math.max(figures.maxActivitySeconds, duration / 1000);
          a.heartbeats += estimateHeartbeats(duration, sched?.heartbeatTimeoutMs ?? 0, sched?.name);
        }
      } else if (event.timerStartedEventAttributes) a.timers += 1;
      else if (event.workflowExecutionSignaledEventAttributes) a.signals += 1;
      else if (event.workflowExecutionUpdateAcceptedEventAttributes) a.updates += 1;
      else if (event.startChildWorkflowExecutionInitiatedEventAttributes) a.childStarts += 2;
      else if (event.upsertWorkflowSearchAttributesEventAttributes) a.searchAttributeUpserts += 1;
      else if (event.workflowExecutionContinuedAsNewEventAttributes) {
        next = event.workflowExecutionContinuedAsNewEventAttributes.newExecutionRunId ?? undefined;
      }
    }
    runId = next;
  }
  const o = origin ?? 0;
  const sec = (t: number) => Math.round((t - o) / 10) / 100;
  figures.timeline = {
    prepared: sec(preparedAt),
    firstBatchStarted: Number.isFinite(firstBatchStarted) ? sec(firstBatchStarted) : null,
    lastBatchClosed: batches > 0 ? sec(lastBatchClosed) : null,
    finalizeStarted: finalizeStartedAt === undefined ? null : sec(finalizeStartedAt),
    closed: sec(closedAt),
    continueAsNewGaps: runSpans
      .slice(1)
      .map((next, i) => ({ prev: runSpans[i]!, next }))
      .filter(({ prev, next }) => prev.lastScheduled > 0 && Number.isFinite(next.firstScheduled))
      .map(({ prev, next }) => Math.round((next.firstScheduled - prev.lastScheduled) / 10) / 100),
    meanScheduleToStart: batches > 0 ? Math.round(scheduleToStart / batches / 10) / 100 : 0,
    meanBatchSeconds: batches > 0 ? Math.round(batchTime / batches / 10) / 100 : 0,
    meanSlotToCloseSeconds: slotted > 0 ? Math.round(slotToClose / slotted / 10) / 100 : null,
    maxSlotToCloseSeconds: slotted > 0 ? Math.round(maxSlotToClose / 10) / 100 : null,
  };
  figures.totalActions =
    a.workflowStarts +
    a.activityAttempts +
    a.heartbeats +
    a.timers +
    a.signals +
    a.updates +
    a.childStarts +
    a.searchAttributeUpserts +
    a.queries;
  return figures;
}

/** The runs Temporal's visibility lists for the workflow id (a cross-check of the chain walk). */
export async function listedRuns(client: Client, workflowId: string): Promise<number> {
  let n = 0;
  for await (const _ of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n += 1;
  return n;
}
