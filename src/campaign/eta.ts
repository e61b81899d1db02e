// How fast a campaign can go and how long it has left. Pure and O(1) in memory: the workflow
// may keep an EtaState in its own state (workflow time is deterministic), and the CLI and the
// plan use the same arithmetic.

/**
 * The real bound on batch-reset calls per second (Little's law): at most `rate`, and at most
 * `concurrency` batches in flight, each holding its slot for `itemLifetimeMs`.
 */
export function campaignThroughput(input: { rate: number; concurrency: number; itemLifetimeMs: number }): {
  callsPerSecond: number;
  /** The in-flight window, not the rate, is the bound. */
  concurrencyBound: boolean;
  /** The smallest --concurrency with which the rate is the bound. */
  concurrencyForRate: number;
} {
  const byWindow = (input.concurrency * 1000) / Math.max(1, input.itemLifetimeMs);
  return {
    callsPerSecond: Math.min(input.rate, byWindow),
    concurrencyBound: byWindow < input.rate,
    concurrencyForRate: Math.ceil((input.rate * input.itemLifetimeMs) / 1000),
  };
}

export interface EtaSample {
  /** Milliseconds (epoch or workflow time; only differences count). */
  at: number;
  /** Instances finished so far (any outcome). */
  finished: number;
}

/** What the estimator keeps: the first and last samples and a smoothed rate, nothing that grows. */
export interface EtaState {
  first?: EtaSample;
  last?: EtaSample;
  /** Instances per millisecond. */
  perMs?: number;
  /** Smoothing has taken over from the warm-up average (or a prior was given). */
  smoothing?: boolean;
}

/**
 * Phones finish in bursts (a batch of 100 at once, after a minute of nothing), so the rate over
 * a few seconds swings between 0 and thousands a second. A time constant of a few batch
 * lifetimes averages the bursts out and still follows a real change of pace within minutes.
 */
export const ETA_TIME_CONSTANT_MS = 300_000;

/**
 * Adds a progress sample. `priorPerMs` (the plan's bound: batch size × calls/s ÷ 1000) is the
 * starting rate, so the first estimates come from the plan and observation takes over with time.
 * Without a prior, the average since the first sample stands in for one time constant.
 */
export function addEtaSample(
  state: EtaState,
  sample: EtaSample,
  options: { priorPerMs?: number; timeConstantMs?: number } = {},
): EtaState {
  const first = state.first ?? sample;
  const last = state.last;
  const prior = state.perMs ?? options.priorPerMs;
  const smoothing = state.smoothing === true || options.priorPerMs !== undefined;
  if (last === undefined || sample.at <= last.at) {
    return { first, last: last ?? sample, ...(prior === undefined ? {} : { perMs: prior }), smoothing };
  }
  // Nothing finishes until the first batches have lived their lifetime: silence then says
  // nothing about the pace, so the prior stands.
  if (sample.finished <= first.finished) {
    return {
      first,
      last: sample,
      ...(prior === undefined ? {} : { perMs: prior }),
      smoothing,
    };
  }
  const tau = options.timeConstantMs ?? ETA_TIME_CONSTANT_MS;
  if (!smoothing) {
    const perMs = Math.max(0, sample.finished - first.finished) / (sample.at - first.at);
    return { first, last: sample, perMs, smoothing: sample.at - first.at >= tau };
  }
  const dt = sample.at - last.at;
  const observed = Math.max(0, sample.finished - last.finished) / dt;
  // Weighted by elapsed time, not by sample: polling more often does not make it jumpier.
  const alpha = 1 - Math.exp(-dt / tau);
  const perMs = prior === undefined ? observed : prior + alpha * (observed - prior);
  return { first, last: sample, perMs, smoothing };
}

/** Milliseconds left for `remaining` instances, or undefined while there is no rate to go by. */
export function estimateRemainingMs(state: EtaState, remaining: number): number | undefined {
  if (remaining <= 0) return 0;
  if (state.perMs === undefined || state.perMs <= 0) return undefined;
  return remaining / state.perMs;
}

/** The average pace since the start, for a single look: one sample is all there is. */
export function averageRemainingMs(total: number, finished: number, startedAt: number, at: number): number | undefined {
  if (finished >= total) return 0;
  const since = at - startedAt;
  return finished > 0 && since > 0 ? ((total - finished) * since) / finished : undefined;
}
