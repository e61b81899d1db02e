// Failover as the simulator saw it: which tasks the killed worker had in flight, and how long
// until another worker touched them. Each worker calls the simulator through its own door (port),
// so a task belongs to the worker whose door its last call before the kill came through; it was
// in flight when that call was its batch-reset or a task query that still showed running jobs.
// Calls through the killed worker's door that the simulator logs just after the kill were sent
// before it (a dead process sends nothing): they count as before the kill, never as a resumption.
// A task whose batch-reset answer had not gone out at the kill was *in doubt*: the killed worker
// could not know KooPhone had accepted it, and sending its phones again is the only way on (the
// API has no idempotency key); such a resend must be counted in the report. A task whose answer
// had gone out was accepted as far as any client could know: sending its phones again is a bug.
// Nothing here knows how the engine is built: only calls, doors and tasks.
import type { SimulatorCall } from '../../src/simulator';

export interface FailoverFigures {
  victimPid: number;
  survivorPid: number;
  /** Seconds from the campaign's start to the SIGKILL. */
  killedAtSeconds: number;
  /** Calls per worker in the 3 s before the kill (the victim is the busier one). */
  recentCallsVictim: number;
  recentCallsSurvivor: number;
  /** Tasks the killed worker had submitted and not yet seen finish. */
  orphanTasks: number;
  /** Of those, tasks another worker touched after the kill (a task query, or a batch-reset of their phones). */
  resumedTasks: number;
  /** Kill → the first call touching an orphan task; null when none was touched. */
  firstResumeSeconds: number | null;
  /** Kill → the last orphan task's first touch: when all the killed worker's work had moved. */
  allResumedSeconds: number | null;
  /** Longest gap between two batch-reset calls after the kill (the campaign's submissions stalling). */
  maxBatchResetGapSeconds: number;
  /** Orphan tasks whose batch-reset answer had not gone out when the worker died (in doubt). */
  inDoubtTasks: number;
  /** Batch-reset calls after the kill that included phones of an accepted orphan task: accepted calls sent again. */
  resentAcceptedCalls: number;
  /** Batch-reset calls after the kill that included phones of an in-doubt task (expected; the report must count them). */
  resentInDoubtCalls: number;
  /** Phones of the in-doubt tasks: the only phones a correct engine may have reset twice here. */
  phonesInDoubt: number;
  /** Phones the simulator reset more often than the report's `resets` says. */
  phonesUnderReported: number;
  /** Phones the simulator reset more than once (no faults: every call was accepted). */
  phonesResetTwice: number;
  reportLines: number;
}

export interface KillMoment {
  at: number;
  victimDoor: number;
}

export interface FailoverTouches {
  orphanTasks: string[];
  inDoubtTasks: string[];
  resumedTasks: number;
  firstResumeMs: number | null;
  allResumedMs: number | null;
  maxBatchResetGapMs: number;
  resentAcceptedCalls: number;
  resentInDoubtCalls: number;
  phonesInDoubt: number;
}

/** The door with the most calls in the `windowMs` before `now` (ties go to the first door). */
export function busiestDoor(calls: SimulatorCall[], doors: number[], now: number, windowMs = 3000): number {
  const recent = calls.filter((c) => c.at > now - windowMs);
  const counts = doors.map((door) => recent.filter((c) => c.door === door).length);
  return doors[counts.indexOf(Math.max(...counts))]!;
}

const beforeKill = (call: SimulatorCall, kill: KillMoment): boolean =>
  call.at < kill.at || call.door === kill.victimDoor;

/** Tasks whose last call before the kill came through the victim's door and had not shown them ended. */
export function orphanTasks(calls: SimulatorCall[], kill: KillMoment): string[] {
  const last = new Map<string, SimulatorCall>();
  for (const call of calls) if (beforeKill(call, kill) && call.taskId !== null) last.set(call.taskId, call);
  return [...last].filter(([, c]) => c.door === kill.victimDoor && !c.ended).map(([taskId]) => taskId);
}

/** Orphan tasks whose batch-reset answer had not gone out at the kill (or never went). */
export function inDoubtTasks(calls: SimulatorCall[], orphans: string[], kill: KillMoment): string[] {
  const isOrphan = new Set(orphans);
  return calls
    .filter(
      (c) =>
        c.endpoint === 'batchReset' &&
        c.taskId !== null &&
        isOrphan.has(c.taskId) &&
        (c.answeredAt === null || c.answeredAt >= kill.at),
    )
    .map((c) => c.taskId!);
}

export function failoverTouches(
  calls: SimulatorCall[],
  kill: KillMoment,
  instancesOf: (taskId: string) => string[],
): FailoverTouches {
  const orphans = orphanTasks(calls, kill);
  const isOrphan = new Set(orphans);
  const inDoubt = new Set(inDoubtTasks(calls, orphans, kill));
  const orphanOfPhone = new Map<string, string>();
  for (const taskId of orphans) for (const id of instancesOf(taskId)) orphanOfPhone.set(id, taskId);
  const firstTouch = new Map<string, number>();
  let resentAcceptedCalls = 0;
  let resentInDoubtCalls = 0;
  let lastReset = kill.at;
  let maxGap = 0;
  for (const call of calls) {
    if (beforeKill(call, kill)) continue;
    const touched = new Set<string>();
    if (call.taskId !== null && isOrphan.has(call.taskId)) touched.add(call.taskId);
    if (call.endpoint === 'batchReset') {
      maxGap = Math.max(maxGap, call.at - lastReset);
      lastReset = call.at;
      if (call.taskId !== null) {
        const resent = new Set(instancesOf(call.taskId).flatMap((id) => orphanOfPhone.get(id) ?? []));
        if ([...resent].some((t) => !inDoubt.has(t))) resentAcceptedCalls += 1;
        else if (resent.size > 0) resentInDoubtCalls += 1;
        for (const taskId of resent) touched.add(taskId);
      }
    }
    for (const taskId of touched) if (!firstTouch.has(taskId)) firstTouch.set(taskId, call.at);
  }
  const touches = [...firstTouch.values()].map((at) => at - kill.at);
  return {
    orphanTasks: orphans,
    inDoubtTasks: [...inDoubt],
    resumedTasks: firstTouch.size,
    firstResumeMs: touches.length > 0 ? Math.min(...touches) : null,
    allResumedMs: touches.length > 0 ? Math.max(...touches) : null,
    maxBatchResetGapMs: maxGap,
    resentAcceptedCalls,
    resentInDoubtCalls,
    phonesInDoubt: [...inDoubt].reduce((n, t) => n + instancesOf(t).length, 0),
  };
}

/**
 * Nothing reset beyond what the report says, no accepted call sent again, and no phone reset
 * twice but those of calls in doubt at the kill.
 */
export function failoverSafe(
  f: Pick<
    FailoverFigures,
    'phonesUnderReported' | 'resentAcceptedCalls' | 'phonesResetTwice' | 'phonesInDoubt'
  >,
): boolean {
  return f.phonesUnderReported === 0 && f.resentAcceptedCalls === 0 && f.phonesResetTwice <= f.phonesInDoubt;
}
