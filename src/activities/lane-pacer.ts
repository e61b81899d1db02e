/**
 * Paces one lane's batch-reset calls on a grid of slots 1/rate apart. A call goes in its slot; a
 * timer that fires a little late (a busy event loop) or a slow journal write does not slow the
 * lane down, since the next slot is still one interval after this one. A call later than half an
 * interval (a starved or stalled process) moves the grid: its slot becomes a quarter interval
 * before it, so a late lane sends later, never in a burst to catch up, and loses only part of
 * what the call was late by.
 *
 * So no second holds more than share + 1 of a lane's calls: its calls fall on slots at least an
 * interval apart, at most half an interval after them. The lanes' shares add up to the campaign's
 * rate and a campaign runs at most max(1, rate/10) lanes, so no second holds more than
 * rate + max(1, rate/10) calls across all lanes and workers, with no coordination per call.
 *
 * Callers are served one at a time, in the order they took their turns (`turn`, in the lane's
 * item order), not the order they came to ask: an item whose journal read was slow (a retried
 * lane reading what its dead worker left) keeps its place, so the calls left in doubt go first. A
 * caller told to go says when its call really goes (`sent`, after its journal mark is written):
 * a slow write makes that call late, not the next one early.
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

/** A place in the pacer's line: used by `next` (once), or given up by `pass` when no call is needed. */
export interface PacerTurn {
  next(): Promise<Pace>;
  /** This item makes no call (its journal holds an accepted one, it failed): the next goes on. */
  pass(): void;
}

// A caller that never says its call went (it failed before sending) holds the others this long.
const MAX_HOLD_MS = 5000;

export class LanePacer {
  /** The slot the last call went in (moved to a quarter interval before it, if it went more than half late). */
  private slot = -Infinity;
  private queue: Promise<void> = Promise.resolve();
  private stopReason: string | undefined;
  /** Ends the place of the call told to go, once it has gone: the next place may then be served. */
  private holder: (() => void) | undefined;

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

  /** Stops every waiting and later call (the lane's budget ran out, a fatal answer). */
  stop(reason: string): void {
    this.stopReason ??= reason;
    // A caller told to go that will never send (it failed) holds no one once nothing may go.
    this.holder?.();
  }

  /** The next place in line; places are served in the order they were taken. */
  turn(): PacerTurn {
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const ready = this.queue;
    this.queue = ready.then(() => finished);
    let ended = false;
    let hold: ReturnType<typeof setTimeout> | undefined;
    const end = () => {
      if (ended) return;
      ended = true;
      clearTimeout(hold);
      if (this.holder === end) this.holder = undefined;
      done();
    };
    return {
      next: async () => {
        await ready;
        if (ended) return 'stop';
        let pace: Pace;
        try {
          pace = await this.take();
        } catch (err) {
          end();
          throw err;
        }
        if (pace !== 'go') {
          end();
          return pace;
        }
        // The next place waits until this call has gone (`sent`), or its caller gave the place
        // up without sending, or the hold ran out.
        this.holder = end;
        hold = setTimeout(end, MAX_HOLD_MS);
        return pace;
      },
      pass: end,
    };
  }

  /** The call told to go went now. */
  sent(): void {
    this.settle(Date.now());
    this.holder?.();
  }

  private interval(): number {
    return 1000 / this.rate();
  }

  /**
   * A call went at `at`: late by more than half an interval, the grid moves to a quarter interval
   * before it. Not half: what the call is late by on its way out (the HTTP client, the network) is
   * not seen here, and the quarter left keeps it inside the half on the service's side too.
   */
  private settle(at: number): void {
    const interval = this.interval();
    if (at - this.slot > interval / 2) this.slot = at - interval / 4;
  }

  private async take(): Promise<Pace> {
    for (;;) {
      if (this.stopReason !== undefined || this.signal.aborted) return 'stop';
      const now = Date.now();
      const at = Math.max(this.limits.notBefore, this.slot + this.interval());
      if (Math.max(at, now) >= this.limits.until) {
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
      this.slot = at;
      this.settle(now);
      return 'go';
    }
  }
}
