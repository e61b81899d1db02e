// Pure (no I/O): what the account coordinator's history records, and what to do about a
// coordinator that ended or that no worker serves. The I/O is in ./coordinator.ts.
import type { OwnPartFault } from '../campaign/blocking';
import { ACCOUNT_TASK_QUEUE, ACCOUNT_WORKFLOW_ID } from '../campaign/account-names';
import {
  applyChange,
  hasLimits,
  type AccountLimits,
  type AccountLimitsChange,
  type AccountMember,
} from '../campaign/rate-share';

/**
 * The account's limits and the campaigns that hold a share, as one run of the coordinator holds
 * them. Folded from the run's history, which the server keeps after the run ends (for the
 * namespace's retention, 1 day on the dev server, days to weeks in production): a terminated
 * coordinator is re-created from it with the same limits and members.
 */
export interface AccountRecord {
  limits: AccountLimits;
  members: AccountMember[];
}

/** One event of a coordinator's history, its payload decoded (`at`: the event's time, epoch ms). */
export type RecordEvent =
  | { kind: 'started'; at: number; input: unknown }
  | { kind: 'update'; at: number; name: string; arg: unknown }
  | { kind: 'signal'; at: number; name: string; arg: unknown };

const LIMIT_NAMES = ['rate', 'queryRate'] as const;

const isLimit = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 10_000;

/** The limits of a start input or a `setLimits` update, keeping only well-formed values. */
function limitsOf(v: unknown): AccountLimits {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  return Object.fromEntries(LIMIT_NAMES.filter((k) => isLimit(o[k])).map((k) => [k, o[k]]));
}

function changeOf(v: unknown): AccountLimitsChange {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const change: AccountLimitsChange = {};
  for (const k of LIMIT_NAMES) {
    if (o[k] === null) change[k] = null;
    else if (isLimit(o[k])) change[k] = o[k];
  }
  return change;
}

function memberOf(v: unknown, at: number): AccountMember | undefined {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (typeof o.campaignId !== 'string' || o.campaignId === '' || !isLimit(o.rate)) return undefined;
  return {
    campaignId: o.campaignId,
    rate: o.rate,
    joinedAt: typeof o.joinedAt === 'number' ? o.joinedAt : at,
  };
}

/**
 * The record one coordinator run's history holds: its start input (the limits and members an
 * earlier run carried over, or the CLI gave), then every accepted `setLimits` and `join` update
 * and every `leave` signal, applied as the coordinator applies them. Campaigns the coordinator
 * dropped because they no longer run are still in it (the drop is no event): a re-created
 * coordinator drops them again at once (its signal to them fails).
 */
export function foldRecord(events: readonly RecordEvent[]): AccountRecord {
  let limits: AccountLimits = {};
  const members = new Map<string, AccountMember>();
  for (const e of events) {
    if (e.kind === 'started') {
      const input = (typeof e.input === 'object' && e.input !== null ? e.input : {}) as Record<
        string,
        unknown
      >;
      limits = limitsOf(input.limits);
      members.clear();
      for (const m of Array.isArray(input.members) ? input.members : []) {
        const member = memberOf(m, e.at);
        if (member) members.set(member.campaignId, member);
      }
    } else if (e.kind === 'update' && e.name === 'setLimits') {
      limits = applyChange(limits, changeOf(e.arg));
    } else if (e.kind === 'update' && e.name === 'join') {
      const member = memberOf(e.arg, e.at);
      if (member) members.set(member.campaignId, member);
    } else if (e.kind === 'signal' && e.name === 'leave' && typeof e.arg === 'string') {
      members.delete(e.arg);
    }
  }
  return { limits, members: [...members.values()] };
}

/**
 * Where the coordinator stands, as the server describes its latest run: none (no limit was ever
 * set, or its history is past retention), running on a task queue, or ended (terminated, failed,
 * timed out: it never ends by itself).
 */
export type CoordinatorFound =
  | { status: 'none' }
  | { status: 'running'; runId: string; taskQueue: string }
  | { status: 'ended'; runId: string; taskQueue: string; endedAs: string; endedAt?: number };

/**
 * An ended coordinator with a limit recorded is re-created (the limit must not be dropped by a
 * terminate: `account --clear` removes it); one that ended without a limit had none to keep.
 */
export function recreates(record: AccountRecord): boolean {
  return hasLimits(record.limits);
}

/**
 * A running coordinator on another task queue than the account's (an earlier version created it
 * on the shell's queue) whose queue no worker polls is orphaned: it is moved (ended and re-created
 * on the account's queue from its record). One served where it is moves by itself when it next
 * continues as new. `pollers` undefined: the server did not say, nothing is moved.
 */
export function orphaned(found: CoordinatorFound, pollers: number | undefined): boolean {
  return found.status === 'running' && found.taskQueue !== ACCOUNT_TASK_QUEUE && pollers === 0;
}

/** Fault codes of the coordinator part (src/campaign/blocking.ts holds their fixes). */
export const NO_WORKER = 'NO_WORKER';
export const NO_ANSWER = 'NO_ANSWER';
export const NOT_RECREATED = 'NOT_RECREATED';

const limitText = (l: AccountLimits) =>
  [
    l.rate !== undefined ? `${l.rate} batch-reset calls/s` : '',
    l.queryRate !== undefined ? `${l.queryRate} other calls/s` : '',
  ]
    .filter(Boolean)
    .join(', ');

/**
 * Why a campaign cannot join the coordinator, as a blocking fault: no worker polls the task queue
 * it runs on, or workers poll it and it did not answer (a failing workflow task), or it ended and
 * could not be re-created.
 */
export function coordinatorFault(
  why:
    | { code: typeof NO_WORKER; taskQueue: string; recreated?: string; creating?: boolean }
    | { code: typeof NO_ANSWER; taskQueue: string; pollers: number | undefined; waitedMs: number }
    | { code: typeof NOT_RECREATED; endedAs: string; limits: AccountLimits; error: string },
): OwnPartFault {
  const who = `the account coordinator (${ACCOUNT_WORKFLOW_ID})`;
  const message =
    why.code === NO_WORKER
      ? `no worker polls task queue ${why.taskQueue}, where ${who} ${why.creating ? 'would run' : 'runs'}` +
        (why.recreated ? ` (re-created after it was ${why.recreated.toLowerCase()})` : '')
      : why.code === NO_ANSWER
        ? `${who} did not answer within ${Math.round(why.waitedMs / 1000)} s although ${why.pollers ?? 'some'} worker(s) poll its task queue ${why.taskQueue}`
        : `${who} was ${why.endedAs.toLowerCase()} and could not be re-created with the recorded limits (${limitText(why.limits)}): ${why.error}`;
  return { part: 'coordinator', code: why.code, message: `coordinator: ${message}` };
}
