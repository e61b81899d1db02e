import type { PreflightSummary } from '../campaign/fleet-facts';
import type { CampaignOptions } from '../campaign/options';
import { describePoolBudget } from '../campaign/pool-budget';
import { formatDuration } from '../campaign/duration';
import { campaignThroughput } from '../campaign/eta';
import { PLAN_HORIZON_MS, windowOpenShare } from '../campaign/plan-limits';
import { firstPollAfter } from '../campaign/poll-schedule';
import type { ResolvedSource } from './id-source';

/** KooPhone does not say how long a reset takes ("seconds to minutes"): the plan assumes this. */
export const ASSUMED_JOB_MS = 60_000;

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
  /** How long a batch holds its in-flight slot: until the poll that sees its jobs ended. */
  itemLifetimeMs: number;
  /** Batch-reset calls per second the campaign can really make: min(rate, concurrency / lifetime). */
  callsPerSecond: number;
  /** The in-flight window, not the rate, bounds the campaign (Little's law). */
  concurrencyBound: boolean;
  /** The --concurrency that would let the rate be the bound. */
  concurrencyForRate: number;
  estimatedDurationMs: number | null;
  /** Share of the time the maintenance windows are open (1 without windows): submitting waits outside them. */
  windowOpenShare: number;
  /** The estimate stretched over the windows' closed time: when the campaign may really end. */
  calendarDurationMs: number | null;
  /** What each retry round of failed jobs adds (--retry-delay, then a batch lifetime); 0 with no retries. */
  retryRoundMs: number;
  retryRounds: number;
  /** What the fleet listing says of the ids; null when it was not listed here (the worker lists it). */
  preflight: PreflightSummary | null;
  /** Phones that will be sent: the approved ones less those the listing answers without a call. */
  toReset: number | null;
  /** `--max-per-pool`, in words ("10%", "20 phones"); null without one. */
  poolBudget: string | null;
  /** The least time the pool budget allows: each pool's batches in waves of its limit. */
  poolBoundMs: number | null;
  /**
   * --max-errors as phones: `allowed` of the `instances` may fail (null when the worker counts the
   * fleet and the budget is a share), that is `percent` of them.
   */
  errorBudget: { allowed: number | null; instances: number | null; percent: number | null };
  /** How long one reset job is followed (--job-timeout). */
  jobTimeoutMs: number;
  /** The wait before a failed phone is reset again (--retry-delay). */
  retryDelayMs: number;
}

/** --max-errors over `instances` phones: a count is a share of them, a share a count. */
function errorBudgetOf(options: CampaignOptions, instances: number | null): CampaignPlan['errorBudget'] {
  const b = options.maxErrors;
  if (b.kind === 'percent')
    return {
      allowed: instances === null ? null : Math.floor((instances * b.value) / 100),
      instances,
      percent: b.value,
    };
  return {
    allowed: b.value,
    instances,
    percent: instances ? Math.min(100, (b.value / instances) * 100) : null,
  };
}

/**
 * What the campaign will cost before it starts. Throughput is the real bound: at most `rate`
 * calls a second, and at most `concurrency` batches in flight, each holding its slot until the
 * poll that sees its jobs ended (Little's law). A canary must finish before the rest start.
 * Retries and outages come on top.
 */
export function planCampaign(
  campaignId: string,
  options: CampaignOptions,
  resolved: Pick<ResolvedSource, 'instances' | 'duplicates' | 'describe' | 'preflight'>,
  jobMs = ASSUMED_JOB_MS,
  now = Date.now(),
): CampaignPlan {
  const n = resolved.instances;
  const pre = resolved.preflight;
  const batches = pre ? pre.batches : n === undefined ? null : Math.ceil(n / options.batchSize);
  const canaryBatches = batches === null ? options.canary : Math.min(options.canary, batches);
  // With --rate auto the campaign finds the limit itself; estimate at the ceiling it may reach.
  const rate = options.rate === 'auto' ? options.rateMax : options.rate;
  const lifetimeMs = firstPollAfter(jobMs).atMs;
  // A campaign with no more batches than slots never fills its window: the rate alone bounds it.
  const windowFills = batches === null || batches > options.concurrency;
  const bound = campaignThroughput({
    rate,
    concurrency: windowFills ? options.concurrency : Number.MAX_SAFE_INTEGER,
    itemLifetimeMs: lifetimeMs,
  });
  let estimate: number | null = null;
  if (batches !== null) {
    // The last call of a phase leaves (calls - 1) / throughput after its first, and its batch
    // ends one lifetime later; the canary is such a phase of its own.
    const phase = (calls: number) => (Math.max(0, calls - 1) / bound.callsPerSecond) * 1000 + lifetimeMs;
    estimate =
      canaryBatches > 0 && batches > canaryBatches
        ? phase(canaryBatches) + phase(batches - canaryBatches)
        : phase(batches);
  }
  const poolBoundMs = pre?.summary.pools
    ? poolWavesMs(pre.summary.pools, options.batchSize, lifetimeMs)
    : null;
  if (estimate !== null && poolBoundMs !== null) estimate = Math.max(estimate, poolBoundMs);
  const openShare = windowOpenShare(options.windows, now);
  return {
    campaignId,
    source: resolved.describe,
    instances: n ?? null,
    duplicatesDropped: resolved.duplicates,
    batchSize: options.batchSize,
    batches,
    canaryBatches,
    batchResetCalls: batches,
    taskPolls: batches === null ? null : batches * firstPollAfter(jobMs).polls,
    rate,
    rateAuto: options.rate === 'auto',
    concurrency: options.concurrency,
    assumedJobMs: jobMs,
    itemLifetimeMs: lifetimeMs,
    callsPerSecond: bound.callsPerSecond,
    concurrencyBound: bound.concurrencyBound,
    concurrencyForRate: bound.concurrencyForRate,
    estimatedDurationMs: estimate === null ? null : Math.round(estimate),
    windowOpenShare: openShare,
    calendarDurationMs: estimate === null || openShare === 0 ? null : Math.round(estimate / openShare),
    retryRoundMs: options.retryFailed > 0 ? options.retryDelayMs + lifetimeMs : 0,
    retryRounds: options.retryFailed,
    preflight: pre?.summary ?? null,
    toReset: pre ? pre.toReset : null,
    poolBudget: options.maxPerPool ? describePoolBudget(options.maxPerPool) : null,
    poolBoundMs: poolBoundMs === null ? null : Math.round(poolBoundMs),
    errorBudget: errorBudgetOf(options, pre ? pre.toReset : (n ?? null)),
    jobTimeoutMs: options.jobTimeoutMs,
    retryDelayMs: options.retryDelayMs,
  };
}

/**
 * A pool's batches (of at most its limit) go at most `limit / batch` at a time, each for a batch's
 * lifetime: its phones take that many waves. The slowest pool bounds the campaign.
 */
function poolWavesMs(
  pools: NonNullable<PreflightSummary['pools']>,
  batchSize: number,
  lifetimeMs: number,
): number {
  let waves = 0;
  for (const p of pools) {
    const batch = Math.min(batchSize, p.limit);
    const atOnce = Math.max(1, Math.floor(p.limit / batch));
    waves = Math.max(waves, Math.ceil(Math.ceil(p.phones / batch) / atOnce));
  }
  return waves * lifetimeMs;
}

const num = (n: number) => n.toLocaleString('en-US');
const rateText = (plan: CampaignPlan) =>
  plan.rateAuto ? `up to ${plan.rate} calls/s (auto)` : `${plan.rate} calls/s`;
/** Two significant digits: 0.14, 1.4, 14. */
const callsText = (perSecond: number) =>
  perSecond >= 10 ? String(Math.round(perSecond)) : String(Number(perSecond.toPrecision(2)));

/** The warning when the in-flight window, not the rate, sets the pace; undefined otherwise. */
export function concurrencyWarning(plan: CampaignPlan): string | undefined {
  if (!plan.concurrencyBound) return undefined;
  return (
    `  warning      concurrency ${plan.concurrency} allows ~${callsText(plan.callsPerSecond)} calls/s with ` +
    `${formatDuration(plan.assumedJobMs)} jobs; raise --concurrency to ≥ ${num(plan.concurrencyForRate)} for ${plan.rate} calls/s`
  );
}

/**
 * Why the plan cannot be started (it would take longer than a year), or undefined. Refused at
 * `start`: a campaign that cannot finish would hold its phones' leases and its worker slots.
 */
export function planProblem(plan: CampaignPlan): string | undefined {
  if (plan.windowOpenShare === 0)
    return `no --window opens within ${formatDuration(PLAN_HORIZON_MS)}: the campaign would never send a batch`;
  if (plan.calendarDurationMs === null || plan.calendarDurationMs <= PLAN_HORIZON_MS) return undefined;
  const pace = plan.concurrencyBound
    ? `~${callsText(plan.callsPerSecond)} calls/s (${plan.concurrency} in flight)`
    : rateText(plan);
  const windows =
    plan.windowOpenShare < 1
      ? ` with maintenance windows open ${percentText(plan.windowOpenShare)} of the time`
      : '';
  return (
    `the plan would take ~${formatDuration(plan.calendarDurationMs)} (${num(plan.batches ?? 0)} batch-reset calls ` +
    `at ${pace}${windows}), more than ${formatDuration(PLAN_HORIZON_MS)}: raise --rate, --concurrency or ` +
    `--batch-size${windows ? ', widen --window' : ''}, or split the campaign`
  );
}

/** "300 of 3,000 allowed (10 %)": the budget as phones, as status counts them. */
function budgetText(b: CampaignPlan['errorBudget']): string {
  const pct = b.percent === null ? '' : ` (${Number(b.percent.toPrecision(3))} %)`;
  if (b.allowed === null) return `${b.percent} % of the phones that finish may fail`;
  if (b.instances === null) return `${num(b.allowed)} phones may fail`;
  return `${num(b.allowed)} of ${num(b.instances)} allowed${pct}`;
}

/** 4%, 0.5%, <0.1%. */
function percentText(share: number): string {
  const p = share * 100;
  if (p >= 1) return `${Math.round(p)}%`;
  return p >= 0.1 ? `${p.toFixed(1)}%` : '<0.1%';
}

/** What the fleet listing says of the ids, and the pool budget: the plan's pre-flight lines. */
function preflightLines(plan: CampaignPlan): string[] {
  const p = plan.preflight;
  const lines: string[] = [];
  if (p) {
    const how = p.method === 'fleet' ? `the fleet's ${num(p.fleetTotal)} phones` : 'each id';
    lines.push(
      `  listing      ${num(p.calls)} listing calls (${how}) at ${p.listedAt}; the worker lists again before the first call`,
    );
    lines.push(
      `  to reset     ${num(plan.toReset ?? 0)}: ${p.regions.map((r) => `${r.region} ${num(r.phones)}`).join(', ') || 'none'} (one region per batch)`,
    );
    const left = [
      [p.inUse, 'in use'],
      [p.backupRunning, 'backing up'],
      [p.restoreRunning, 'restoring'],
    ] as const;
    const busy = left.filter(([n]) => n > 0).map(([n, what]) => `${num(n)} ${what}`);
    if (busy.length > 0) lines.push(`  skipped      ${busy.join(', ')} (--include-in-use resets them)`);
    else if (p.includeInUse) lines.push('  in use       reset too (--include-in-use)');
    const refused = [
      [p.frozen, 'frozen'],
      [p.notInFleet, "not in the tenant's fleet"],
    ] as const;
    const gone = refused.filter(([n]) => n > 0).map(([n, what]) => `${num(n)} ${what}`);
    if (gone.length > 0) lines.push(`  rejected     ${gone.join(', ')} (no call is sent for them)`);
  } else if (plan.instances !== null) {
    lines.push(
      '  listing      the worker lists the fleet before the first call (regions, phones in use, frozen)',
    );
  }
  if (plan.poolBudget) {
    const pools = p?.pools?.map((x) => `${x.name} ${num(x.limit)} of ${num(x.size)}`).join(', ');
    lines.push(
      `  pools        at most ${plan.poolBudget} of any pool reset at once${pools ? ` (${pools})` : ''}` +
        (plan.poolBoundMs !== null ? `: at least ~${formatDuration(plan.poolBoundMs)}` : ''),
    );
  }
  return lines;
}

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
      `  duration     ~${formatDuration(plan.estimatedDurationMs ?? 0)} at ` +
        (plan.concurrencyBound
          ? `~${callsText(plan.callsPerSecond)} calls/s (${plan.concurrency} in flight; ${rateText(plan)} allowed) `
          : `${rateText(plan)} `) +
        `(assuming ~${formatDuration(plan.assumedJobMs)} per reset job)`,
    );
  }
  lines.push(...preflightLines(plan));
  if (plan.windowOpenShare < 1 && plan.calendarDurationMs !== null) {
    lines.push(
      `  windows      open ${percentText(plan.windowOpenShare)} of the time: ~${formatDuration(plan.calendarDurationMs)} ` +
        'in calendar time (batches are sent only inside them)',
    );
  }
  lines.push(
    `  error budget ${budgetText(plan.errorBudget)}`,
    `  job timeout  ${formatDuration(plan.jobTimeoutMs)} per reset job (--job-timeout)`,
  );
  if (plan.retryRounds > 0) {
    lines.push(
      `  retries      failed jobs are retried up to ${plan.retryRounds} time${plan.retryRounds === 1 ? '' : 's'}, ` +
        `${formatDuration(plan.retryDelayMs)} after they fail (--retry-delay)` +
        (plan.batches !== null ? `; each round adds ~${formatDuration(plan.retryRoundMs)}` : ''),
    );
  } else lines.push('  retries      none: failed jobs are not reset again (--retry-failed 0)');
  const warning = concurrencyWarning(plan);
  if (warning) lines.push(warning);
  return lines;
}
