// Pure (no I/O, no Temporal imports): workflow code, activities and the CLI share it.
import { ACCOUNT_TASK_QUEUE, ACCOUNT_WORKFLOW_ID } from './account-names';

/**
 * Our own parts whose failure blocks a campaign instead of failing it (docs/design.md, "Blocked by
 * our own parts"). A part is added here with its fix hint (FIX below), a probe on the worker
 * (PROBES in src/activities/own-parts.ts) and, where its failures come as thrown errors, a way to turn
 * them into an OwnPartError (src/report/store-faults.ts does it for the store).
 *
 * - `store`: the report store (REPORT_DIR / REPORT_SINK) fails or no longer holds the campaign;
 * - `coordinator`: an account limit is recorded and no account coordinator answers;
 * - `credentials`: IAM refuses the worker's credentials, or the worker is of another KooPhone
 *   account than the campaign's (src/activities/credentials.ts);
 * - `source`: the id file a campaign was started from cannot be read (its bytes are compared
 *   before every batch: src/activities/source-check.ts);
 * - `spool`: records of the campaign's spool no longer read as prepare wrote them. It holds only
 *   the batches it touches, the rest goes on (src/campaign/spool-hold.ts).
 */
export const BLOCKING_PARTS = ['store', 'coordinator', 'credentials', 'source', 'spool'] as const;
export type BlockingPart = (typeof BLOCKING_PARTS)[number];

/**
 * One of our own parts failing, as an activity reports it: `code` names the failure (an errno
 * such as ENOSPC, a SQLSTATE, one of STORE_LOST / WRONG_STORE; IAM_401 when IAM refused the
 * credentials, WRONG_ACCOUNT), `message` says where, prefixed with the part
 * ("store: ENOSPC writing /srv/reports/c-1/parts/b0000004.ndjson").
 */
export interface OwnPartFault {
  part: BlockingPart;
  code: string;
  message: string;
}

/** The fault that blocks the campaign now, as the workflow keeps it (times: workflow epoch ms). */
export interface BlockingCause extends OwnPartFault {
  /** When this part began failing (kept while it goes on failing, whatever the code). */
  since: number;
  /** When it last failed: a lane's answer, an activity's, or a probe's. */
  lastAt: number;
  /** Probes that failed since it began: the next probe waits longer (probeDelayMs). */
  probes: number;
}

/** The store no longer holds the campaign: its folder or .store-id is gone, or the database is another. */
export const STORE_LOST = 'STORE_LOST';
/** The activity ran on a worker whose report store is not the campaign's (src/activities/store-guard.ts). */
export const WRONG_STORE = 'WRONG_STORE';
/** Records of the spool (or its seal) read back otherwise than prepare wrote them. */
export const SPOOL_TAMPERED = 'SPOOL_TAMPERED';
/** The activity ran on a worker whose KooPhone account is not the campaign's (src/activities/credentials.ts). */
export const WRONG_ACCOUNT = 'WRONG_ACCOUNT';

const RESUMES = 'nothing is sent meanwhile and the campaign resumes by itself within a minute';

/**
 * What the operator does about each part: a one-line fix, and finer ones for some of its codes
 * (the first that matches wins).
 */
const FIX: Record<BlockingPart, { fix: string; byCode?: [RegExp, string][] }> = {
  store: {
    fix: `fix the report store (REPORT_DIR / REPORT_SINK); ${RESUMES}`,
    byCode: [
      [
        new RegExp(`^${STORE_LOST}$`),
        'restore it from a backup (with its .store-id; the campaign resumes by itself within a minute), ' +
          'or end the campaign without a report: koophone-reset cancel <campaign> --now',
      ],
      [
        new RegExp(`^${WRONG_STORE}$`),
        'give every worker the same REPORT_DIR / REPORT_SINK as the campaign; the campaign resumes by itself',
      ],
      [/^(ENOSPC|EDQUOT|53100)$/, `free space on the report store's disk; ${RESUMES}`],
      [/^(EACCES|EPERM|EROFS)$/, `make the report store writable for the workers again; ${RESUMES}`],
      [/^(EIO|58\w{3})$/, `check the report store's disk (an I/O error); ${RESUMES}`],
      [/^28\w{3}$/, `fix the database user or password in REPORT_SINK on the workers; ${RESUMES}`],
      [
        /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|CONNECTION_LOST|57P\w{2}|08\w{3}|53\w{3}|25006)$/,
        `bring the report store's PostgreSQL back (or the workers' network to it); ${RESUMES}`,
      ],
    ],
  },
  // A campaign joins the coordinator before its first call (an account limit is recorded).
  coordinator: {
    fix: `start a worker (koophone-reset worker): every worker serves the account coordinator on task queue ${ACCOUNT_TASK_QUEUE}; ${RESUMES}`,
    byCode: [
      [
        /^NO_ANSWER$/,
        `see why the coordinator's workflow tasks fail: temporal workflow describe --workflow-id ${ACCOUNT_WORKFLOW_ID} (a worker of an older version?); ${RESUMES}`,
      ],
      [
        /^NOT_RECREATED$/,
        `it is re-created with the recorded limits at the next try, or set them again: koophone-reset account --rate N; ${RESUMES}`,
      ],
    ],
  },
  source: {
    fix:
      'make the id file the campaign was started from readable again for the workers, unchanged (every ' +
      `batch compares it with what the plan read); ${RESUMES}`,
  },
  spool: {
    fix:
      "restore the campaign's spool as prepare wrote it (spool.ids and spool.seal from a backup of REPORT_DIR, " +
      'or the koophone_spool rows): the held batches resume by themselves within a minute; or cancel the ' +
      'campaign: their phones get canceled lines where their records still read true, the others are named ' +
      'in its reason. Nothing of the held batches is sent meanwhile; the rest of the campaign goes on',
  },
  // IAM refused the sign-in (codes IAM_401, IAM_403, …), or the worker talks to another account.
  credentials: {
    fix:
      'fix KOOPHONE_IAM_USERNAME / KOOPHONE_IAM_PASSWORD / KOOPHONE_IAM_DOMAIN / KOOPHONE_IAM_PROJECT on the workers ' +
      'and restart them; meanwhile each worker asks IAM at most once a minute (IAM locks users after repeated ' +
      'failed sign-ins), nothing is sent, and the campaign resumes by itself within a minute of the fix',
    byCode: [
      [
        new RegExp(`^${WRONG_ACCOUNT}$`),
        "run it on workers of the campaign's KooPhone account: give every worker of its task queue the same " +
          'KOOPHONE_ENDPOINT and KOOPHONE_IAM_DOMAIN / KOOPHONE_IAM_PROJECT; nothing is sent meanwhile and the ' +
          'campaign resumes by itself once such a worker runs it',
      ],
    ],
  },
};

/** The fix of a fault, in one clause. */
export function fixFor(f: Pick<OwnPartFault, 'part' | 'code'>): string {
  const hints = FIX[f.part];
  return hints.byCode?.find(([code]) => code.test(f.code))?.[1] ?? hints.fix;
}

/** "store: ENOSPC writing /srv/…/parts/b0000004.ndjson (since 08:12 UTC) — free space …". */
export function describeBlocking(c: BlockingCause): string {
  const since = new Date(c.since).toISOString().slice(11, 16);
  return `${c.message} (since ${since} UTC) — ${fixFor(c)}`;
}

/**
 * The campaign's blocking cause after `fault`: a part that goes on failing keeps its `since` (and
 * its failed probes) and takes the latest code and message.
 */
export function noteBlocked(
  current: BlockingCause | undefined,
  fault: OwnPartFault,
  now: number,
): BlockingCause {
  const message = fault.message.slice(0, MAX_MESSAGE);
  if (current && current.part === fault.part) return { ...current, code: fault.code, message, lastAt: now };
  return { part: fault.part, code: fault.code, message, since: now, lastAt: now, probes: 0 };
}

// Bounded: the cause is carried across continue-as-new and shown in status and the UI's details.
const MAX_MESSAGE = 300;

/**
 * A probe (or a retried write, which is its own probe) failed again: the next waits longer. A
 * fault of the same code keeps the message that named it first (the file a write failed on, not
 * the probe's own).
 */
export function noteProbeFailed(
  cause: BlockingCause,
  fault: OwnPartFault | undefined,
  now: number,
): BlockingCause {
  const again = !fault || (fault.part === cause.part && fault.code === cause.code);
  return {
    ...(again ? { ...cause, lastAt: now } : noteBlocked(cause, fault, now)),
    probes: cause.probes + 1,
  };
}

/** The first probe waits this long after the fault; each failed one doubles it, up to PROBE_MAX_MS. */
export const PROBE_FIRST_MS = 2000;
/**
 * The longest wait between two probes: a part fixed just after a failed probe is seen by the next
 * one, and the campaign resumes within this (plus a probe and a term's start) — under a minute.
 * Each probe is an activity and a timer (billed actions, a few history events).
 */
export const PROBE_MAX_MS = 30_000;

/** How long to wait before the next probe of a cause that failed `probes` probes. */
export function probeDelayMs(probes: number): number {
  return Math.min(PROBE_MAX_MS, PROBE_FIRST_MS * 2 ** Math.min(probes, 10));
}

/**
 * A campaign stopping while its store no longer holds it cannot write a line without re-creating
 * a store half-way. A plain cancel waits for the store to be restored (its lines then written, as
 * every other ending writes them); `cancel --now` ends it without writing anything.
 */
export function endsWithoutWriting(cause: BlockingCause | undefined, stop: { cancelNow: boolean }): boolean {
  return cause !== undefined && cause.code === STORE_LOST && stop.cancelNow;
}

/**
 * An own part's failure, thrown inside a worker; the activity turns it into a blocked answer
 * (never an activity failure) so the workflow sees the cause at once and no attempt is spent.
 */
export class OwnPartError extends Error {
  constructor(
    readonly fault: OwnPartFault,
    options?: { cause?: unknown },
  ) {
    super(fault.message, options);
    this.name = 'OwnPartError';
  }
}

/** What an activity answers instead of its result when an own part fails. */
export interface BlockedAnswer {
  blocked: OwnPartFault;
}

export function isBlockedAnswer(x: unknown): x is BlockedAnswer {
  return (
    typeof x === 'object' &&
    x !== null &&
    'blocked' in x &&
    typeof (x as BlockedAnswer).blocked?.part === 'string'
  );
}

/** Failure type of an activity refused on a worker whose store is not the campaign's (store-guard.ts). */
export const WRONG_REPORT_STORE = 'WrongReportStore';
/** Failure type of an activity refused on a worker whose KooPhone account is not the campaign's (credentials.ts). */
export const WRONG_KOOPHONE_ACCOUNT = 'WrongKoophoneAccount';

/**
 * Activity failures (their ApplicationFailure type) that are own-part faults: Temporal retries
 * them (another worker may have the part right); once their attempts run out the workflow blocks
 * on them instead of failing.
 */
const FAILURE_TYPES: Record<string, Omit<OwnPartFault, 'message'>> = {
  [WRONG_REPORT_STORE]: { part: 'store', code: WRONG_STORE },
  [WRONG_KOOPHONE_ACCOUNT]: { part: 'credentials', code: WRONG_ACCOUNT },
};

/** The fault an activity failure of `type` stands for, or undefined (a bug, KooPhone, input). */
export function faultOfFailure(type: string | undefined, message: string): OwnPartFault | undefined {
  const known = type === undefined ? undefined : FAILURE_TYPES[type];
  return known ? { ...known, message: `${known.part}: ${message}` } : undefined;
}
