import { factOf, FleetFacts, poolOf } from '../campaign/fleet-facts';
import { MAX_PAGE_SIZE } from '../koophone/limits';
import type { Instance } from '../koophone/models';
import type { ListedFacts } from './fleet-listing';

/** The fleet as a campaign sees it: what it resets, in order, and the frozen phones it skips. */
export interface FleetSelection {
  /** Region by region (the API refuses batches that mix regions), deduplicated. */
  ids: string[];
  frozen: string[];
  entries: number;
  duplicates: number;
  /** What the listing said of each phone, and the pools' sizes in it (the pre-flight's input). */
  facts: FleetFacts;
  poolSizes: Map<string, number>;
}

/**
 * One rule for the CLI's plan and the worker's prepare, so both count the same phones in the same
 * order and their fingerprints agree when the fleet did not change.
 */
export async function selectFleet(
  instances: AsyncIterable<Instance>,
  onEntry?: (entries: number) => void,
): Promise<FleetSelection> {
  const byRegion = new Map<string, string[]>();
  const frozen: string[] = [];
  const facts = new FleetFacts();
  const poolSizes = new Map<string, number>();
  let entries = 0;
  for await (const inst of instances) {
    entries += 1;
    onEntry?.(entries);
    const fact = factOf(inst);
    facts.set(inst.instanceId, fact);
    poolSizes.set(poolOf(fact), (poolSizes.get(poolOf(fact)) ?? 0) + 1);
    if (inst.frozenStatus === 1) {
      frozen.push(inst.instanceId);
      continue;
    }
    const list = byRegion.get(inst.region) ?? [];
    list.push(inst.instanceId);
    byRegion.set(inst.region, list);
  }
  const all = [...byRegion.keys()].sort().flatMap((r) => byRegion.get(r)!);
  const ids = [...new Set(all)];
  return { ids, frozen, entries, duplicates: all.length - ids.length, facts, poolSizes };
}

/**
 * The listing an `--all` selection already is, as the pre-flight takes it: the CLI's plan and the
 * worker's prepare describe it the same way (a page of MAX_PAGE_SIZE phones a call).
 */
export function listedFromSelection(fleet: FleetSelection): ListedFacts {
  return {
    facts: fleet.facts,
    poolSizes: fleet.poolSizes,
    fleetTotal: fleet.entries,
    method: 'fleet',
    calls: Math.max(1, Math.ceil(fleet.entries / MAX_PAGE_SIZE)),
    listedAt: new Date().toISOString(),
  };
}
