import type { Instance } from '../koophone/models';
import { KOOPHONE_CODES } from '../koophone/codes';
import type { BatchSegment } from './batch-layout';
import type { ErrorBudget } from './options';
import { poolLimitOf, type PoolLimit } from './pool-budget';

/**
 * What the tenant's fleet listing says about one phone, as far as a reset is concerned, and what
 * a campaign does about it (the pre-flight; README, "Phones in use, regions and pools"). Pure: the CLI's plan,
 * prepare and the lanes decide alike.
 *
 * What is assumed, because Huawei documents no values for these fields of its SDK model:
 * `login_status` or `assign_status` other than 0 (or an `assign_user`) means someone uses the
 * phone; `backup_status`/`restore_status` 0 (preparing) or 1 (running) mean one is in progress
 * (the SDK's own comment gives these meanings); a field the listing leaves out says nothing.
 */
export interface FleetFact {
  region: string;
  /** Absent when the listing names no pool (the documented model has none). */
  pool?: string;
  frozen: boolean;
  loginStatus: number;
  assignStatus: number;
  assignUser?: string;
  backupStatus?: number;
  restoreStatus?: number;
}

/** Report codes of phones the pre-flight answers without a call. */
export const PREFLIGHT_CODES = {
  notInFleet: 'NOT_IN_FLEET',
  frozen: KOOPHONE_CODES.frozen,
  inUse: 'IN_USE',
  backupRunning: 'BACKUP_RUNNING',
  restoreRunning: 'RESTORE_RUNNING',
} as const;

/** Codes of phones skipped because they were busy: `rerun` takes them by default. */
export const BUSY_CODES: readonly string[] = [
  PREFLIGHT_CODES.inUse,
  PREFLIGHT_CODES.backupRunning,
  PREFLIGHT_CODES.restoreRunning,
];

/** The pool of phones whose listing names none: one pool, so a budget over it is the strictest. */
export const UNKNOWN_POOL = '(no pool in the listing)';

export function factOf(i: Instance): FleetFact {
  return {
    region: i.region,
    ...(i.poolName ? { pool: i.poolName } : {}),
    frozen: i.frozenStatus === 1,
    loginStatus: i.loginStatus ?? 0,
    assignStatus: i.assignStatus ?? 0,
    ...(i.assignUser ? { assignUser: i.assignUser } : {}),
    ...(i.backupStatus !== undefined ? { backupStatus: i.backupStatus } : {}),
    ...(i.restoreStatus !== undefined ? { restoreStatus: i.restoreStatus } : {}),
  };
}

/** 0 preparing or 1 running (the SDK model's values for backup_status and restore_status). */
function inProgress(status: number | undefined): boolean {
  return status === 0 || status === 1;
}

/**
 * What a listing said of many phones, held compactly (a million-phone campaign's worker has a
 * capped heap): each phone's region and pool as an index into the few places there are, and the
 * whole fact only for phones the pre-flight may answer (frozen, in use, backing up, restoring).
 */
export class FleetFacts {
  private readonly places: { region: string; pool?: string }[] = [];
  private readonly placeOf = new Map<string, number>();
  private readonly byId = new Map<string, number>();
  private readonly notable = new Map<string, FleetFact>();

  set(id: string, fact: FleetFact): void {
    const key = `${fact.region}\u0000${fact.pool ?? ''}`;
    let place = this.placeOf.get(key);
    if (place === undefined) {
      place = this.places.push({ region: fact.region, ...(fact.pool !== undefined ? { pool: fact.pool } : {}) }) - 1;
      this.placeOf.set(key, place);
    }
    this.byId.set(id, place);
    if (fact.frozen || inUse(fact) || inProgress(fact.backupStatus) || inProgress(fact.restoreStatus)) {
      this.notable.set(id, fact);
    } else this.notable.delete(id);
  }

  get(id: string): FleetFact | undefined {
    const notable = this.notable.get(id);
    if (notable) return notable;
    const place = this.byId.get(id);
    if (place === undefined) return undefined;
    return { ...this.places[place]!, frozen: false, loginStatus: 0, assignStatus: 0 };
  }

  get size(): number {
    return this.byId.size;
  }
}

export function inUse(f: FleetFact): boolean {
  return f.loginStatus !== 0 || f.assignStatus !== 0 || f.assignUser !== undefined;
}

/** A phone the campaign answers without a call, and its report line's outcome, code and message. */
export interface Verdict {
  outcome: 'skipped' | 'rejected';
  code: string;
  message: string;
}

const LATER = 'not reset; `rerun` resets it once it is free (or start with --include-in-use)';

/**
 * What the campaign does with a phone, from the listing: undefined to reset it; otherwise why
 * not. Ids the listing does not have, and frozen phones, are refused for good (KooPhone would
 * refuse the whole call: 1012, 2004); phones in use, backing up or restoring are left alone
 * unless `includeInUse` (then KooPhone's own 2005/2006 answers make busy ones wait).
 */
export function verdictOf(fact: FleetFact | undefined, includeInUse: boolean): Verdict | undefined {
  if (!fact) {
    return {
      outcome: 'rejected',
      code: PREFLIGHT_CODES.notInFleet,
      message: "not in the tenant's fleet listing: not sent (KooPhone refuses such ids, 1012)",
    };
  }
  if (fact.frozen) {
    return {
      outcome: 'rejected',
      code: PREFLIGHT_CODES.frozen,
      message: 'instance is frozen (frozen_status 1 in the fleet listing): not sent',
    };
  }
  if (includeInUse) return undefined;
  if (inUse(fact)) {
    const who = fact.assignUser ? ` by ${fact.assignUser}` : '';
    return {
      outcome: 'skipped',
      code: PREFLIGHT_CODES.inUse,
      message: `in use${who} (login_status ${fact.loginStatus}, assign_status ${fact.assignStatus}): ${LATER}`,
    };
  }
  if (inProgress(fact.backupStatus)) {
    return {
      outcome: 'skipped',
      code: PREFLIGHT_CODES.backupRunning,
      message: `a backup is in progress (backup_status ${fact.backupStatus}): ${LATER}`,
    };
  }
  if (inProgress(fact.restoreStatus)) {
    return {
      outcome: 'skipped',
      code: PREFLIGHT_CODES.restoreRunning,
      message: `a restore is in progress (restore_status ${fact.restoreStatus}): ${LATER}`,
    };
  }
  return undefined;
}

/**
 * The listing's page size. The API documents no cap; the client refuses more than 1000
 * (src/koophone/schemas.ts), an assumption the README names.
 */
export const LISTING_PAGE_SIZE = 1000;
/** Listing calls per second at most: they count against the tenant's unpublished query limit. */
export const LISTING_CALLS_PER_SECOND = 10;
/** Segments (region × pool groups) a layout may hold: the layout travels in workflow state. */
export const MAX_SEGMENTS = 500;

/**
 * List each id (one call each, `instance_id` filter) when that is fewer calls than the pages of
 * the whole fleet; otherwise list the fleet page by page. Ids of a small campaign in a large
 * fleet cost a call each; a large campaign costs the fleet's pages whatever its order.
 */
export function listingMethod(ids: number, fleetTotal: number, pageSize = LISTING_PAGE_SIZE): 'ids' | 'fleet' {
  return ids < Math.ceil(fleetTotal / pageSize) ? 'ids' : 'fleet';
}

/** What the pre-flight found, for the plan, the status and the stored record. */
export interface PreflightSummary {
  /** The whole fleet page by page, or each id on its own. */
  method: 'ids' | 'fleet';
  /** Listing calls made (pages, ids, and one per pool for its size). */
  calls: number;
  /** When the listing ended (ISO). */
  listedAt: string;
  fleetTotal: number;
  /** Phones to reset, per region, in the spool's order. */
  regions: { region: string; phones: number }[];
  inUse: number;
  backupRunning: number;
  restoreRunning: number;
  frozen: number;
  notInFleet: number;
  includeInUse: boolean;
  /** With a pool budget: each pool of the campaign, its size in the fleet and its limit. */
  pools?: (PoolLimit & { phones: number })[];
}

export interface PreflightInput {
  /** The approved ids, deduplicated, in the source's order. */
  ids: readonly string[];
  facts: Pick<FleetFacts, 'get'>;
  includeInUse: boolean;
  batchSize: number;
  maxPerPool?: ErrorBudget;
  /** Phones per pool in the whole fleet (for `P%`). */
  poolSizes: ReadonlyMap<string, number>;
}

export interface PreflightPlan {
  /** The ids to reset, grouped by region (and pool, with a budget): the spool's order. */
  order: string[];
  segments: BatchSegment[];
  /** Ids answered without a call, in the source's order. */
  answered: { id: string; verdict: Verdict }[];
  pools?: PoolLimit[];
  counts: Omit<PreflightSummary, 'method' | 'calls' | 'listedAt' | 'fleetTotal' | 'includeInUse'>;
}

export function poolOf(fact: FleetFact): string {
  return fact.pool ?? UNKNOWN_POOL;
}

/**
 * The pre-flight's decision over a campaign's ids: which are answered without a call, and how the
 * rest are ordered and cut into batches so that no call mixes regions (and, with a pool budget,
 * pools). Groups are sorted by region, then pool; within one, the source's order is kept.
 */
export function planPreflight(input: PreflightInput): PreflightPlan {
  const { facts, maxPerPool } = input;
  const groups = new Map<string, string[]>();
  const answered: PreflightPlan['answered'] = [];
  const counts = { inUse: 0, backupRunning: 0, restoreRunning: 0, frozen: 0, notInFleet: 0 };
  const tally: Record<string, keyof typeof counts> = {
    [PREFLIGHT_CODES.notInFleet]: 'notInFleet',
    [PREFLIGHT_CODES.frozen]: 'frozen',
    [PREFLIGHT_CODES.inUse]: 'inUse',
    [PREFLIGHT_CODES.backupRunning]: 'backupRunning',
    [PREFLIGHT_CODES.restoreRunning]: 'restoreRunning',
  };
  for (const id of input.ids) {
    const fact = facts.get(id);
    const verdict = verdictOf(fact, input.includeInUse);
    if (verdict) {
      answered.push({ id, verdict });
      counts[tally[verdict.code]!] += 1;
      continue;
    }
    const key = maxPerPool ? `${fact!.region}\u0000${poolOf(fact!)}` : fact!.region;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(id);
  }
  if (groups.size > MAX_SEGMENTS) {
    throw new Error(
      `the phones fall in ${groups.size} region${maxPerPool ? ' × pool' : ''} groups, more than ` +
        `${MAX_SEGMENTS}: split the campaign`,
    );
  }
  const keys = [...groups.keys()].sort();
  const limits = new Map<string, PoolLimit>();
  const order: string[] = [];
  const segments: BatchSegment[] = [];
  const regions = new Map<string, number>();
  const phonesOfPool = new Map<string, number>();
  for (const key of keys) {
    const ids = groups.get(key)!;
    const [region, pool] = key.split('\u0000') as [string, string | undefined];
    let size = input.batchSize;
    if (pool !== undefined && maxPerPool) {
      let limit = limits.get(pool);
      if (!limit) {
        const poolSize = input.poolSizes.get(pool) ?? ids.length;
        limit = { name: pool, size: poolSize, limit: poolLimitOf(maxPerPool, poolSize) };
        limits.set(pool, limit);
      }
      size = Math.min(size, limit.limit);
      phonesOfPool.set(pool, (phonesOfPool.get(pool) ?? 0) + ids.length);
    }
    segments.push({ start: order.length, end: order.length + ids.length, size, region, ...(pool !== undefined ? { pool } : {}) });
    for (const id of ids) order.push(id);
    regions.set(region, (regions.get(region) ?? 0) + ids.length);
  }
  const pools = maxPerPool ? [...limits.values()].sort((a, b) => a.name.localeCompare(b.name)) : undefined;
  return {
    order,
    segments,
    answered,
    ...(pools ? { pools } : {}),
    counts: {
      regions: [...regions].map(([region, phones]) => ({ region, phones })),
      ...counts,
      ...(pools ? { pools: pools.map((p) => ({ ...p, phones: phonesOfPool.get(p.name) ?? 0 })) } : {}),
    },
  };
}
