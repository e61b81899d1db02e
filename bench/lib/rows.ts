// The benchmark's rows: which rate, concurrency and fleet size each side-by-side run uses, and
// which rows a command line selects.

export interface BenchRow {
  /** What `--only` matches (the id or a prefix of it, e.g. `rate100` for both rate-100 rows). */
  id: string;
  /**
   * `regions`: koophone-reset alone, the same ids sorted by region and then shuffled. `start`:
   * workers started and left idle, no campaign (bench/lib/worker-start.ts).
   */
  kind: 'side-by-side' | 'failover' | 'regions' | 'start';
  rate: number;
  concurrency: number;
  instances: number;
  /** `regions` rows: regions of the simulated fleet. */
  regions?: number;
}

/** The rows `npm run bench` runs without flags (issue 15's table). */
export const DEFAULT_ROWS: readonly BenchRow[] = [
  // A worker from its spawn to its first poll, and idle: bundling at start against prebuilt (issue 29).
  { id: 'worker-start', kind: 'start', rate: 20, concurrency: 250, instances: 0 },
  { id: 'rate20-10k', kind: 'side-by-side', rate: 20, concurrency: 250, instances: 10_000 },
  { id: 'rate20-100k', kind: 'side-by-side', rate: 20, concurrency: 250, instances: 100_000 },
  { id: 'rate100-100k', kind: 'side-by-side', rate: 100, concurrency: 500, instances: 100_000 },
  { id: 'rate100-200k', kind: 'side-by-side', rate: 100, concurrency: 500, instances: 200_000 },
  // Two workers, one SIGKILLed mid-campaign: ~40 s of calls at a modest rate.
  { id: 'failover', kind: 'failover', rate: 10, concurrency: 250, instances: 40_000 },
  // Ids in several regions sorted by region, then the same ids in export order (shuffled): what an
  // id file's order costs once the pre-flight groups batches by region (issue 26).
  { id: 'regions-3k', kind: 'regions', rate: 20, concurrency: 250, instances: 3000, regions: 3 },
  { id: 'regions-100k', kind: 'regions', rate: 20, concurrency: 250, instances: 100_000, regions: 5 },
];

/** `--big`: the longest history and the largest payload (koophone-reset's own figures). */
export const BIG_ROW: BenchRow = {
  id: 'big',
  kind: 'side-by-side',
  rate: 20,
  concurrency: 250,
  instances: 1_000_000,
};

/** The batch-reset calls a campaign may make in any one second (README's promise). */
export function rateLimitOf(rate: number): number {
  return rate + Math.max(1, rate / 10);
}

export interface RowSelection {
  only: string[];
  big: boolean;
  /**
   * `--instances`: rows of these sizes at `rate` and `concurrency` instead of the defaults; the
   * big row also runs at `rate` and `concurrency` when they are given.
   */
  instances: number[];
  rate?: number;
  concurrency?: number;
}

/** The rows to run; throws (the caller exits 2) on an `--only` that matches none. */
export function selectRows(selection: RowSelection): BenchRow[] {
  const custom = selection.instances.map((instances): BenchRow => ({
    id: `custom-${instances}`,
    kind: 'side-by-side',
    rate: selection.rate ?? 20,
    concurrency: selection.concurrency ?? 250,
    instances,
  }));
  const big: BenchRow = {
    ...BIG_ROW,
    rate: selection.rate ?? BIG_ROW.rate,
    concurrency: selection.concurrency ?? BIG_ROW.concurrency,
  };
  const all = [...(custom.length > 0 ? custom : DEFAULT_ROWS), ...(selection.big ? [big] : [])];
  if (selection.only.length === 0) return all;
  const known = [...DEFAULT_ROWS, big, ...custom];
  const rows: BenchRow[] = [];
  for (const name of selection.only) {
    const matched = known.filter((row) => row.id === name || row.id.startsWith(name));
    if (matched.length === 0) {
      throw new Error(
        `--only ${name} matches no row; rows: ${known.map((r) => r.id).join(', ')} (a prefix selects several)`,
      );
    }
    for (const row of matched) if (!rows.includes(row)) rows.push(row);
  }
  return rows;
}
