// Pure (no I/O, no Temporal imports): lanes, the workflow and status share it.
import { SPOOL_TAMPERED } from './blocking';
import { describeRecords } from './spool-seal';
import type { WorkItem } from './work-item';

/**
 * Work the campaign holds because its slice of the spool no longer reads as prepare wrote it
 * (src/report/verified-spool.ts): nothing of it is sent until a probe finds its records true
 * again (the spool restored), and the campaign cannot complete while any is held. The rest of the
 * campaign goes on: every slice is proved before it is sent, so what a held range holds cannot
 * leak into another. Bounded whatever the damage: new first-round batches are kept as ranges of
 * batch numbers, other items (retries, halves, hand-overs) as they came.
 */
export interface SpoolHold {
  /** New first-round batches, as ranges of batch numbers [from, to), ascending and apart. */
  batches: { from: number; to: number }[];
  /** Other items whose slice did not read true. */
  items: WorkItem[];
  /** The first few records (spool positions) that did not, and how many. */
  records: number[];
  count: number;
  /** Where the spool is and what is wrong with it, as the latest reader said. */
  where: string;
  why: string;
}

const RECORDS_KEPT = 10;

/** `into` with `more` held too (neither is changed). */
export function addHold(into: SpoolHold | undefined, more: SpoolHold): SpoolHold {
  if (!into) return { ...more, batches: mergeRanges([], more.batches), items: [...more.items] };
  const records = [...new Set([...into.records, ...more.records])].sort((a, b) => a - b);
  return {
    batches: mergeRanges(into.batches, more.batches),
    items: [...into.items, ...more.items],
    records: records.slice(0, RECORDS_KEPT),
    count: into.count + more.count,
    where: more.where,
    why: more.why,
  };
}

/** One batch number added to a hold's ranges (a lane holds its batches one by one). */
export function holdBatch(ranges: { from: number; to: number }[], batchNo: number): { from: number; to: number }[] {
  return mergeRanges(ranges, [{ from: batchNo, to: batchNo + 1 }]);
}

function mergeRanges(
  a: readonly { from: number; to: number }[],
  b: readonly { from: number; to: number }[],
): { from: number; to: number }[] {
  const all = [...a, ...b].map((r) => ({ ...r })).sort((x, y) => x.from - y.from);
  const out: { from: number; to: number }[] = [];
  for (const r of all) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to) last.to = Math.max(last.to, r.to);
    else out.push(r);
  }
  return out;
}

/** Held items, counting each batch of the ranges as one. */
export function heldItems(h: SpoolHold): number {
  return h.batches.reduce((n, r) => n + r.to - r.from, 0) + h.items.length;
}

/** "batches 20–20, 35–37 (and 2 more)": the batches a hold touches, for the cause and status. */
export function describeHeldBatches(h: SpoolHold, shown = 4): string {
  const ranges = mergeRanges(
    h.batches,
    h.items.map((i) => ({ from: i.batchNo, to: i.batchNo + 1 })),
  );
  const text = ranges
    .slice(0, shown)
    .map((r) => `${r.from}–${r.to - 1}`)
    .join(', ');
  return `batches ${text}${ranges.length > shown ? ` (and ${ranges.length - shown} more ranges)` : ''}`;
}

/** The blocking cause's message: what is held, which records, where, and that nothing of it is sent. */
export function holdMessage(h: SpoolHold): string {
  return (
    `spool: ${SPOOL_TAMPERED} ${describeHeldBatches(h)}: records ${describeRecords(h.records, h.count)} ` +
    `of ${h.where} ${h.why}; nothing of these batches is sent`
  );
}

/**
 * The hold after a probe found the slices at `released` (indices into `holdRanges(h)`'s order: the
 * batch ranges, then the items) reading true again: what goes back to the campaign, and what stays.
 */
export function releaseHold(
  h: SpoolHold,
  released: ReadonlySet<number>,
  still: Pick<SpoolHold, 'records' | 'count' | 'why'>,
): { back: { batches: { from: number; to: number }[]; items: WorkItem[] }; hold: SpoolHold | undefined } {
  const n = h.batches.length;
  const back = {
    batches: h.batches.filter((_, i) => released.has(i)),
    items: h.items.filter((_, i) => released.has(n + i)),
  };
  const kept = {
    batches: h.batches.filter((_, i) => !released.has(i)),
    items: h.items.filter((_, i) => !released.has(n + i)),
  };
  if (kept.batches.length === 0 && kept.items.length === 0) return { back, hold: undefined };
  return { back, hold: { ...h, ...kept, records: still.records.slice(0, RECORDS_KEPT), count: still.count, why: still.why } };
}
