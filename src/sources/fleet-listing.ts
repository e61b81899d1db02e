import {
  factOf,
  FleetFacts,
  LISTING_CALLS_PER_SECOND,
  LISTING_PAGE_SIZE,
  listingMethod,
  poolOf,
  UNKNOWN_POOL,
} from '../campaign/fleet-facts';
import type { KoophoneClient } from '../koophone';
import { KoophoneError } from '../koophone/errors';
import type { Instance, InstanceFilter, InstancePage } from '../koophone/models';

/** What the listing said about a campaign's ids, and what it cost. */
export interface ListedFacts {
  /** The campaign's ids the listing has; an id missing here is not in the tenant's fleet. */
  facts: FleetFacts;
  /** Phones per pool in the whole fleet (phones with no pool in the listing count as one pool). */
  poolSizes: Map<string, number>;
  fleetTotal: number;
  method: 'ids' | 'fleet';
  calls: number;
  listedAt: string;
}

export interface ListingOptions {
  /** Pool sizes are listed only when a pool budget needs them. */
  poolSizes?: boolean;
  signal?: AbortSignal;
  /**
   * How long to keep asking one page again through throttling, a refused token, 5xx and network
   * errors (default 5 min; Infinity: until `signal` aborts).
   */
  retryForMs?: number;
  /** Told how KooPhone answered each listing call: nothing when it did, the error otherwise. */
  answered?: (error?: { code: string; message: string }) => void;
}

const RETRY_FOR_MS = 5 * 60_000;

/**
 * Lists what the fleet says about `ids`: each id alone when that is fewer calls than the fleet's
 * pages, else the whole fleet page by page (src/campaign/fleet-facts.ts, listingMethod). Calls go
 * at most LISTING_CALLS_PER_SECOND; a page refused by throttling, a 5xx or the network is asked
 * again with backoff for up to `retryForMs`, other errors end the listing.
 */
export async function listFleetFacts(
  client: KoophoneClient,
  ids: readonly string[],
  options: ListingOptions = {},
): Promise<ListedFacts> {
  const pace = new ListingPace(options.signal, options.retryForMs ?? RETRY_FOR_MS, options.answered);
  const list = (filter: InstanceFilter, pageNo: number, pageSize: number) =>
    pace.call(() => client.listInstances({ ...filter, pageNo, pageSize }, { signal: options.signal }));
  const first = await list({}, 1, LISTING_PAGE_SIZE);
  const fleetTotal = first.totalCount;
  const facts = new FleetFacts();
  const poolSizes = new Map<string, number>();
  const method = listingMethod(ids.length, fleetTotal);
  if (method === 'fleet') {
    const wanted = new Set(ids);
    const take = (page: InstancePage) => {
      for (const inst of page.instances) {
        const fact = factOf(inst);
        const pool = poolOf(fact);
        poolSizes.set(pool, (poolSizes.get(pool) ?? 0) + 1);
        if (wanted.has(inst.instanceId)) facts.set(inst.instanceId, fact);
      }
    };
    take(first);
    let seen = first.instances.length;
    for (let pageNo = 2; seen < fleetTotal; pageNo++) {
      const page = await list({}, pageNo, LISTING_PAGE_SIZE);
      if (page.instances.length === 0) break;
      take(page);
      seen += page.instances.length;
    }
  } else {
    const byId = new Map<string, Instance>(first.instances.map((i) => [i.instanceId, i]));
    const pools = new Set<string>();
    for (const id of ids) {
      const inst = byId.get(id) ?? (await list({ instanceId: id }, 1, 1)).instances.find((i) => i.instanceId === id);
      if (!inst) continue;
      const fact = factOf(inst);
      facts.set(id, fact);
      pools.add(poolOf(fact));
    }
    if (options.poolSizes) {
      // The size of each pool of the campaign, from the listing's own count (one call a pool).
      for (const pool of pools) {
        const size =
          pool === UNKNOWN_POOL ? fleetTotal : (await list({ poolName: pool }, 1, 1)).totalCount;
        poolSizes.set(pool, size);
      }
    }
  }
  return { facts, poolSizes, fleetTotal, method, calls: pace.calls, listedAt: new Date().toISOString() };
}

/** Spaces the listing's calls and asks a page again through throttling and transient faults. */
class ListingPace {
  calls = 0;
  private last = -Infinity;

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly retryForMs: number,
    private readonly answered: ListingOptions['answered'],
  ) {}

  async call<T>(fn: () => Promise<T>): Promise<T> {
    const since = Date.now();
    for (let attempt = 0; ; attempt++) {
      await this.wait(this.last + 1000 / LISTING_CALLS_PER_SECOND - Date.now());
      this.last = Date.now();
      this.calls += 1;
      try {
        const page = await fn();
        this.answered?.();
        return page;
      } catch (err) {
        if (err instanceof KoophoneError) this.answered?.({ code: err.code, message: err.detail });
        const transient =
          err instanceof KoophoneError && ['retryable', 'throttled', 'auth'].includes(err.errorClass);
        if (!transient || Date.now() - since >= this.retryForMs) throw err;
        const retryAfter = err.retryAfterMs ?? 0;
        await this.wait(Math.max(retryAfter, Math.min(30_000, 500 * 2 ** attempt)));
      }
    }
  }

  private wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      this.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(this.signal!.reason as Error);
        },
        { once: true },
      );
    });
  }
}
