import type { LaneInput, LaneReceived } from '../../campaign/lane';
import type { CampaignCarry } from '../campaign-state';

type Range = { from: number; to: number };

/**
 * What the lanes of one term said they were given, as each returned: the items and batches some
 * lane ran, whichever lane this run of the workflow believed it gave them to.
 */
export interface TermReceipts {
  keys: Set<string>;
  batches: Range[];
}

export function newTermReceipts(): TermReceipts {
  return { keys: new Set(), batches: [] };
}

/**
 * Makes the campaign state agree with what a returned lane was really given (`received`, its own
 * account of the input the history recorded), where this run of the workflow believes it gave it
 * `lane`. They differ only when the term this run planned is not the one recorded: a worker that
 * built the run for a status query (a query task on a run it had not cached) applies the events
 * after the last workflow task at that task's time (@temporalio/worker 1.24.0), plans the next term
 * on that stale clock — fewer retries due, more room for new batches — and its cached run then
 * sends that plan; every later replay plans the term on the real clock and never sees the
 * difference (Temporal does not compare an activity's input). Believing the replayed plan, the
 * campaign took items out of its state that no lane ever ran: chaos seed 7, c-84c6beb8, four
 * batches of 10 phones whose call KooPhone answered with a 500 were never sent again and had no
 * line at the end (test/histories/explained/README.md).
 *
 * So the lane's account is the truth: an item or batch it received that the state still holds is
 * taken out (its result is in this lane's); one the state believes it was given that no lane of
 * the term received goes back (unsent). Run before the lane's results are folded in, so that a
 * canary batch it ran that the state did not expect is counted in the canary.
 */
export function reconcileReceived(
  s: CampaignCarry,
  lane: LaneInput,
  received: LaneReceived,
  term: TermReceipts,
  canaryBatches: number,
): void {
  const got = new Set(received.keys);
  for (const key of got) term.keys.add(key);
  const gotBatches = received.batches ? [received.batches] : [];
  term.batches.push(...gotBatches);
  const believed = new Set(lane.items.map((i) => i.key));
  // Received, not believed: still in the state's pending (or believed given to another lane of the
  // term, which then finds it in `term` when it returns).
  if ([...got].some((k) => !believed.has(k))) s.pending = s.pending.filter((i) => !got.has(i.key) || believed.has(i.key));
  // Believed, not received by this lane nor by one of the term that returned before it.
  s.pending.push(...lane.items.filter((i) => !got.has(i.key) && !term.keys.has(i.key)));
  const believedBatches = lane.batches ? [lane.batches] : [];
  for (const r of subtract(gotBatches, believedBatches)) takeBatches(s, r, lane.detail ? canaryBatches : 0);
  const back = subtract(subtract(believedBatches, gotBatches), term.batches);
  if (back.length > 0) (s.spareBatches ??= []).unshift(...back);
}

/**
 * Some lane ran batches `r` that the state still holds as not started (spare, or at or past
 * `nextBatch`): they are taken out. Canary batches among them (below `canaryBatches`, in a canary
 * term) become outstanding, so their results count in the canary.
 */
function takeBatches(s: CampaignCarry, r: Range, canaryBatches: number): void {
  const taken: Range[] = [];
  if (s.spareBatches?.length) {
    const left: Range[] = [];
    for (const spare of s.spareBatches) {
      left.push(...subtract([spare], [r]));
      taken.push(...intersect(spare, r));
    }
    s.spareBatches = left;
  }
  if (r.to > s.nextBatch) {
    if (r.from > s.nextBatch) (s.spareBatches ??= []).push({ from: s.nextBatch, to: r.from });
    taken.push({ from: Math.max(r.from, s.nextBatch), to: r.to });
    s.nextBatch = r.to;
  }
  for (const t of taken) {
    for (let b = t.from; b < Math.min(t.to, canaryBatches); b++) s.canary.outstanding[b] ??= 1;
  }
}

function intersect(a: Range, b: Range): Range[] {
  const from = Math.max(a.from, b.from);
  const to = Math.min(a.to, b.to);
  return from < to ? [{ from, to }] : [];
}

/** The parts of `ranges` outside every range of `minus`. */
export function subtract(ranges: readonly Range[], minus: readonly Range[]): Range[] {
  let out = ranges.filter((r) => r.from < r.to).map((r) => ({ ...r }));
  for (const m of minus) {
    out = out.flatMap((r) => {
      if (m.to <= r.from || m.from >= r.to) return [r];
      const parts: Range[] = [];
      if (r.from < m.from) parts.push({ from: r.from, to: m.from });
      if (m.to < r.to) parts.push({ from: m.to, to: r.to });
      return parts;
    });
  }
  return out;
}
