// koophone-reset's side of a row: a fresh worker process, one campaign, the figures from the
// simulator, /proc and the histories.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { awaitResult, budgetMsOf, checkResult, recordCampaign, startCampaign } from './campaign-run';
import type { StartedCampaign } from './campaign-run';
import { beginRun, finish, loadTracker, log, recordSimulator, round, workerSpec, type Env } from './env';
import { cpuSeconds, peakRssMb, RssSampler } from './proc';
import type { BenchRow } from './rows';
import type { BenchRun } from './types';
import { startWorker } from './worker-process';
import { measureWorkerStart } from './worker-start';

export async function runKoophone(env: Env, row: BenchRow, idsFile: string): Promise<BenchRun> {
  const { settings, run } = beginRun(env, row, 'koophone-reset');
  const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
  const reportDir = mkdtempSync(join(env.tmp, 'reports-'));
  const logFile = join(env.tmp, `${taskQueue}.log`);
  const worker = startWorker(
    workerSpec(env, settings, { taskQueue, endpoint: env.sim.url, reportDir, logFile }),
  );
  const startupSampler = new RssSampler(worker.pid, settings.rssSampleMs);
  const load = loadTracker();
  let sampler: RssSampler | undefined;
  let campaign: StartedCampaign | undefined;
  try {
    run.workerStart = await measureWorkerStart(
      env,
      worker,
      taskQueue,
      'prebuilt',
      settings.workerNodeOptions,
    );
    const serverCpu = () => env.server.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const workerCpu0 = cpuSeconds(worker.pid);
    const serverCpu0 = serverCpu();
    sampler = new RssSampler(worker.pid, settings.rssSampleMs);
    campaign = await startCampaign(env, row, settings, taskQueue, idsFile);
    log(`  worker ready (pid ${worker.pid}); campaign ${campaign.campaignId} started`);
    const result = await awaitResult(campaign, budgetMsOf(run));
    const wallSeconds = (performance.now() - campaign.started) / 1000;
    run.workerCpuSeconds = round(cpuSeconds(worker.pid) - workerCpu0, 2);
    run.serverCpuSeconds = env.server.pids.length > 0 ? round(serverCpu() - serverCpu0, 2) : null;
    run.peakRssMb = round(sampler.stop().peakMb, 1);
    run.vmHwmMb = round(peakRssMb(worker.pid) ?? 0, 1);
    recordSimulator(run, env.sim, campaign.startedAtMs);
    finish(run, wallSeconds);
    checkResult(run, result);
    await recordCampaign(run, env, campaign, result);
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err);
    log(`  koophone-reset run failed: ${run.error}`);
    if (campaign) {
      await campaign.handle.terminate('benchmark run failed').catch(() => undefined);
      // What the simulator and /proc saw until then still says how the engine behaved.
      recordSimulator(run, env.sim);
      run.wallSeconds = round((performance.now() - campaign.started) / 1000);
      run.vmHwmMb = round(peakRssMb(worker.pid) ?? 0, 1);
    }
  } finally {
    sampler?.stop();
    await worker.stop();
    run.load = load();
    run.peakRssMbWithStartup = round(startupSampler.stop().peakMb, 1);
    const live = worker.heap.liveHeapMb();
    run.liveHeapMb = live === null ? null : round(live, 1);
    if (worker.lines() > 0)
      log(
        `  worker wrote ${worker.lines()} log lines at warn level or above (${logFile}); last: ${worker.tail().trim().split('\n').pop() ?? ''}`,
      );
    rmSync(reportDir, { recursive: true, force: true });
  }
  return run;
}
