import type { ErrorBudget } from './options';

/**
 * A disruption budget per pool (`--max-per-pool N|P%`): at most N phones, or P % of a pool's
 * size, of any one pool are being reset at the same moment — from just before the call that
 * resets them until their jobs are seen to end. Like a Kubernetes PodDisruptionBudget, or the
 * disruption budget of GCP OS Config, here per pool. See docs/campaign-engine.md, "Pool budget".
 */

/** A pool's size and how many of its phones may be reset at once. */
export interface PoolLimit {
  name: string;
  /** Phones of the pool in the tenant's fleet (not only those of the campaign). */
  size: number;
  limit: number;
}

/**
 * The phones of a pool of `size` that may be reset at once: N, or P % of the size rounded down,
 * and at least one (a budget of zero would reset nothing and never end).
 */
export function poolLimitOf(budget: ErrorBudget, size: number): number {
  const n = budget.kind === 'count' ? budget.value : Math.floor((size * budget.value) / 100);
  return Math.max(1, n);
}

export function describePoolBudget(budget: ErrorBudget): string {
  return budget.kind === 'count' ? `${budget.value} phones` : `${budget.value}%`;
}

/**
 * The phones of each pool a lane is resetting now. With a pool budget a campaign runs one lane
 * (lane-plan.ts), so this count is the campaign's: the lane takes a batch's phones before its
 * call goes and gives them back when its jobs have ended (or the call was refused).
 */
export class PoolGate {
  private readonly limits: Map<string, number>;
  private readonly taken = new Map<string, number>();
  private waiters: (() => void)[] = [];

  constructor(limits: readonly PoolLimit[]) {
    this.limits = new Map(limits.map((p) => [p.name, p.limit]));
  }

  /** The pool's limit; a pool the budget does not know has none (the lanes never see one). */
  limitOf(pool: string): number {
    return this.limits.get(pool) ?? Infinity;
  }

  running(pool: string): number {
    return this.taken.get(pool) ?? 0;
  }

  /** Whether `n` more phones of the pool may be reset now. */
  fits(pool: string, n: number): boolean {
    return this.running(pool) + n <= this.limitOf(pool);
  }

  /**
   * Counts `n` phones of the pool as being reset. `force`: they already are (a hand-over's jobs,
   * a call found accepted in the journal), whatever the budget says.
   */
  take(pool: string, n: number, force = false): boolean {
    if (!force && !this.fits(pool, n)) return false;
    this.taken.set(pool, this.running(pool) + n);
    return true;
  }

  give(pool: string, n: number): void {
    this.taken.set(pool, Math.max(0, this.running(pool) - n));
    const woken = this.waiters;
    this.waiters = [];
    for (const wake of woken) wake();
  }

  /** Resolves at the next `give` (or when `signal` aborts). */
  changed(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
