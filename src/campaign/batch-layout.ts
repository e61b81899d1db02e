/**
 * How a campaign's spool is cut into batches. Prepare groups the spool by region (the API refuses
 * a batch that mixes regions, 1002) and, with a pool budget, by pool within a region; each group
 * is a *segment*: consecutive batches of `size` phones from its start, the last one shorter, so
 * no batch crosses a segment's edge. Batches are numbered through the segments in spool order, so
 * batches [from, to) are still one contiguous spool range.
 *
 * A campaign prepared without a layout (earlier versions, or one region and no pool budget) has
 * one segment: batches of `batchSize` over the whole spool, as before.
 *
 * Pure: used by the workflow (plans, canary, the canceled rest) and by the lanes.
 */
export interface BatchSegment {
  /** Spool range [start, end). */
  start: number;
  end: number;
  /** Phones per batch in this segment (≤ the campaign's batch size; smaller under a pool budget). */
  size: number;
  region?: string;
  /** Set with a pool budget: every phone of the segment is in this pool. */
  pool?: string;
}

export interface BatchLayout {
  segments: readonly BatchSegment[];
  /** Cumulative batch counts: segment i holds batches [firsts[i], firsts[i + 1]). */
  firsts: number[];
}

export function batchLayout(
  segments: readonly BatchSegment[] | undefined,
  total: number,
  batchSize: number,
): BatchLayout {
  const segs = segments && segments.length > 0 ? segments : [{ start: 0, end: total, size: batchSize }];
  const firsts = [0];
  for (const s of segs) firsts.push(firsts.at(-1)! + Math.ceil((s.end - s.start) / s.size));
  return { segments: segs, firsts };
}

export function batchCount(layout: BatchLayout): number {
  return layout.firsts.at(-1)!;
}

/** The segment holding batch `batchNo` (binary search over the cumulative counts). */
export function segmentIndexOf(layout: BatchLayout, batchNo: number): number {
  let lo = 0;
  let hi = layout.segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (layout.firsts[mid]! <= batchNo) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function segmentOf(layout: BatchLayout, batchNo: number): BatchSegment {
  return layout.segments[segmentIndexOf(layout, batchNo)]!;
}

/** The spool range of batch `batchNo`. */
export function batchRange(layout: BatchLayout, batchNo: number): { start: number; end: number } {
  const i = segmentIndexOf(layout, batchNo);
  const s = layout.segments[i]!;
  const start = s.start + (batchNo - layout.firsts[i]!) * s.size;
  return { start, end: Math.min(start + s.size, s.end) };
}

/** Where batch `batchNo` starts in the spool; the spool's end for a batch past the last. */
export function spoolStartOf(layout: BatchLayout, batchNo: number): number {
  if (batchNo >= batchCount(layout)) return layout.segments.at(-1)!.end;
  return batchRange(layout, batchNo).start;
}

/** The spool range of batches [from, to): contiguous, since batches follow the spool. */
export function batchesRange(layout: BatchLayout, from: number, to: number): { start: number; end: number } {
  return { start: spoolStartOf(layout, from), end: spoolStartOf(layout, to) };
}
