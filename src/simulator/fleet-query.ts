import { CREATION_STEP_MS, FIRST_CREATED_AT, NAME_PREFIX, POOLS } from './fleet';
import type { Fleet } from './fleet';

// Listing a million instances page by page must not scan the fleet per page. Every filter the
// API offers maps to an index range (id, name prefix, creation time) or to a set of residues
// modulo the pool count (pool name, scene tag), so counts and page starts are arithmetic. Once a
// test has moved phones to other pools at run time, a pool filter scans its index range instead.

export interface FleetFilter {
  instanceId?: string;
  instanceNamePrefix?: string;
  /** Inclusive bounds, epoch ms. */
  createdFrom?: number;
  createdTo?: number;
  poolName?: string;
  poolSceneTag?: string;
}

export interface FleetPage {
  indexes: number[];
  totalCount: number;
}

interface Selection {
  lo: number;
  hi: number;
  residues: number[];
}

const PERIOD = POOLS.length;

function select(fleet: Fleet, filter: FleetFilter): Selection {
  let lo = 0;
  let hi = fleet.size;
  const narrow = (from: number, to: number): void => {
    lo = Math.max(lo, from);
    hi = Math.min(hi, to);
  };
  if (filter.instanceId !== undefined) {
    const index = fleet.indexOf(filter.instanceId);
    if (index < 0) narrow(0, 0);
    else narrow(index, index + 1);
  }
  if (filter.instanceNamePrefix !== undefined) {
    const [from, to] = nameRange(filter.instanceNamePrefix, fleet.nameWidth);
    narrow(from, to);
  }
  if (filter.createdFrom !== undefined) {
    narrow(Math.ceil((filter.createdFrom - FIRST_CREATED_AT) / CREATION_STEP_MS), hi);
  }
  if (filter.createdTo !== undefined) {
    narrow(lo, Math.floor((filter.createdTo - FIRST_CREATED_AT) / CREATION_STEP_MS) + 1);
  }
  const residues = POOLS.flatMap((pool, residue) =>
    (filter.poolName === undefined || pool.name === filter.poolName) &&
    (filter.poolSceneTag === undefined || pool.sceneTag === filter.poolSceneTag)
      ? [residue]
      : [],
  );
  return { lo, hi: Math.max(lo, hi), residues };
}

/** Names are `phone-` + zero-padded index, so a prefix is a contiguous index range. */
function nameRange(prefix: string, width: number): [number, number] {
  if (NAME_PREFIX.startsWith(prefix)) return [0, Number.MAX_SAFE_INTEGER];
  if (!prefix.startsWith(NAME_PREFIX)) return [0, 0];
  const digits = prefix.slice(NAME_PREFIX.length);
  if (!/^\d+$/.test(digits) || digits.length > width) return [0, 0];
  const scale = 10 ** (width - digits.length);
  const value = Number(digits);
  return [value * scale, (value + 1) * scale];
}

/** How many i in [lo, hi) have i % PERIOD in residues. */
function countMatches(lo: number, hi: number, residues: readonly number[]): number {
  const below = (x: number, r: number): number => (x <= r ? 0 : Math.floor((x - r - 1) / PERIOD) + 1);
  return residues.reduce((sum, r) => sum + below(hi, r) - below(lo, r), 0);
}

/** One page (1-based) of matching fleet indexes, in index order, with the total match count. */
export function queryFleet(fleet: Fleet, filter: FleetFilter, pageNo: number, pageSize: number): FleetPage {
  const pooled = filter.poolName !== undefined || filter.poolSceneTag !== undefined;
  if (pooled && fleet.poolsMoved) return scanFleet(fleet, filter, pageNo, pageSize);
  const { lo, hi, residues } = select(fleet, filter);
  const totalCount = countMatches(lo, hi, residues);
  const skip = (pageNo - 1) * pageSize;
  const indexes: number[] = [];
  if (skip >= totalCount || residues.length === 0) return { indexes, totalCount };
  // Each run of PERIOD consecutive indexes holds exactly residues.length matches: jump whole runs.
  const wholeRuns = Math.floor(skip / residues.length);
  let toSkip = skip - wholeRuns * residues.length;
  const wanted = new Set(residues);
  for (let i = lo + wholeRuns * PERIOD; i < hi && indexes.length < pageSize; i += 1) {
    if (!wanted.has(i % PERIOD)) continue;
    if (toSkip > 0) toSkip -= 1;
    else indexes.push(i);
  }
  return { indexes, totalCount };
}

/** The same page, by testing each phone of the filter's index range against its pool. */
function scanFleet(fleet: Fleet, filter: FleetFilter, pageNo: number, pageSize: number): FleetPage {
  const { lo, hi } = select(fleet, { ...filter, poolName: undefined, poolSceneTag: undefined });
  const skip = (pageNo - 1) * pageSize;
  const indexes: number[] = [];
  let totalCount = 0;
  for (let i = lo; i < hi; i += 1) {
    const pool = fleet.poolAt(i);
    if (filter.poolName !== undefined && pool.name !== filter.poolName) continue;
    if (filter.poolSceneTag !== undefined && pool.sceneTag !== filter.poolSceneTag) continue;
    if (totalCount >= skip && indexes.length < pageSize) indexes.push(i);
    totalCount += 1;
  }
  return { indexes, totalCount };
}
