// The failover row: two workers on one task queue, each calling the simulator through its own
// door; once a share of the calls has gone out, the busier worker is SIGKILLed. The figures come
// from the simulator's call log (bench/lib/failover.ts), its per-phone reset counts and the report.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { reportLineSchema } from '../../src/campaign/outcome';
import type { CampaignResult } from '../../src/campaign/status';
import { awaitResult, budgetMsOf, checkResult, recordCampaign, startCampaign } from './campaign-run';
import type { StartedCampaign } from './campaign-run';
import {
  beginRun,
  finish,
  loadTracker,
  log,
  recordSimulator,
  round,
  waitForPollers,
  workerSpec,
  type Env,
} from './env';
import { busiestDoor, failoverSafe, failoverTouches, type FailoverFigures } from './failover';
import { cpuSeconds, peakRssMb, RssSampler } from './proc';
import type { BenchRow } from './rows';
import { batchCount } from './schedule';
import type { BenchRun } from './types';
import { startWorker, type WorkerProcess } from './worker-process';

/** The kill comes once this share of the campaign's calls has gone out. */
const KILL_AT_SHARE = 0.3;

/** Per phone of the report: the resets the simulator applied beyond what the report says. */
function compareResets(
  env: Env,
  reportLocation: string,
): Pick<FailoverFigures, 'phonesUnderReported' | 'phonesResetTwice' | 'reportLines'> {
  let phonesUnderReported = 0;
  let phonesResetTwice = 0;
  let reportLines = 0;
  for (const text of readFileSync(reportLocation, 'utf8').split('\n')) {
    if (text.trim() === '') continue;
    const line = reportLineSchema.parse(JSON.parse(text));
    reportLines += 1;
    const applied = env.sim.instance(line.instance_id)?.resets ?? 0;
    if (applied > line.resets) phonesUnderReported += 1;
    if (applied > 1) phonesResetTwice += 1;
  }
  return { phonesUnderReported, phonesResetTwice, reportLines };
}

export async function runFailover(env: Env, row: BenchRow, idsFile: string): Promise<BenchRun> {
  const { settings, run } = beginRun(env, row, 'koophone-reset');
  const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
  const reportDir = mkdtempSync(join(env.tmp, 'reports-'));
  const doors = [await env.sim.openDoor(), await env.sim.openDoor()];
  const workers: WorkerProcess[] = doors.map((door, i) =>
    startWorker(
      workerSpec(env, settings, {
        taskQueue,
        endpoint: door.url,
        reportDir,
        logFile: join(env.tmp, `${taskQueue}-${i}.log`),
      }),
    ),
  );
  const load = loadTracker();
  const samplers = workers.map((w) => new RssSampler(w.pid, settings.rssSampleMs));
  let campaign: StartedCampaign | undefined;
  try {
    await waitForPollers(env, taskQueue, workers);
    campaign = await startCampaign(env, row, settings, taskQueue, idsFile);
    log(`  workers ${workers.map((w) => w.pid).join(', ')} ready; campaign ${campaign.campaignId} started`);
    const done = awaitResult(campaign, budgetMsOf(run));
    done.catch(() => undefined);
    const killAfter = Math.ceil(batchCount(row.instances) * KILL_AT_SHARE);
    while (env.sim.stats().calls.batchReset < killAfter) await sleep(100);

    const now = Date.now();
    const victimDoor = busiestDoor(
      env.sim.calls(now - 3000),
      doors.map((d) => d.port),
      now,
    );
    const victimIndex = doors.findIndex((d) => d.port === victimDoor);
    const victim = workers[victimIndex]!;
    const survivor = workers[1 - victimIndex]!;
    const recent = env.sim.calls(now - 3000);
    const victimCpu = cpuSeconds(victim.pid);
    const victimHwm = peakRssMb(victim.pid) ?? 0;
    const killAt = Date.now();
    victim.child.kill('SIGKILL');
    log(`  SIGKILL worker ${victim.pid} after ${env.sim.stats().calls.batchReset} batch-reset calls`);

    const result: CampaignResult = await done;
    const wallSeconds = (performance.now() - campaign.started) / 1000;
    run.workerCpuSeconds = round(victimCpu + cpuSeconds(survivor.pid), 2);
    run.vmHwmMb = round(Math.max(victimHwm, peakRssMb(survivor.pid) ?? 0), 1);
    run.peakRssMb = round(Math.max(...samplers.map((s) => s.stop().peakMb)), 1);
    recordSimulator(run, env.sim, campaign.startedAtMs);
    finish(run, wallSeconds);
    checkResult(run, result);
    const touches = failoverTouches(
      env.sim.calls(campaign.startedAtMs),
      { at: killAt, victimDoor },
      (taskId) => env.sim.instancesOfTask(taskId),
    );
    const seconds = (ms: number | null) => (ms === null ? null : round(ms / 1000, 2));
    run.failover = {
      victimPid: victim.pid,
      survivorPid: survivor.pid,
      killedAtSeconds: round((killAt - campaign.startedAtMs) / 1000, 2),
      recentCallsVictim: recent.filter((c) => c.door === victimDoor).length,
      recentCallsSurvivor: recent.filter((c) => c.door !== victimDoor).length,
      orphanTasks: touches.orphanTasks.length,
      resumedTasks: touches.resumedTasks,
      firstResumeSeconds: seconds(touches.firstResumeMs),
      allResumedSeconds: seconds(touches.allResumedMs),
      maxBatchResetGapSeconds: round(touches.maxBatchResetGapMs / 1000, 2),
      inDoubtTasks: touches.inDoubtTasks.length,
      resentAcceptedCalls: touches.resentAcceptedCalls,
      resentInDoubtCalls: touches.resentInDoubtCalls,
      phonesInDoubt: touches.phonesInDoubt,
      ...compareResets(env, result.reportLocation),
    };
    const f = run.failover;
    if (!failoverSafe(f)) {
      run.ok = false;
      run.error = [
        run.error,
        `${f.phonesUnderReported} phones reset more often than the report says, ${f.resentAcceptedCalls} accepted calls resent, ${f.phonesResetTwice} phones reset twice (${f.phonesInDoubt} in doubt at the kill)`,
      ]
        .filter(Boolean)
        .join('; ');
    }
    await recordCampaign(run, env, campaign, result);
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err);
    log(`  failover run failed: ${run.error}`);
    if (campaign) await campaign.handle.terminate('benchmark run failed').catch(() => undefined);
  } finally {
    for (const sampler of samplers) sampler.stop();
    await Promise.all(workers.map((w) => w.stop()));
    run.load = load();
    rmSync(reportDir, { recursive: true, force: true });
  }
  return run;
}
