import type { CampaignOptions } from '../campaign/options';
import { formatDuration } from '../campaign/duration';
import type { ResolvedSource } from './id-source';

/** KooPhone does not say how long a reset takes ("seconds to minutes"): the plan assumes this. */
export const ASSUMED_JOB_MS = 60_000;
// The tracking activity polls a task after 2 s, then 1.5× longer each time up to 15 s.
const FIRST_POLL_MS = 2000;
const MAX_POLL_MS = 15_000;

export interface CampaignPlan {
  campaignId: string;
  source: string;
  instances: number | null;
  duplicatesDropped: number;
  batchSize: number;
  batches: number | null;
  canaryBatches: number;
  batchResetCalls: number | null;
  taskPolls: number | null;
  rate: number;
  /** The rate adapts (--rate auto); `rate` is then its ceiling. */
  rateAuto: boolean;
  concurrency: number;
  assumedJobMs: number;
  estimatedDurationMs: number | null;
}

function pollsPerJob(jobMs: number): number {
  let waited = 0;
  let interval = FIRST_POLL_MS;
  let polls = 0;
  while (waited < jobMs) {
    waited += interval;
    polls += 1;
    interval = Math.min(Math.round(interval * 1.5), MAX_POLL_MS);
  }
  return Math.max(1, polls);
}

/**
 * What the campaign will cost before it starts. Duration: the rate bounds how fast batches are
 * sent, the in-flight window how fast they finish (each holds a slot for a job's time), and a
 * canary must finish before the rest start. Retries and outages come on top.
 */
export function planCampaign(
  campaignId: string,
  options: CampaignOptions,
  resolved: Pick<ResolvedSource, 'instances' | 'duplicates' | 'describe'>,
  jobMs = ASSUMED_JOB_MS,
): CampaignPlan {
  const n = resolved.instances;
  const batches = n === undefined ? null : Math.ceil(n / options.batchSize);
  const canaryBatches = batches === null ? options.canary : Math.min(options.canary, batches);
  let estimate: number | null = null;
  if (batches !== null) {
    // With --rate auto the campaign finds the limit itself; estimate at the ceiling it may reach.
    const rate = options.rate === 'auto' ? options.rateMax : options.rate;
    const bySending = (batches / rate) * 1000;
    const byWindow = Math.ceil(batches / options.concurrency) * jobMs;
    estimate =
      Math.max(bySending, byWindow, jobMs) + (canaryBatches > 0 && batches > canaryBatches ? jobMs : 0);
  }
  return {
    campaignId,
    source: resolved.describe,
    instances: n ?? null,
    duplicatesDropped: resolved.duplicates,
    batchSize: options.batchSize,
    batches,
    canaryBatches,
    batchResetCalls: batches,
    taskPolls: batches === null ? null : batches * pollsPerJob(jobMs),
    rate: options.rate === 'auto' ? options.rateMax : options.rate,
    rateAuto: options.rate === 'auto',
    concurrency: options.concurrency,
    assumedJobMs: jobMs,
    estimatedDurationMs: estimate === null ? null : Math.round(estimate),
  };
}

const num = (n: number) => n.toLocaleString('en-US');
const rateText = (plan: CampaignPlan) =>
  plan.rateAuto ? `up to ${plan.rate} calls/s (auto)` : `${plan.rate} calls/s`;

export function formatPlan(plan: CampaignPlan): string[] {
  const lines = [`Campaign ${plan.campaignId}`, `  source       ${plan.source}`];
  if (plan.instances === null || plan.batches === null) {
    lines.push('  instances    counted by the worker when it lists the fleet (frozen instances are skipped)');
    lines.push(
      `  batches      up to ${plan.batchSize} instances each, at ${rateText(plan)}, ${plan.concurrency} in flight`,
    );
  } else {
    lines.push(
      `  instances    ${num(plan.instances)}` +
        (plan.duplicatesDropped
          ? ` (${num(plan.duplicatesDropped)} duplicate${plan.duplicatesDropped === 1 ? '' : 's'} dropped)`
          : ''),
      `  batches      ${num(plan.batches)} of up to ${plan.batchSize}, ${plan.concurrency} in flight` +
        (plan.canaryBatches > 0 ? `, canary ${plan.canaryBatches} first` : ''),
      `  API calls    ~${num(plan.batches + (plan.taskPolls ?? 0))} (${num(plan.batches)} batch-reset + ~${num(plan.taskPolls ?? 0)} task polls), retries extra`,
      `  duration     ~${formatDuration(plan.estimatedDurationMs ?? 0)} at ${rateText(plan)} ` +
        `(assuming ~${formatDuration(plan.assumedJobMs)} per reset job)`,
    );
  }
  return lines;
}
