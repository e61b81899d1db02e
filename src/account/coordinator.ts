import {
  isGrpcDeadlineError,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { fromPayloadsAtIndex, type Payload, type PayloadConverter } from '@temporalio/common';
import { OwnPartError, type OwnPartFault } from '../campaign/blocking';
import { applyChange, hasLimits } from '../campaign/rate-share';
import {
  ACCOUNT_TASK_QUEUE,
  ACCOUNT_WORKFLOW,
  ACCOUNT_WORKFLOW_ID,
  accountQuery,
  joinAccountUpdate,
  setAccountLimitsUpdate,
  type AccountCoordinatorWorkflow,
  type AccountLimitsChange,
  type AccountView,
  type JoinAnswer,
} from '../workflows/account-definitions';
import {
  coordinatorFault,
  foldRecord,
  NO_ANSWER,
  NO_WORKER,
  NOT_RECREATED,
  orphaned,
  recreates,
  type AccountRecord,
  type CoordinatorFound,
  type RecordEvent,
} from './record';

// The account coordinator seen from outside (campaigns' join activity, every worker's keeper,
// the CLI): where it runs, what its history records, and re-creating it from that record. The
// decisions are in ./record.ts; docs/design.md, "The account coordinator", tells the whole story.

/** The coordinator answers in milliseconds when a worker polls its task queue; longer means none does. */
export const ANSWER_TIMEOUT_MS = 15_000;
const SUMMARY = 'KooPhone account rate limits, shared by every running campaign of the namespace';

/** The coordinator's latest run, as the server describes it (no worker needed). */
export async function findCoordinator(client: Client): Promise<CoordinatorFound> {
  try {
    const d = await client.workflow.getHandle(ACCOUNT_WORKFLOW_ID).describe();
    if (d.status.name === 'RUNNING') return { status: 'running', runId: d.runId, taskQueue: d.taskQueue };
    return {
      status: 'ended',
      runId: d.runId,
      taskQueue: d.taskQueue,
      endedAs: d.status.name,
      ...(d.closeTime ? { endedAt: d.closeTime.getTime() } : {}),
    };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { status: 'none' };
    throw err;
  }
}

const msOf = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;

/** A history as the SDK gives it (fetchHistory, historyFromJSON). */
type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;

/** The events of a coordinator's history the record is folded from, their payloads decoded. */
export function recordEvents(history: History, converter: PayloadConverter): RecordEvent[] {
  const first = (payloads: Payload[] | null | undefined): unknown => {
    try {
      return fromPayloadsAtIndex(converter, 0, payloads);
    } catch {
      return undefined; // not ours to read: the fold ignores it
    }
  };
  const events: RecordEvent[] = [];
  for (const e of history.events ?? []) {
    const at = msOf(e.eventTime);
    const started = e.workflowExecutionStartedEventAttributes;
    const accepted = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    const signaled = e.workflowExecutionSignaledEventAttributes;
    if (started) events.push({ kind: 'started', at, input: first(started.input?.payloads) });
    else if (accepted?.name) {
      events.push({ kind: 'update', at, name: accepted.name, arg: first(accepted.args?.payloads) });
    } else if (signaled?.signalName) {
      events.push({ kind: 'signal', at, name: signaled.signalName, arg: first(signaled.input?.payloads) });
    }
  }
  return events;
}

/** The limits and members one run of the coordinator holds, folded from its history. */
export async function readRecord(client: Client, runId: string): Promise<AccountRecord> {
  const history = await client.workflow.getHandle(ACCOUNT_WORKFLOW_ID, runId).fetchHistory();
  return foldRecord(recordEvents(history, client.options.loadedDataConverter.payloadConverter));
}

/**
 * How many workers poll `taskQueue` for workflow tasks, as the server saw them lately (it lists a
 * poller for a few minutes after its last poll: none listed means no worker for certain), or
 * undefined when the server did not say in time.
 */
export async function pollersOf(
  client: Client,
  taskQueue: string,
  timeoutMs = 3000,
): Promise<number | undefined> {
  try {
    const res = await client.withDeadline(Date.now() + timeoutMs, () =>
      client.workflowService.describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
      }),
    );
    return (res.pollers ?? []).length;
  } catch {
    return undefined;
  }
}

/** Starts a coordinator on the account's task queue holding `record` (or joins the one a racer started). */
async function recreate(client: Client, record: AccountRecord): Promise<string> {
  const handle = await client.workflow.start<AccountCoordinatorWorkflow>(ACCOUNT_WORKFLOW, {
    workflowId: ACCOUNT_WORKFLOW_ID,
    taskQueue: ACCOUNT_TASK_QUEUE,
    args: [record],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: SUMMARY,
  });
  return handle.firstExecutionRunId;
}

/** What keepCoordinator found, and what it did about it. */
export interface Kept {
  /** The coordinator now: none (no limit recorded), or running. */
  found: Extract<CoordinatorFound, { status: 'none' | 'running' }>;
  /** It had ended with a limit recorded: re-created from its record. */
  recreated?: { from: Extract<CoordinatorFound, { status: 'ended' }>; record: AccountRecord };
  /** None runs: the call at hand creates it (a change of the limits). */
  creating?: boolean;
  /** It ran on a task queue no worker polls: ended there and re-created on the account's. */
  moved?: { from: Extract<CoordinatorFound, { status: 'running' }>; record: AccountRecord };
}

/**
 * Makes sure the recorded limits are served: a coordinator that ended (terminated) with a limit
 * recorded is re-created with its limits and the campaigns that hold a share; one on a task queue
 * no worker polls (an earlier version's) is moved to the account's queue, which every worker
 * polls. Run by every worker every 30 s, by a campaign before it joins, and by `account`.
 * Throws an OwnPartError (NOT_RECREATED) when an ended coordinator cannot be re-created.
 */
export async function keepCoordinator(client: Client): Promise<Kept> {
  const found = await findCoordinator(client);
  if (found.status === 'none') return { found };
  if (found.status === 'ended') {
    const record = await readRecord(client, found.runId);
    if (!recreates(record)) return { found: { status: 'none' } };
    try {
      const runId = await recreate(client, record);
      return {
        found: { status: 'running', runId, taskQueue: ACCOUNT_TASK_QUEUE },
        recreated: { from: found, record },
      };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      throw new OwnPartError(
        coordinatorFault({ code: NOT_RECREATED, endedAs: found.endedAs, limits: record.limits, error }),
        { cause: err },
      );
    }
  }
  if (!orphaned(found, await pollersOf(client, found.taskQueue))) return { found };
  const record = await readRecord(client, found.runId);
  await client.workflow
    .getHandle(ACCOUNT_WORKFLOW_ID, found.runId)
    .terminate(
      `moved to task queue ${ACCOUNT_TASK_QUEUE}, which every worker polls: no worker polls ${found.taskQueue}`,
    )
    .catch((err: unknown) => {
      // Another worker moved it first.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
  if (!recreates(record)) return { found: { status: 'none' } };
  const runId = await recreate(client, record);
  return {
    found: { status: 'running', runId, taskQueue: ACCOUNT_TASK_QUEUE },
    moved: { from: found, record },
  };
}

/**
 * Throws the coordinator fault of one that does not answer: none polls its task queue, or some do
 * and it still did not answer (a failing workflow task).
 */
async function silence(
  client: Client,
  kept: Kept,
  taskQueue: string,
  waitedMs: number,
  cause?: unknown,
): Promise<never> {
  const pollers = await pollersOf(client, taskQueue);
  const fault =
    pollers === 0
      ? coordinatorFault({
          code: NO_WORKER,
          taskQueue,
          ...(kept.recreated ? { recreated: kept.recreated.from.endedAs } : {}),
          ...(kept.creating ? { creating: true } : {}),
        })
      : coordinatorFault({ code: NO_ANSWER, taskQueue, pollers, waitedMs });
  throw new OwnPartError(fault, cause === undefined ? undefined : { cause });
}

/** Runs `call` against the coordinator, or throws its fault when it does not answer within `timeoutMs`. */
async function answered<T>(
  client: Client,
  kept: Kept,
  call: () => Promise<T>,
  timeoutMs: number,
): Promise<T> {
  const found = kept.found as Extract<CoordinatorFound, { status: 'running' }>;
  // Nobody polls its task queue: no need to wait to know it will not answer.
  if ((await pollersOf(client, found.taskQueue)) === 0) return silence(client, kept, found.taskQueue, 0);
  // A deadline, not an abort signal: a worker's client (the campaigns' join and probes run on its
  // NativeConnection) ignores abort signals (@temporalio/worker 1.x), and an update no worker
  // takes is sent again each time the server ends the request: a deadline ends every request.
  const deadline = Date.now() + timeoutMs;
  try {
    return await client.withDeadline(deadline, call);
  } catch (err) {
    const late =
      Date.now() >= deadline ||
      isGrpcDeadlineError(err) ||
      err instanceof WorkflowUpdateRPCTimeoutOrCancelledError;
    if (late) return silence(client, kept, found.taskQueue, timeoutMs, err);
    throw err;
  }
}

/**
 * A campaign joins the account's coordinator before its first call and gets its share. Resolves
 * null when no account limit is recorded (never set, or cleared before the coordinator ended): the
 * campaign keeps its own rate. Throws an OwnPartError when a limit is recorded and no coordinator
 * answers: the campaign is blocked, never silently unlimited.
 */
export async function joinCoordinator(
  client: Client,
  member: { campaignId: string; rate: number },
  timeoutMs = ANSWER_TIMEOUT_MS,
): Promise<JoinAnswer | null> {
  const kept = await keepCoordinator(client);
  if (kept.found.status === 'none') return null;
  const handle = client.workflow.getHandle(ACCOUNT_WORKFLOW_ID);
  return answered(client, kept, () => handle.executeUpdate(joinAccountUpdate, { args: [member] }), timeoutMs);
}

/**
 * The coordinator's view (limits, campaigns and shares), re-creating an ended one first; undefined
 * when no limit is recorded. Throws an OwnPartError when it does not answer.
 */
export async function readCoordinator(
  client: Client,
  timeoutMs = ANSWER_TIMEOUT_MS,
): Promise<{ view: AccountView | undefined; kept: Kept }> {
  const kept = await keepCoordinator(client);
  if (kept.found.status === 'none') return { view: undefined, kept };
  const handle = client.workflow.getHandle(ACCOUNT_WORKFLOW_ID);
  return { view: await answered(client, kept, () => handle.query(accountQuery), timeoutMs), kept };
}

/**
 * A change of the limits no coordinator confirmed: none polls its task queue (nothing was sent,
 * nothing changed), or it did not answer in time. `recorded`: the change made the coordinator,
 * whose start input (its record) holds the new limits, so campaigns wait for a worker to serve it;
 * otherwise the change waits unconfirmed in the running coordinator's queue of updates.
 */
export class LimitsNotConfirmed extends Error {
  constructor(
    readonly fault: OwnPartFault,
    readonly recorded: boolean,
    options?: { cause?: unknown },
  ) {
    super(fault.message, options);
    this.name = 'LimitsNotConfirmed';
  }
}

/**
 * Changes the account's limits (`account --rate/--query-rate/--clear`): update-with-start on the
 * account's task queue, so the first change creates the coordinator there whatever the shell's
 * task queue, with the new limits in its start input (its record) from the start. Nothing is sent
 * when no worker polls the queue the coordinator runs on (LimitsNotConfirmed, not recorded).
 */
export async function setCoordinatorLimits(
  client: Client,
  change: AccountLimitsChange,
  timeoutMs = ANSWER_TIMEOUT_MS,
): Promise<{ view: AccountView; kept: Kept }> {
  const kept = await keepCoordinator(client);
  // Nothing to clear: no coordinator is made for it.
  if (kept.found.status === 'none' && !hasLimits(applyChange({}, change))) {
    return { view: { limits: {}, campaigns: [], updatedAt: new Date().toISOString() }, kept };
  }
  const start = new WithStartWorkflowOperation<AccountCoordinatorWorkflow>(ACCOUNT_WORKFLOW, {
    workflowId: ACCOUNT_WORKFLOW_ID,
    taskQueue: ACCOUNT_TASK_QUEUE,
    args: [{ limits: applyChange({}, change) }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: SUMMARY,
  });
  const creates = kept.found.status === 'none';
  const target: Kept = creates
    ? { found: { status: 'running', runId: '', taskQueue: ACCOUNT_TASK_QUEUE }, creating: true }
    : kept;
  try {
    const view = await answered(
      client,
      target,
      () =>
        client.workflow.executeUpdateWithStart(setAccountLimitsUpdate, {
          args: [change],
          startWorkflowOperation: start,
        }),
      timeoutMs,
    );
    return { view, kept };
  } catch (err) {
    if (!(err instanceof OwnPartError)) throw err;
    throw new LimitsNotConfirmed(err.fault, creates && err.fault.code !== NO_WORKER, { cause: err });
  }
}
