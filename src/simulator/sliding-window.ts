const WINDOW_MS = 1000;

/** Timestamps of the last second: a count that slides with every event, not per calendar second. */
export class SlidingWindow {
  #times: number[] = [];
  #head = 0;
  #peak = 0;

  /** Events in (now - 1 s, now]. */
  count(now: number): number {
    const times = this.#times;
    while (this.#head < times.length && (times[this.#head] ?? 0) <= now - WINDOW_MS) this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > times.length) {
      this.#times = times.slice(this.#head);
      this.#head = 0;
    }
    return this.#times.length - this.#head;
  }

  record(now: number): void {
    this.#times.push(now);
    this.#peak = Math.max(this.#peak, this.count(now));
  }

  /** Most events seen in any one-second window. */
  get peak(): number {
    return this.#peak;
  }

  clear(): void {
    this.#times = [];
    this.#head = 0;
    this.#peak = 0;
  }
}

/** The gateway's limit: the (limit+1)-th request within one second is refused. */
export class RateLimiter {
  readonly #accepted = new SlidingWindow();

  /** True when the request may pass (and is counted); `limit` 0 means no limit. */
  tryAcquire(limit: number, now: number): boolean {
    if (limit > 0 && this.#accepted.count(now) >= limit) return false;
    this.#accepted.record(now);
    return true;
  }

  clear(): void {
    this.#accepted.clear();
  }
}
