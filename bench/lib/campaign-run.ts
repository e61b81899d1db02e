// One campaign started by the Temporal client and waited for, as `start --wait` would: the
// workflow's name and its input are the CLI's public contract; nothing of the engine's inside is
// imported, so the bench measures any engine that keeps that contract.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { campaignOptionsSchema } from '../../src/campaign/options';
import type { CampaignResult } from '../../src/campaign/status';
import { CAMPAIGN_WORKFLOW } from '../../src/campaign/campaign-workflow';
import { log, round, type Env } from './env';
import { analyzeCampaign, listedRuns } from './history';
import type { BenchRow } from './rows';
import type { BenchRun, Settings } from './types';

export interface StartedCampaign {
  campaignId: string;
  handle: WorkflowHandleWithFirstExecutionRunId;
  /** performance.now() at the start call. */
  started: number;
  /** Date.now() at the start call (the simulator's clock). */
  startedAtMs: number;
}

export async function startCampaign(
  env: Env,
  row: BenchRow,
  settings: Settings,
  taskQueue: string,
  idsFile: string,
): Promise<StartedCampaign> {
  const campaignId = `bench-${row.id}-${randomUUID().slice(0, 8)}`;
  const options = campaignOptionsSchema.parse({
    campaignId,
    batchSize: settings.batchSize,
    concurrency: settings.concurrency,
    rate: settings.rate,
    canary: settings.canary,
    maxErrors: settings.maxErrors,
    maxHistoryEvents: settings.maxHistoryEvents,
    heartbeatTimeoutMs: settings.heartbeatTimeoutMs,
  });
  const started = performance.now();
  const startedAtMs = Date.now();
  const handle = await env.client.workflow.start(CAMPAIGN_WORKFLOW, {
    taskQueue,
    workflowId: campaignId,
    args: [{ options, source: { kind: 'file', path: idsFile, format: 'text' } }],
  });
  return { campaignId, handle, started, startedAtMs };
}

export async function awaitResult(campaign: StartedCampaign, budgetMs: number): Promise<CampaignResult> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    campaign.handle.result() as Promise<CampaignResult>,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`campaign did not finish within ${budgetMs / 1000} s`)),
        budgetMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Time allowed before a run counts as failed: only against a hung campaign. Today's engine took
 * 14.6 × ideal at rate 100 with 200 000 phones on a loaded machine, so 10 × ideal + 300 s.
 */
export const budgetMsOf = (run: BenchRun): number => (run.idealSeconds * 10 + 300) * 1000;

/** The result's own cost, and the histories' figures as a cross-check (actions, events, payloads). */
export async function recordCampaign(
  run: BenchRun,
  env: Env,
  campaign: StartedCampaign,
  result: CampaignResult,
): Promise<void> {
  const instances = run.instances;
  if (result.cost !== undefined) {
    run.costActions = result.cost.temporalActions;
    run.costActionsPer1000 = round((result.cost.temporalActions / instances) * 1000, 2);
  }
  const history = await analyzeCampaign(env.client, campaign.campaignId, campaign.handle.firstExecutionRunId);
  const listed = await listedRuns(env.client, campaign.campaignId).catch(() => -1);
  if (listed >= 0 && listed !== history.runs) {
    log(`  note: visibility lists ${listed} runs, the continue-as-new chain has ${history.runs}`);
  }
  run.actions = history.actions;
  run.totalActions = history.totalActions;
  run.actionsPer1000 = round((history.totalActions / instances) * 1000, 2);
  run.historyEvents = history.totalEvents;
  run.historyRuns = history.runs;
  run.maxHistoryEvents = history.maxHistoryEvents;
  run.maxPayloadBytes = history.maxPayloadBytes;
  run.maxEventPayloadBytes = history.maxEventPayloadBytes;
  run.maxActivitySeconds = round(history.maxActivitySeconds, 2);
  run.timeline = history.timeline;
}

export function checkResult(run: BenchRun, result: CampaignResult): void {
  const c = result.counts;
  const problems: string[] = [];
  if (result.state !== 'completed')
    problems.push(`state ${result.state}${result.reason ? ` (${result.reason})` : ''}`);
  if (c.succeeded !== run.instances) problems.push(`${c.succeeded} of ${run.instances} succeeded`);
  if (result.batchResetCalls !== run.batchResetCalls) {
    problems.push(
      `workflow counted ${result.batchResetCalls} batch-reset calls, the simulator ${run.batchResetCalls}`,
    );
  }
  run.ok = problems.length === 0;
  if (!run.ok) run.error = problems.join('; ');
}
