import type { ReportLine } from '../campaign/outcome';
import type { JournalEntry, JournalUnreadable } from './campaign-store';
import { jobsFor, type JobJournal } from '../campaign/work-item';

/**
 * How a campaign ended without a line for each of its phones: its workflow ended from outside
 * Temporal's reach of its code, or it failed (its report short of lines at its end, or its
 * workflow failed before assembling it).
 */
export interface Termination {
  /**
   * `temporal workflow terminate` (or the UI's Terminate), an execution/run timeout, or a failure
   * (`reason` says which).
   */
  how: 'terminated' | 'timed out' | 'failed';
  /** Who terminated it and why, as the history's close event records them. */
  identity?: string;
  reason?: string;
  /** When the workflow closed (ISO): the rebuilt lines' `finished_at`. */
  at: string;
}

/** "terminated by ops@host: maintenance", "timed out", "failed: …". */
export function describeTermination(t: Termination): string {
  if (t.how === 'timed out') return 'timed out (its Temporal execution or run timeout)';
  if (t.how === 'failed') return `failed${t.reason ? `: ${t.reason}` : ''}`;
  const by = t.identity ? ` by ${t.identity}` : '';
  return `terminated${by}${t.reason ? `: ${t.reason}` : ''}`;
}

export const TERMINATED_CODE = {
  terminated: 'TERMINATED',
  'timed out': 'WORKFLOW_TIMED_OUT',
  failed: 'CAMPAIGN_FAILED',
} as const;

/** What one journal says of one of its phones. */
export interface Claim {
  resets: number;
  jobId: string;
  detail: string;
  submittedAt: number;
}

/**
 * What an item's journal says its call did to one of its phones. The API has no idempotency key,
 * so the count errs high, never low: an accepted call reset the phones it has a job for (and may
 * have reset those it left without one), a mark not answered is a call that may have gone out
 * when the workflow ended, and the died calls a journal carries (`uncertain`) may each have reset
 * every phone of the item.
 */
export function claimOf(
  journal: JobJournal,
  instanceId: string,
  jobId: string | undefined,
  how: Termination['how'],
): Claim {
  const carried = journal.uncertain ?? 0;
  const before = (journal.item?.resets ?? 0) + carried;
  const latest = journal.why ? ` (the latest: ${journal.why})` : '';
  const earlier = carried > 0 ? `; ${carried} earlier call${carried === 1 ? '' : 's'} may have reset it${latest}` : '';
  const at = journal.submittedAt;
  const held = journal.screened?.[instanceId];
  if (held) {
    return { resets: before, jobId: '', detail: `held back from its batch's call: ${held.message}${earlier}`, submittedAt: at };
  }
  if (journal.taskId !== '') {
    // No cmd_job for it, yet the accepted call may have reset it: counted, as resetItem does.
    if (jobId === undefined)
      return {
        resets: before + 1,
        jobId: '',
        detail: `task ${journal.taskId} has no job for this phone, yet may have reset it${earlier}`,
        submittedAt: at,
      };
    return {
      // Each job the call listed for it reset it (KooPhone may list a second one).
      resets: before + Math.max(1, jobsFor(journal, instanceId)),
      jobId,
      detail: `reset accepted (task ${journal.taskId}, job ${jobId}); state unknown: campaign ${how} while the job was running${earlier}`,
      submittedAt: at,
    };
  }
  if (journal.answered)
    return {
      resets: before,
      jobId: '',
      detail: `its last batch-reset call was answered with an error${earlier}`,
      submittedAt: at,
    };
  return {
    resets: before + 1,
    jobId: '',
    detail: `a batch-reset call was in flight and may have reset it${earlier}`,
    submittedAt: at,
  };
}

/**
 * What a journal that cannot be used says of its phones: nothing, but it exists, so a call may
 * have gone (a journal is written before each call): one possible reset, and where it is.
 */
export function claimOfUnreadable(u: JournalUnreadable): Claim {
  return {
    resets: 1,
    jobId: '',
    detail: `JOURNAL_UNREADABLE ${u.where}: ${u.why}; a call it recorded may have reset it (1 possible reset counted)`,
    submittedAt: 0,
  };
}

const BATCH_KEY = /^b(\d{7,})$/;

interface Spool {
  total: number;
  /**
   * The campaign's batch size: maps a first-round batch's key (`b0000042`) to its range for
   * journals written before they named their phones. Unknown: such journals stay unmapped.
   */
  batchSize?: number;
}

interface Mapped {
  entry: JournalEntry;
  jobs?: Map<string, string>;
}

/**
 * The lines of the phones a terminated campaign left without one: `canceled`, with the resets
 * every journal covering the phone counts (the highest: a later item's `resets` already holds the
 * earlier items' calls), the job of an accepted call, and why. Feed it every journal (`add`),
 * then ask for the phones in spool order (`lineFor`).
 */
export class TerminatedLines {
  private readonly ranges: { start: number; end: number; mapped: Mapped }[] = [];
  private readonly byId = new Map<string, Mapped[]>();
  private active: { end: number; mapped: Mapped }[] = [];
  private nextRange = 0;
  private sorted = false;
  private lastPosition = -1;
  /** Keys of journals whose phones cannot be told (written by an earlier version). */
  readonly unmapped: string[] = [];

  constructor(
    private readonly termination: Termination,
    private readonly spool: Spool,
  ) {}

  add(entry: JournalEntry): void {
    if (this.sorted) throw new Error('TerminatedLines: add every journal before the first line');
    const item = entry.journal?.item;
    const mapped: Mapped = { entry };
    if (item?.ids) {
      for (const id of item.ids) this.byId.set(id, [...(this.byId.get(id) ?? []), mapped]);
      return;
    }
    const range = item?.range ?? this.batchRange(entry.key);
    if (!range) this.unmapped.push(entry.key);
    else this.ranges.push({ ...range, mapped });
  }

  private batchRange(key: string): { start: number; end: number } | undefined {
    const m = BATCH_KEY.exec(key);
    const size = this.spool.batchSize;
    if (!m || !size) return undefined;
    const start = Number(m[1]) * size;
    return { start, end: Math.min(start + size, this.spool.total) };
  }

  /** The line of the phone at spool `position` (ascending from call to call). */
  lineFor(position: number, instanceId: string): ReportLine {
    if (position <= this.lastPosition) throw new Error('TerminatedLines: positions must ascend');
    this.lastPosition = position;
    if (!this.sorted) {
      this.ranges.sort((a, b) => a.start - b.start);
      this.sorted = true;
    }
    while (this.nextRange < this.ranges.length && this.ranges[this.nextRange]!.start <= position) {
      const r = this.ranges[this.nextRange++]!;
      this.active.push({ end: r.end, mapped: r.mapped });
    }
    this.active = this.active.filter((a) => a.end > position);
    let best: Claim | undefined;
    for (const mapped of [...this.active.map((a) => a.mapped), ...(this.byId.get(instanceId) ?? [])]) {
      const { journal, unreadable } = mapped.entry;
      const claim = unreadable
        ? claimOfUnreadable(unreadable)
        : claimOf(journal, instanceId, jobOf(mapped, instanceId), this.termination.how);
      if (
        !best ||
        claim.resets > best.resets ||
        (claim.resets === best.resets && claim.submittedAt > best.submittedAt)
      )
        best = claim;
    }
    const t = this.termination;
    return {
      instance_id: instanceId,
      outcome: 'canceled',
      resets: best?.resets ?? 0,
      job_id: best?.jobId ?? '',
      error_code: TERMINATED_CODE[t.how],
      error_msg: `campaign ${describeTermination(t)}: ${best?.detail ?? 'never sent'}`,
      finished_at: t.at,
    };
  }
}

function jobOf(mapped: Mapped, instanceId: string): string | undefined {
  const { journal } = mapped.entry;
  if (!journal || journal.taskId === '') return undefined;
  mapped.jobs ??= new Map(journal.jobs.map((j) => [j.instanceId, j.jobId]));
  return mapped.jobs.get(instanceId);
}
