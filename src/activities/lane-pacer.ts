/**
 * Paces one lane's batch-reset calls: each at least 1/rate after the lane's previous call, measured
 * from when that call really went. The lane's share of the campaign's rate therefore holds however
 * late its process runs: a starved or stalled lane sends later, never in a burst to catch up. The
 * lanes' shares add up to the campaign's rate, so no second holds more than rate + lanes calls
 * (lanes ≤ max(1, rate/10)) across all lanes and workers, with no coordination per call.
 *
 * Callers are served one at a time, in the order they asked.
 */
export interface PaceLimits {
  /** No call before this. */
  notBefore: number;
  /** No call at or after this. */
  until: number;
  /**
   * A wake-up this late means the process stalled (CPU starved, SIGSTOP, a long GC): Temporal may
   * have given the lane's work to another worker meanwhile, so it must not send again.
   */
  stallMs: number;
}

export type Pace = 'go' | 'stop';

export class LanePacer {
  private last = -Infinity;
  private queue: Promise<unknown> = Promise.resolve();
  private stopReason: string | undefined;

  constructor(
    private readonly limits: PaceLimits,
    /** The lane's current rate (calls/s): read at each call, so a cut applies to the next one. */
    private readonly rate: () => number,
    private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>,
    private readonly signal: AbortSignal,
  ) {}

  /** Why the pacer stopped sending, once it has. */
  get stopped(): string | undefined {
    return this.stopReason;
  }

  get lastSentAt(): number | undefined {
    return Number.isFinite(this.last) ? this.last : undefined;
  }

  /** Stops every waiting and later call (the lane's budget ran out, a fatal answer). */
  stop(reason: string): void {
    this.stopReason ??= reason;
  }

  next(): Promise<Pace> {
    const turn = this.queue.then(() => this.take());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async take(): Promise<Pace> {
    for (;;) {
      if (this.stopReason !== undefined || this.signal.aborted) return 'stop';
      const now = Date.now();
      const at = Math.max(now, this.limits.notBefore, this.last + 1000 / this.rate());
      if (at >= this.limits.until) {
        this.stop('term ended');
        return 'stop';
      }
      if (at > now) {
        try {
          await this.sleep(at - now, this.signal);
        } catch {
          return 'stop';
        }
        if (Date.now() - at > this.limits.stallMs) {
          this.stop(`the worker stalled for ${Date.now() - at} ms`);
          return 'stop';
        }
        // The rate may have been cut while this call waited: take the new spacing into account.
        continue;
      }
      this.last = now;
      return 'go';
    }
  }
}
