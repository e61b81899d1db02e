import { Context } from '@temporalio/activity';
import type { KoophoneClient, TaskJobResult } from '../koophone';
import { pollWait } from '../campaign/poll-schedule';
import { isKoophoneError } from '../koophone';
import { asOwnPart, credentialsFault } from './credentials';
import type { JobJournal } from '../campaign/work-item';

export interface TrackedJobs {
  ended: Map<string, TaskJobResult>;
  /** Instance ids whose job was still running at the job timeout. */
  timedOut: string[];
  polls: number;
  /** Heartbeats that reached the server, estimated by the SDK's throttling (0.8 × heartbeat timeout). */
  heartbeats: number;
  /** Set when the task query itself failed for good (the jobs' fate is unknown). */
  queryError?: { code: string; message: string };
  /** Set when the queries were still failing (retryably) when tracking gave up past the deadline. */
  unanswered?: { code: string; message: string; sinceMs: number };
}

// Past the job timeout, queries that fail (an API outage) go on with backoff this long: a job
// is only "timed out" once KooPhone said it was still running, or stayed silent all this time.
// Well inside the activity's start-to-close timeout (job timeout + 15 min).
const UNANSWERED_GRACE_MS = 10 * 60_000;

/**
 * Follows one task's jobs until each is 2 (succeeded) or -1 (failed), or the job timeout passes.
 * Heartbeats only once the tracking has run a while, so a quick batch records none (each recorded
 * heartbeat is a billed Temporal action) while a long one stays visible and cancellable.
 */
/**
 * How tracking waits and shows it is alive. A batch activity heartbeats for its one task; a lane
 * tracks many tasks at once and heartbeats for all of them itself, and stops its tracking when
 * its term ends (the signal), not only when Temporal cancels it.
 */
export interface TrackHooks {
  heartbeat?: (details: unknown) => void;
  sleep: (ms: number) => Promise<void>;
  signal: AbortSignal;
  /** Called with how KooPhone answered each query: nothing when it did, the error otherwise. */
  answered?: (error?: { code: string; message: string }) => void;
}

function activityHooks(): TrackHooks {
  const ctx = Context.current();
  return {
    heartbeat: (d) => ctx.heartbeat(d),
    sleep: (ms) => ctx.sleep(ms),
    signal: ctx.cancellationSignal,
  };
}

export async function trackJobs(
  client: KoophoneClient,
  journal: JobJournal,
  options: { jobTimeoutMs: number; heartbeatTimeoutMs: number; minPollIntervalMs?: number },
  hooks: TrackHooks = activityHooks(),
): Promise<TrackedJobs> {
  const log = Context.current().log;
  const pending = new Map(journal.jobs.map((j) => [j.jobId, j.instanceId]));
  const ended = new Map<string, TaskJobResult>();
  const deadline = journal.submittedAt + options.jobTimeoutMs;
  const heartbeatFrom = Date.now() + options.heartbeatTimeoutMs / 3;
  const floor = options.minPollIntervalMs ?? 0;
  let interval = Math.max(pollWait(1), floor);
  let polls = 0;
  let heartbeats = 0;
  let lastHeartbeatAt = -Infinity;
  let queryError: TrackedJobs['queryError'];
  const beat = () => {
    if (Date.now() < heartbeatFrom || !hooks.heartbeat) return;
    hooks.heartbeat({ taskId: journal.taskId, polls, pending: pending.size });
    if (Date.now() - lastHeartbeatAt >= options.heartbeatTimeoutMs * 0.8) {
      heartbeats += 1;
      lastHeartbeatAt = Date.now();
    }
  };
  // The wait between polls grows past the heartbeat timeout an operator may choose: heartbeat
  // through it, so a long wait is not taken for a dead worker (and the attempt retried).
  const wait = async (ms: number) => {
    const until = Date.now() + ms;
    for (let left = ms; left > 0; left = until - Date.now()) {
      await hooks.sleep(Math.min(left, options.heartbeatTimeoutMs / 2));
      if (Date.now() < until) beat();
    }
  };

  // "Timed out" must mean the job was still running at the deadline, not that the last queries
  // failed: past the deadline, polling goes on while the answers are errors (an outage), for up
  // to UNANSWERED_GRACE_MS. An attempt that resumes tracking after the deadline (its worker died)
  // asks once, at once: the jobs have most likely ended while nobody was looking.
  let failingSince: number | undefined;
  let lastError: { code: string; message: string } | undefined;
  while (
    pending.size > 0 &&
    (Date.now() < deadline ||
      polls === 0 ||
      (failingSince !== undefined && Date.now() < deadline + UNANSWERED_GRACE_MS))
  ) {
    const untilDeadline = deadline - Date.now();
    // The first poll comes one interval after the call was accepted. Tracking resumed from a
    // journal (a lane's hand-over, a retried attempt), whose call went a while ago, asks within
    // one interval, spread so that a lane's worth of resumed tasks does not query all at once.
    const sinceAccepted = Date.now() - journal.submittedAt;
    const gap = polls > 0 ? interval : sinceAccepted < interval ? interval - sinceAccepted : Math.random() * interval;
    if (untilDeadline > 0) await wait(Math.min(gap, untilDeadline));
    else if (polls > 0) await wait(Math.min(interval, deadline + UNANSWERED_GRACE_MS - Date.now()));
    beat();
    try {
      polls += 1;
      const task = await client.getTask(journal.taskId, { signal: hooks.signal });
      failingSince = undefined;
      hooks.answered?.();
      for (const job of task.jobs) {
        if (job.status !== 1 && pending.delete(job.jobId)) ended.set(job.jobId, job);
      }
    } catch (err) {
      if (!isKoophoneError(err)) throw err;
      // IAM refused the credentials renewing the token: nothing is known of the jobs, and asking
      // again cannot help until they are fixed (an OwnPartError: the campaign blocks on them).
      if (credentialsFault(err)) throw asOwnPart(err);
      hooks.answered?.({ code: err.code, message: err.message });
      if (!err.retryable) {
        queryError = { code: err.code, message: err.message };
        break;
      }
      failingSince ??= Date.now();
      lastError = { code: err.code, message: err.message };
      log.warn('task query failed, will poll again', {
        taskId: journal.taskId,
        code: err.code,
        requestId: err.requestId,
      });
    }
    interval = Math.max(floor, pollWait(polls + 1));
  }
  const unanswered =
    failingSince !== undefined && lastError && pending.size > 0
      ? { ...lastError, sinceMs: Date.now() - failingSince }
      : undefined;
  return {
    ended,
    timedOut: queryError ? [] : [...pending.values()],
    polls,
    heartbeats,
    ...(queryError ? { queryError } : {}),
    ...(unanswered ? { unanswered } : {}),
  };
}
