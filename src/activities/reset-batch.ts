import { Context } from '@temporalio/activity';
import { OwnPartError } from '../campaign/blocking';
import type { ReportLine } from '../campaign/outcome';
import type { JobJournal, JournaledItem, ResetBatchInput, ResetBatchResult } from '../campaign/work-item';
import type { CampaignMetrics } from '../metrics/campaign-metrics';
import type { CampaignStore } from '../report/campaign-store';
import { describeAnomaly, screenCmdJobs, type Anomaly } from '../campaign/anomalies';
import type { Verdict } from '../campaign/fleet-facts';
import { addPossible, describePossible, withNote } from '../campaign/possible-resets';
import type { KoophoneClient, KoophoneError } from '../koophone';
import { classifySubmitError, submitVerdict } from './classify-submit-error';
import { asOwnPart, credentialsFault } from './credentials';
import { ItemBlocked } from './item-blocked';
import { readItemJournal } from './item-journal';
import { jobsProblem } from '../report/journal-check';
import { VerifiedSpool } from '../report/verified-spool';
import { checkSourceUnchanged } from './source-check';
import type { MissedSlot, SubmitPacer } from './submit-pacer';
import { trackJobs, type TrackedJobs, type TrackHooks } from './track-jobs';
import { uncertainCalls, uncertainWhy } from './uncertain-calls';

export interface ResetBatchDeps {
  client: KoophoneClient;
  store: CampaignStore;
  pacer: SubmitPacer;
  /** Optional operational counters; the activity behaves the same without them. */
  metrics?: CampaignMetrics;
}

/**
 * One work item, end to end: send its batch-reset call in its slot, journal the accepted call
 * before anything else (so a retry after a crash or a hand-over tracks instead of resetting
 * again), follow every job to its end, and write the final outcome lines of the item's instances.
 * Failed jobs with re-resets left go back to the workflow, which decides when to retry them.
 */
export async function resetBatch(deps: ResetBatchDeps, input: ResetBatchInput): Promise<ResetBatchResult> {
  const ctx = Context.current();
  const { pacer } = deps;
  const result = await resetItem(deps, input, {
    attempt: ctx.info.attempt,
    by: `${ctx.info.workflowExecution?.runId ?? ''}/${ctx.info.activityId}`,
    slotExpiry: true,
    gate: () =>
      pacer.wait(
        input.campaignId,
        input.slotAt,
        input.minIntervalMs,
        ctx.info.currentAttemptScheduledTimestampMs,
        input.lateToleranceMs,
      ),
  });
  // A batch activity's gate never says stop: it either sends or hands the slot back.
  return { ...result!, attempt: ctx.info.attempt };
}

/** What one item's call and tracking need to know about the activity that runs them. */
export interface ItemRun {
  attempt: number;
  /** Names the activity in the item's journal (see uncertainCalls). */
  by: string;
  /**
   * Resolves when the call may go: undefined to send now, a missed slot to hand it back, or
   * 'stop' to leave the item untouched (its lane's term ended or it was canceled).
   */
  gate: () => Promise<MissedSlot | undefined | 'stop'>;
  /** Called when the item will make no call (its journal holds an accepted one): its turn goes to the next. */
  noCall?: () => void;
  /** A batch activity's retried attempt hands its expired slot back (see below); a lane paces itself. */
  slotExpiry: boolean;
  /** Called once the mark is written, just before the call goes: when it really goes. */
  sending?: () => void;
  /**
   * Called with 1 when the journal shows a call an earlier attempt of this same activity made
   * and had accepted, then died before reporting it: nobody has counted that call yet.
   */
  unreported?: (calls: number) => void;
  /** Called with how KooPhone answered the call: nothing when accepted, the error's code otherwise. */
  answered?: (error?: { code: string; message: string }) => void;
  /**
   * Called with what an accepted call's answer held that the item cannot use (screenCmdJobs), once:
   * when it came, or when a retry of the same activity finds it in the journal unreported.
   */
  anomalies?: (found: Anomaly[]) => void;
  /** How tracking waits and heartbeats; by default the activity's own. */
  track?: TrackHooks;
  /** Reads the item's slice of the spool; by default the store's readSpool. */
  readSpool?: (start: number, end: number) => Promise<string[]>;
  /**
   * The phones of `ids` the latest fleet listing says must not be sent now (in use, frozen, gone
   * since prepare), with why: they are held back from the call and get their line from it.
   */
  screen?: (ids: readonly string[]) => Record<string, Verdict> | undefined;
}

export type ItemInput = Omit<ResetBatchInput, 'slotAt' | 'minIntervalMs' | 'lateToleranceMs'>;

/**
 * One work item, end to end: send its batch-reset call when the gate opens, journal the accepted
 * call before anything else (so a retry after a crash or a hand-over tracks instead of resetting
 * again), follow every job to its end, and write the final outcome lines of the item's instances.
 * Failed jobs with re-resets left go back to the workflow, which decides when to retry them.
 * Returns null when the gate said stop: nothing was sent and nothing written. A store that fails
 * before the call throws its OwnPartError (nothing was sent); after it, an ItemBlocked saying what
 * the call did, so the lane hands the item back without losing the call (see item-blocked.ts).
 */
export async function resetItem(
  deps: Omit<ResetBatchDeps, 'pacer'>,
  input: ItemInput,
  run: ItemRun,
): Promise<ResetBatchResult | null> {
  const { client, store, metrics } = deps;
  const { campaignId, item } = input;
  const ctx = Context.current();

  // Ids read back are checked before any use: a record that is no instance id, or (with the
  // campaign's seal) one that is not what prepare wrote, is never sent (src/report/verified-spool.ts).
  const readSpool = run.readSpool ?? ((start, end) => new VerifiedSpool(store, campaignId, undefined).read(start, end));
  const itemIds = item.ids ?? (await readSpool(item.range!.start, item.range!.end));
  const read = await readItemJournal(store, campaignId, item, input.seal !== undefined);
  if ('unusable' in read) {
    run.noCall?.();
    return quarantine(deps, input, run, itemIds, read.unusable);
  }
  let journal = read.journal;
  if (journal && journal.taskId !== '') {
    const stray = jobsProblem(journal, itemIds);
    if (stray) {
      run.noCall?.();
      return quarantine(deps, input, run, itemIds, { where: store.journalLocation(campaignId, item.key), why: stray });
    }
  }
  // A mark (a journal without a task) left by a worker that died mid-call: that call may have
  // been applied. Sending again is the only way on (the API has no idempotency key), and the
  // report counts every possible extra reset, however many times workers died.
  const { by } = run;
  const uncertain = uncertainCalls(journal, by, run.attempt, item.resets);
  const why = uncertain > 0 ? uncertainWhy(journal) : undefined;
  // What goes back with every result: the possible resets not yet in item.resets, and why.
  const doubt = (n: number, reason: string | undefined) => ({
    uncertain: n,
    ...(n > 0 && reason ? { uncertainWhy: reason } : {}),
  });
  // Its own earlier attempt's call, accepted or refused, that died before reporting it. One whose
  // answer proved nothing is among `uncertain`, which the lane counts as calls already.
  if (journal && (journal.taskId !== '' || journal.refused) && journal.by === by && run.attempt > 1) {
    if (!journal.possiblyApplied) run.unreported?.(1);
    if (journal.anomalies) run.anomalies?.(journal.anomalies);
  }
  if (journal?.taskId === '') journal = undefined;
  // An accepted call is only tracked: the items behind this one need not wait for it.
  if (journal) run.noCall?.();
  // Every journal names the item's phones: a report rebuilt after a terminate counts its calls.
  const journaled = journaledItem(item);
  // Phones held back from the call (run.screen): decided before it goes, read back from its journal after.
  const screening: { held?: Record<string, Verdict> } = {};
  // The mark left before a call; `answered` once that call was refused or handed back unsent.
  const mark = (answered?: true): JobJournal => ({
    taskId: '',
    jobs: [],
    submittedAt: Date.now(),
    uncertain,
    ...(why ? { why } : {}),
    by,
    ...(answered ? { answered } : {}),
    item: journaled,
    campaign: campaignId,
    key: item.key,
    ...(screening.held ? { screened: screening.held } : {}),
  });
  // A retried attempt (its worker died, or it timed out) still carries the first attempt's slot,
  // long past: sending now would add a call to those the workflow is pacing, and after a worker
  // loss several would go at once. Hand the item back for a fresh slot, with the possible resets.
  if (!journal && run.slotExpiry && run.attempt > 1) {
    await store.writeJournal(campaignId, item.key, mark(true));
    return {
      kind: 'retry',
      code: 'SLOT_EXPIRED',
      message: `attempt ${run.attempt} found no accepted call; submitting again in a new slot`,
      throttled: false,
      ambiguous: false,
      calls: 0,
      ...doubt(uncertain, why),
    };
  }
  let calls = 0;
  const screened = journal ? journal.screened : run.screen?.(itemIds);
  if (screened) screening.held = screened;
  const ids = screened ? itemIds.filter((id) => !(id in screened)) : itemIds;
  const held = heldLines(screened, item, uncertain, why);
  if (ids.length === 0) {
    // Every phone is held back: no call, their lines only.
    await store.writePart(campaignId, item.key, held.lines);
    metrics?.outcomes(held.counts);
    return {
      kind: 'tracked',
      counts: held.counts,
      retryIds: [],
      failedJobs: 0,
      resets: held.resets,
      calls: 0,
      polls: 0,
      ...doubt(uncertain, why),
    };
  }
  if (!journal) {
    if (input.sourceFile && item.range) {
      const changed = await checkSourceUnchanged(input.sourceFile).catch(async (err: unknown) => {
        // An id file under REPORT_DIR/inputs/ vanishes with the store: the store's fault, if it
        // is one, names the cause (the probe throws it); else the file's own (`source`).
        if (err instanceof OwnPartError) await store.probe(campaignId);
        throw err;
      });
      if (changed) {
        return { kind: 'fatal', code: 'SOURCE_CHANGED', message: changed, calls: 0, ...doubt(uncertain, why) };
      }
    }
    const missed = await run.gate();
    if (missed === 'stop') return null;
    if (missed) {
      // Nothing sent. Died calls an earlier activity's mark carries go back with this result; the
      // answered mark keeps the next activity from counting them again.
      if (uncertain > 0) await store.writeJournal(campaignId, item.key, mark(true));
      metrics?.slotMissed();
      ctx.log.info('batch slot missed', { campaignId, batchNo: item.batchNo, item: item.key, ...missed });
      return {
        kind: 'retry',
        code: 'SLOT_MISSED',
        message: `reached the worker ${missed.lateMs} ms after its slot; submitting in a new slot`,
        lateMs: missed.lateMs,
        throttled: false,
        ambiguous: false,
        calls: 0,
        ...doubt(uncertain, why),
      };
    }
    // Signed in before the mark (a cached token costs nothing): IAM refusing the credentials sends
    // nothing and leaves no mark; the campaign blocks on them. Another sign-in error is the call's.
    const signedIn = await client.signIn().then(
      () => undefined,
      (err: unknown) => err,
    );
    if (credentialsFault(signedIn)) throw asOwnPart(signedIn);
    await store.writeJournal(campaignId, item.key, mark());
    run.sending?.();
    try {
      calls = 1;
      // Not cancellable: an aborted call may already have reset the phones. A call ends within the
      // client's timeout anyway; cancellation is honoured before it (slot wait) and after (tracking).
      const accepted = await client.batchReset(ids);
      // Jobs for ids not asked and second jobs for one id never reach the journal (screenCmdJobs).
      const { jobs, anomalies } = screenCmdJobs(ids, accepted.jobs);
      journal = {
        taskId: accepted.taskId,
        jobs,
        submittedAt: Date.now(),
        uncertain,
        ...(why ? { why } : {}),
        by,
        item: journaled,
        campaign: campaignId,
        key: item.key,
        ...(anomalies.length > 0 ? { anomalies } : {}),
        ...(screened ? { screened } : {}),
      } satisfies JobJournal;
      metrics?.batchResetCall('accepted', false);
      run.answered?.();
      if (anomalies.length > 0) {
        run.anomalies?.(anomalies);
        ctx.log.warn('batch answer with odd cmd_jobs', {
          campaignId,
          item: item.key,
          taskId: accepted.taskId,
          anomalies: anomalies.map(describeAnomaly),
        });
      }
      ctx.log.info('batch accepted', {
        campaignId,
        batchNo: item.batchNo,
        item: item.key,
        taskId: accepted.taskId,
        requestId: accepted.requestId,
        instances: ids.length,
      });
    } catch (err) {
      const refusal = credentialsFault(err);
      if (refusal) {
        // IAM refused the credentials renewing a token the gateway refused (401: not applied).
        // The item goes back unsent, its mark answered; the campaign blocks on its credentials.
        const answered: JobJournal = { ...mark(true), refused: true };
        await afterCall(() => store.writeJournal(campaignId, item.key, answered), { unwritten: answered });
        throw new ItemBlocked(refusal, {});
      }
      const classified = classifySubmitError(err);
      // An answer that does not prove a refusal (README, "Possibly applied") joins the died calls
      // before it: the mark carries it, so an attempt that finds the mark after this one died
      // (before its result reached the workflow) still counts it — a lane holds its results for a
      // whole term. Whether the call goes again is classifySubmitError's decision, not this one.
      const verdict = submitVerdict(err as KoophoneError);
      const carried = uncertain + (verdict.possiblyApplied ? 1 : 0);
      const carriedWhy = verdict.possiblyApplied ? verdict.why : why;
      const result = {
        ...classified,
        ...doubt(carried, carriedWhy),
        ...(verdict.possiblyApplied ? { lostAnswer: true as const } : {}),
      };
      run.answered?.({ code: result.code, message: result.message });
      // Answered: the died calls (and this one, if it proved nothing) go back with the result.
      // `refused`: this call was made, so a retry of this activity counts it if this attempt
      // never reports.
      const refused: JobJournal = {
        ...mark(true),
        uncertain: carried,
        ...(carriedWhy ? { why: carriedWhy } : {}),
        refused: true,
        ...(verdict.possiblyApplied ? { possiblyApplied: true as const } : {}),
      };
      await afterCall(() => store.writeJournal(campaignId, item.key, refused), {
        unwritten: refused,
        result,
      });
      metrics?.batchResetCall(result.kind, result.kind === 'retry' && result.throttled);
      ctx.log.warn('batch not accepted', {
        campaignId,
        batchNo: item.batchNo,
        item: item.key,
        kind: result.kind,
        code: result.code,
        possiblyApplied: verdict.possiblyApplied,
        requestId: (err as { requestId?: string }).requestId,
      });
      if (result.kind === 'rejected' && !result.transient && ids.length === 1) {
        const note = describePossible(addPossible(item.possible, carried, carriedWhy));
        const rejected = line(ids[0]!, 'rejected', item.resets + carried, '', result.code, withNote(result.message, note));
        await afterCall(() => store.writePart(campaignId, item.key, [rejected, ...held.lines]), { result });
        const counts = { ...held.counts, rejected: (held.counts.rejected ?? 0) + 1 };
        metrics?.outcomes(counts);
        return {
          kind: 'tracked',
          counts,
          retryIds: [],
          failedJobs: 0,
          resets: carried + held.resets,
          calls,
          polls: 0,
          ...doubt(carried, carriedWhy),
          ...(verdict.possiblyApplied ? { lostAnswer: true as const } : {}),
        };
      }
      return result;
    }
    const call = journal;
    await afterCall(() => store.writeJournal(campaignId, item.key, call), {
      accepted: true,
      unwritten: call,
    });
  }

  metrics?.trackingStarted(journal.jobs.length);
  let tracked;
  try {
    tracked = await trackJobs(client, journal, input, run.track);
  } catch (err) {
    // Its credentials refused while its jobs ran: handed over, tracked again once they heal.
    if (err instanceof OwnPartError) throw new ItemBlocked(err.fault, { accepted: true });
    throw err;
  } finally {
    metrics?.trackingEnded(journal.jobs.length);
  }
  metrics?.taskPolls(tracked.polls);
  const phones = phoneLines(ids, journal, tracked, input, uncertain, why);
  const { retryIds, failedJobs } = phones;
  const lines = [...phones.lines, ...held.lines];
  const counts: Partial<Record<ReportLine['outcome'], number>> = { ...phones.counts };
  for (const [o, n] of Object.entries(held.counts)) counts[o as ReportLine['outcome']] = (counts[o as ReportLine['outcome']] ?? 0) + n;
  // Its lines unwritten, the item is tracked again once the store heals (its jobs have ended: one query).
  await afterCall(() => store.writePart(campaignId, item.key, lines), { accepted: true });
  metrics?.outcomes(counts);
  return {
    kind: 'tracked',
    counts,
    retryIds,
    failedJobs,
    resets: phones.resets + held.resets,
    calls,
    polls: tracked.polls,
    heartbeats: tracked.heartbeats,
    ...doubt(uncertain, why),
  };
}

/** Why a quarantined item's phones count possible resets: its journal is all that told. */
const JOURNAL_LOST = 'its journal could not be read: a call it recorded may have reset it';

/**
 * An item whose journal cannot be used (readItemJournal): it may have held an accepted call, or a
 * call in flight, so the item is never sent again — a second reset nobody counted is worse than a
 * phone left for the operator — and its phones are written `failed JOURNAL_UNREADABLE`, naming the
 * journal, with the possible resets its calls may have made: one for each earlier attempt of this
 * activity (an attempt makes at most one call for an item, and only calls of attempts that died are
 * not yet in `item.resets`), one for the call a hand-over carried, and at least one. The lane goes on.
 */
async function quarantine(
  deps: Omit<ResetBatchDeps, 'pacer'>,
  input: ItemInput,
  run: ItemRun,
  ids: readonly string[],
  unusable: { where: string; why: string },
): Promise<ResetBatchResult> {
  const { store, metrics } = deps;
  const { campaignId, item } = input;
  const possibleCalls = Math.max(1, run.attempt - 1) + (item.handedOver ? 1 : 0);
  const possible = addPossible(item.possible, possibleCalls, JOURNAL_LOST);
  const message = withNote(
    `${JOURNAL_UNREADABLE} ${unusable.where}: ${unusable.why}; the campaign does not send to these phones ` +
      'again, since it cannot tell what their calls did',
    describePossible(possible),
  );
  const lines = ids.map((id) => line(id, 'failed', item.resets + possibleCalls, '', JOURNAL_UNREADABLE, message));
  await store.writePart(campaignId, item.key, lines);
  metrics?.outcomes({ failed: lines.length });
  run.anomalies?.([{ kind: 'journal_unreadable', count: 1, example: item.key }]);
  Context.current().log.warn('journal unreadable: item written without sending again', {
    campaignId,
    item: item.key,
    journal: unusable.where,
    why: unusable.why,
  });
  return {
    kind: 'tracked',
    counts: { failed: lines.length },
    retryIds: [],
    failedJobs: 0,
    resets: possibleCalls * lines.length,
    calls: 0,
    polls: 0,
    quarantined: lines.length,
  };
}

/** The error code of a phone whose item's journal could not be used. */
export const JOURNAL_UNREADABLE = 'JOURNAL_UNREADABLE';

/** A store write after the item's call went: a failing store says what the call did (ItemBlocked). */
async function afterCall(write: () => Promise<void>, progress: ItemBlocked['progress']): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (err instanceof OwnPartError) throw new ItemBlocked(err.fault, progress);
    throw err;
  }
}

/**
 * One line per asked phone once its call's jobs were followed: succeeded, failed (or back for a
 * re-reset), timed out, or missing_job. `resets` counts the item's earlier resets, the possible
 * ones `uncertain` adds, and this call: one per job of the phone, and one possible reset for a
 * phone the accepted call left without a cmd_job (it may have been reset all the same).
 */
function phoneLines(
  ids: readonly string[],
  journal: JobJournal,
  tracked: TrackedJobs,
  input: ItemInput,
  uncertain: number,
  why: string | undefined,
) {
  const { item } = input;
  const possible = addPossible(item.possible, uncertain, why);
  const note = describePossible(possible);
  const before = item.resets + uncertain;
  const lines: ReportLine[] = [];
  const retryIds: string[] = [];
  let failedJobs = 0;
  let resets = 0;
  const counts = { succeeded: 0, failed: 0, timed_out: 0, missing_job: 0 };
  const jobsOf = new Map<string, string[]>();
  for (const { instanceId, jobId } of journal.jobs) {
    // Journals of earlier versions may hold a job for an id not sent, or one job twice.
    const known = jobsOf.get(instanceId);
    if (!known) jobsOf.set(instanceId, [jobId]);
    else if (!known.includes(jobId)) known.push(jobId);
  }
  for (const id of ids) {
    const jobIds = jobsOf.get(id);
    if (!jobIds) {
      counts.missing_job += 1;
      resets += uncertain + 1;
      const missed = describePossible(addPossible(possible, 1, 'the accepted call left it without a cmd_job'));
      const message = withNote(`no cmd_job for this instance in task ${journal.taskId}`, missed);
      lines.push(line(id, 'missing_job', before + 1, '', 'MISSING_JOB', message));
      continue;
    }
    resets += uncertain + jobIds.length;
    const ended = jobIds.map((jobId) => ({ jobId, job: tracked.ended.get(jobId) }));
    const failed = ended.find((e) => e.job?.status === -1);
    const unfinished = ended.find((e) => e.job === undefined);
    failedJobs += ended.filter((e) => e.job?.status === -1).length;
    // A phone KooPhone gave several jobs at once is never re-reset by the campaign (the next
    // round would count one reset, not as many as it got): its line says how its jobs ended.
    const several = jobIds.length > 1;
    const lineNote = withNote(
      several
        ? `KooPhone answered ${jobIds.length} cmd_jobs for this phone (${jobIds.join(', ')}), each followed and counted`
        : '',
      note,
    );
    const r = before + jobIds.length;
    if (failed) {
      const retryable = !(input.noRetryCodes ?? []).includes(failed.job!.errorCode);
      if (!several && retryable && item.round < input.retryFailed) retryIds.push(id);
      else {
        counts.failed += 1;
        const { errorCode, errorMsg, executeMsg } = failed.job!;
        lines.push(line(id, 'failed', r, failed.jobId, errorCode, withNote(errorMsg || executeMsg, lineNote)));
      }
    } else if (!unfinished) {
      counts.succeeded += 1;
      lines.push(line(id, 'succeeded', r, jobIds[0]!, '', lineNote));
    } else if (tracked.queryError) {
      counts.failed += 1;
      const { code, message } = tracked.queryError;
      lines.push(line(id, 'failed', r, unfinished.jobId, code, withNote(message, lineNote)));
    } else if (!several && item.round < (input.retryTimedOut ?? 0)) {
      retryIds.push(id);
    } else {
      counts.timed_out += 1;
      const message = timedOutMessage(tracked.unanswered, input.jobTimeoutMs);
      lines.push(line(id, 'timed_out', r, unfinished.jobId, 'JOB_TIMEOUT', withNote(message, lineNote)));
    }
  }
  return { lines, counts, retryIds, failedJobs, resets };
}

/**
 * The lines of phones held back from an item's call: the verdict's outcome and why, with the
 * resets they already had (earlier rounds, and died calls that may have reached them).
 */
function heldLines(
  screened: Record<string, Verdict> | undefined,
  item: ItemInput['item'],
  uncertain: number,
  why: string | undefined,
): { lines: ReportLine[]; counts: Partial<Record<ReportLine['outcome'], number>>; resets: number } {
  const lines: ReportLine[] = [];
  const counts: Partial<Record<ReportLine['outcome'], number>> = {};
  const note = describePossible(addPossible(item.possible, uncertain, why));
  for (const [id, v] of Object.entries(screened ?? {})) {
    lines.push(line(id, v.outcome, item.resets + uncertain, '', v.code, withNote(`${v.message} (fleet listed again)`, note)));
    counts[v.outcome] = (counts[v.outcome] ?? 0) + 1;
  }
  return { lines, counts, resets: uncertain * lines.length };
}

function journaledItem(item: ItemInput['item']): JournaledItem {
  return {
    ...(item.range ? { range: item.range } : {}),
    ...(item.ids ? { ids: item.ids } : {}),
    resets: item.resets,
  };
}

/** Still running as KooPhone last said, or unknown because its task queries kept failing. */
function timedOutMessage(unanswered: TrackedJobs['unanswered'], jobTimeoutMs: number): string {
  if (!unanswered) return `job still running after ${jobTimeoutMs} ms`;
  const since = Math.round(unanswered.sinceMs / 1000);
  return (
    `job state unknown: task queries failing for ${since} s past the ${jobTimeoutMs} ms job timeout ` +
    `(last: ${unanswered.code} ${unanswered.message})`
  );
}

function line(
  instanceId: string,
  outcome: ReportLine['outcome'],
  resets: number,
  jobId: string,
  errorCode: string,
  errorMsg: string,
): ReportLine {
  return {
    instance_id: instanceId,
    outcome,
    resets,
    job_id: jobId,
    error_code: errorCode,
    error_msg: errorMsg,
    finished_at: new Date().toISOString(),
  };
}

export { line as reportLine };
