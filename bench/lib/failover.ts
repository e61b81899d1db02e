// Failover as the simulator saw it: which tasks the killed worker had in flight, and how long
// until another worker touched them. Each worker calls the simulator through its own door (port),
// so a task belongs to the worker whose door its last call before the kill came through; it was
// in flight when that call was its batch-reset or a task query that still showed running jobs.
// Calls through the killed worker's door that the simulator logs just after the kill were sent
// before it (a dead process sends nothing): they count as before the kill, never as a resumption.
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
  /** Batch-reset calls after the kill that included phones of an orphan task (accepted calls sent again). */
  resentOrphanCalls: number;
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
  resumedTasks: number;
  firstResumeMs: number | null;
  allResumedMs: number | null;
  maxBatchResetGapMs: number;
  resentOrphanCalls: number;
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

export function failoverTouches(
  calls: SimulatorCall[],
  kill: KillMoment,
  instancesOf: (taskId: string) => string[],
): FailoverTouches {
  const orphans = orphanTasks(calls, kill);
  const isOrphan = new Set(orphans);
  const orphanOfPhone = new Map<string, string>();
  for (const taskId of orphans) for (const id of instancesOf(taskId)) orphanOfPhone.set(id, taskId);
  const firstTouch = new Map<string, number>();
  let resentOrphanCalls = 0;
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
        const resent = instancesOf(call.taskId).filter((id) => orphanOfPhone.has(id));
        if (resent.length > 0) resentOrphanCalls += 1;
        for (const id of resent) touched.add(orphanOfPhone.get(id)!);
      }
    }
    for (const taskId of touched) if (!firstTouch.has(taskId)) firstTouch.set(taskId, call.at);
  }
  const touches = [...firstTouch.values()].map((at) => at - kill.at);
  return {
    orphanTasks: orphans,
    resumedTasks: firstTouch.size,
    firstResumeMs: touches.length > 0 ? Math.min(...touches) : null,
    allResumedMs: touches.length > 0 ? Math.max(...touches) : null,
    maxBatchResetGapMs: maxGap,
    resentOrphanCalls,
  };
}
