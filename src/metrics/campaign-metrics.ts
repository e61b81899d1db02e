import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Outcome } from '../campaign/outcome';

/** What a batch-reset call came to, as the workflow sees it. */
export type BatchResetResult = 'accepted' | 'retry' | 'rejected' | 'fatal';

/**
 * The project's own operational counters, injected into the activities. Optional everywhere:
 * without it the activities behave exactly the same. Counters are per worker process and carry
 * no campaign label, so a long-lived worker's series stay bounded however many campaigns it runs.
 */
export interface CampaignMetrics {
  /** One batch-reset call sent to KooPhone and what it came to; throttled: answered 429. */
  batchResetCall(result: BatchResetResult, throttled: boolean): void;
  /** Report lines written, by outcome (a retried activity that rewrites its part counts again). */
  outcomes(counts: Partial<Record<Outcome, number>>): void;
  /** Accepted resets whose jobs this worker is now following; pair with trackingEnded. */
  trackingStarted(jobs: number): void;
  trackingEnded(jobs: number): void;
  /** Task queries sent while following jobs. */
  taskPolls(polls: number): void;
  /** A call that reached this worker too late for its slot and went back for a fresh one. */
  slotMissed(): void;
}

export const METRIC_NAMES = {
  batchResetCalls: 'koophone_batch_reset_calls_total',
  throttledCalls: 'koophone_batch_reset_throttled_total',
  outcomes: 'koophone_outcomes_total',
  resetsInFlight: 'koophone_resets_in_flight',
  batchesTracking: 'koophone_batches_tracking',
  taskPolls: 'koophone_task_polls_total',
  slotsMissed: 'koophone_batch_reset_slots_missed_total',
} as const;

/** CampaignMetrics on a prom-client registry of its own (never the global one). */
export class PrometheusCampaignMetrics implements CampaignMetrics {
  readonly registry = new Registry();
  private readonly calls = this.counter(
    'batchResetCalls',
    'Batch-reset calls sent to KooPhone, by result (accepted, retry, rejected, fatal).',
    ['result'],
  );
  private readonly throttled = this.counter(
    'throttledCalls',
    'Batch-reset calls KooPhone answered with 429 (throttled); also counted as result="retry".',
  );
  private readonly lines = this.counter(
    'outcomes',
    'Per-instance report lines written by this worker, by outcome.',
    ['outcome'],
  );
  private readonly inFlight = this.gauge(
    'resetsInFlight',
    'Accepted resets (instances) whose jobs this worker is following right now.',
  );
  private readonly tracking = this.gauge(
    'batchesTracking',
    'Accepted batch-reset calls whose jobs this worker is following right now.',
  );
  private readonly polls = this.counter(
    'taskPolls',
    'Task queries sent to KooPhone while following reset jobs.',
  );
  private readonly missed = this.counter(
    'slotsMissed',
    'Batch-reset calls that reached this worker too late for their rate slot and were not sent.',
  );

  private counter<L extends string = never>(
    key: keyof typeof METRIC_NAMES,
    help: string,
    labelNames: L[] = [],
  ) {
    return new Counter<L>({ name: METRIC_NAMES[key], help, labelNames, registers: [this.registry] });
  }

  private gauge(key: keyof typeof METRIC_NAMES, help: string) {
    return new Gauge({ name: METRIC_NAMES[key], help, registers: [this.registry] });
  }

  constructor(options: { processMetrics?: boolean } = {}) {
    // Start every labelled series at 0 so rate() and absent-series alerts work from the first scrape.
    for (const result of ['accepted', 'retry', 'rejected', 'fatal'] as const)
      this.calls.labels(result).inc(0);
    if (options.processMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'koophone_worker_' });
  }

  batchResetCall(result: BatchResetResult, throttled: boolean): void {
    this.calls.labels(result).inc();
    if (throttled) this.throttled.inc();
  }

  outcomes(counts: Partial<Record<Outcome, number>>): void {
    for (const [outcome, n] of Object.entries(counts)) if (n) this.lines.labels(outcome).inc(n);
  }

  trackingStarted(jobs: number): void {
    this.inFlight.inc(jobs);
    this.tracking.inc();
  }

  trackingEnded(jobs: number): void {
    this.inFlight.dec(jobs);
    this.tracking.dec();
  }

  taskPolls(polls: number): void {
    if (polls > 0) this.polls.inc(polls);
  }

  slotMissed(): void {
    this.missed.inc();
  }

  /** The Prometheus text exposition of every metric in the registry. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }
}
