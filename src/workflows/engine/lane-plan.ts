import { batchesRange, type BatchLayout } from '../../campaign/batch-layout';
import type { LaneInput, LaneItemOptions } from '../../campaign/lane';
import type { CampaignOptions } from '../../campaign/options';
import { itemSize, type WorkItem } from '../../campaign/work-item';
import type { CampaignCarry } from '../campaign-state';

const MAX_LANES = 32;
// Explicit ids (re-resets, halves) waiting in workflow state travel in the continue-as-new input
// and in lane inputs (≈ 33 bytes an id): past this, new batches wait.
export const MAX_PENDING_IDS = 2000;

/**
 * Lanes for a rate: each paces itself from its own last call, so each can add at most one call
 * to any second beyond its share. At most max(1, rate/10) lanes keeps every second within
 * rate + max(1, rate/10) calls, the promise the README makes.
 */
export function laneCount(rate: number, concurrency: number): number {
  return Math.max(1, Math.min(Math.floor(rate / 10), concurrency, MAX_LANES));
}

/** `total` split into `parts` integers that differ by at most one, larger first. */
export function splitEvenly(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}

function explicitIds(items: readonly WorkItem[]): number {
  return items.reduce((n, i) => n + (i.ids?.length ?? 0), 0);
}

export interface TermContext {
  campaignId: string;
  term: number;
  options: CampaignOptions;
  now: number;
  /** sending: the campaign may send; tracking: only resume handed-over items (paused, stopping, window shut). */
  mode: 'sending' | 'tracking';
  /** The campaign's ceiling: its --rate, capped by its account share. */
  ceiling: number;
  concurrency: number;
  totalBatches: number;
  canaryBatches: number;
  spoolTotal: number;
  /**
   * One lane only: a pool budget counts the phones being reset in one place, the lane
   * (docs/campaign-engine.md, "Pool budget").
   */
  singleLane?: boolean;
  /** Phones refused for good before any call (pre-flight): counted, but spend no error budget. */
  refusedBeforeCalls?: number;
  /** When the open maintenance window shuts (absent: no windows). */
  windowEnd?: number;
  /** No call after this either: the fleet listing calls are screened against reaches its bound. */
  sendUntil?: number;
  item: LaneItemOptions;
}

/**
 * The next term's lanes. Takes what they will run out of the campaign state (pending items, new
 * batches); what a lane hands back goes back in when it returns (see applyLaneResult).
 *
 * - Canary not passed: one lane, the canary's batches, tracked to their end and judged one by one.
 * - Sending: lanes by rate, each with its share of rate and concurrency, handed-over items first
 *   (their tracking resumes), then due retries, then new batches, as many as its share can send
 *   in a term.
 * - Tracking: the handed-over items only, followed to their end; nothing is sent.
 */
export function planTerm(s: CampaignCarry, ctx: TermContext): LaneInput[] {
  const { now } = ctx;
  const canary = !s.canary.passed;
  const handedOver = take(s, (i) => i.handedOver === true);
  const lanesFor = (rate: number) => (ctx.singleLane ? 1 : laneCount(rate, ctx.concurrency));
  if (ctx.mode === 'tracking') {
    if (handedOver.length === 0) return [];
    const lanes = Math.min(handedOver.length, lanesFor(s.rate.current));
    const shares = deal(handedOver, lanes);
    return shares.map((items, lane) => laneInput(s, ctx, { lane, lanes, items, sendForMs: 0, canary }));
  }
  const lanes = canary ? 1 : lanesFor(s.rate.current);
  const laneRate = s.rate.current / lanes;
  const sendForMs = Math.min(ctx.options.termMs, (ctx.windowEnd ?? Infinity) - now, (ctx.sendUntil ?? Infinity) - now);
  const callsPerLane = Math.max(1, Math.ceil((laneRate * sendForMs) / 1000));
  const due = take(s, (i) => i.notBefore <= now, lanes * callsPerLane);
  const dueHands = deal(due, lanes);
  const items = deal(handedOver, lanes).map((h, i) => [...h, ...dueHands[i]!]);
  const concurrencies = splitEvenly(Math.max(ctx.concurrency, lanes), lanes);
  // New batches spread evenly, so the lanes finish together rather than one after the others.
  // Items to send again (unsent last term, due retries) count in a lane's share like new ones.
  const toSend = due.filter((i) => !i.handedOver).length;
  const evenShare = Math.ceil((batchesLeft(s, canary ? ctx.canaryBatches : ctx.totalBatches) + toSend) / lanes);
  // While the ramp climbs, a term is a wave: each lane sends what its window holds and follows it
  // to the end, so the window grows with each wave's successes (see lanes' `wave`).
  const ramping = ctx.options.rampStart !== undefined && ctx.concurrency < ctx.options.concurrency;
  const inputs: LaneInput[] = [];
  for (let lane = 0; lane < lanes; lane++) {
    const own = items[lane]!;
    const window = ramping ? concurrencies[lane]! : Infinity;
    const room = Math.min(evenShare, window, callsPerLane) - own.filter((i) => !i.handedOver).length;
    const batches = room > 0 ? newBatches(s, ctx, room, canary) : undefined;
    if (own.length === 0 && !batches) continue;
    inputs.push(
      laneInput(s, ctx, {
        lane,
        lanes,
        items: own,
        sendForMs,
        canary,
        wave: ramping,
        concurrency: concurrencies[lane]!,
        ...(batches ? { batches } : {}),
      }),
    );
  }
  // Lanes that got no work leave their shares unused rather than renumbering: shares stay exact.
  return inputs;
}

function laneInput(
  s: CampaignCarry,
  ctx: TermContext,
  p: {
    lane: number;
    lanes: number;
    items: WorkItem[];
    sendForMs: number;
    canary: boolean;
    /** Tracked to its end, like the canary: the ramp's next step waits for this one's outcomes. */
    wave?: boolean;
    concurrency?: number;
    batches?: { from: number; to: number };
  },
): LaneInput {
  const { options } = ctx;
  const rate = s.rate.current / p.lanes;
  // A lane's first call goes one lane interval after its start (the last term's lane on its place
  // returned after its last call, so the spacing holds across terms), lanes a call apart, and
  // none before an account newcomer's settling time.
  const startDelayMs =
    Math.max(0, s.rate.lastSlotAt - ctx.now) + 1000 / rate + (p.lane * 1000) / s.rate.current;
  return {
    campaignId: ctx.campaignId,
    term: ctx.term,
    lane: p.lane,
    lanes: p.lanes,
    items: p.items,
    ...(p.batches ? { batches: p.batches } : {}),
    batchSize: options.batchSize,
    spoolTotal: ctx.spoolTotal,
    rate: {
      current: rate,
      lastSlotAt: 0,
      clean: 0,
      ...(s.rate.adaptive ? { adaptive: true } : {}),
      ...(s.rate.lastCutAt !== undefined ? { lastCutAt: s.rate.lastCutAt } : {}),
      ...(s.rate.knownLimit !== undefined ? { knownLimit: s.rate.knownLimit / p.lanes } : {}),
    },
    ceiling: ctx.ceiling / p.lanes,
    startDelayMs: Math.round(startDelayMs),
    sendForMs: p.sendForMs,
    // The canary is judged on whole batches, a ramp's wave on its outcomes, and a stopping
    // campaign tracks what it sent to the end; a sending term hands over what is still tracking.
    ...(p.canary || p.wave || ctx.mode === 'tracking' ? {} : { returnAfterMs: p.sendForMs }),
    concurrency: p.concurrency ?? Math.max(1, Math.floor(ctx.concurrency / p.lanes)),
    ...(p.canary
      ? {}
      : {
          budget: {
            maxErrors: options.maxErrors,
            abortOn: options.abortOn,
            abortMinFinished: options.abortMinFinished,
            counts: { ...s.counts, rejected: s.counts.rejected - (ctx.refusedBeforeCalls ?? 0) },
            ...(s.quarantined ? { quarantined: s.quarantined } : {}),
            total: ctx.spoolTotal,
          },
        }),
    detail: p.canary,
    maxResultIds: Math.max(100, Math.floor(MAX_PENDING_IDS / p.lanes)),
    item: ctx.item,
  };
}

/** Up to `room` first-round batches: spare ones first (handed back unsent), then new ones. */
function newBatches(
  s: CampaignCarry,
  ctx: TermContext,
  room: number,
  canary: boolean,
): { from: number; to: number } | undefined {
  if (explicitIds(s.pending) >= MAX_PENDING_IDS) return undefined;
  const spare = s.spareBatches?.[0];
  if (spare) {
    const from = spare.from;
    const to = Math.min(spare.to, from + room);
    if (to === spare.to) s.spareBatches!.shift();
    else spare.from = to;
    return { from, to };
  }
  const limit = canary ? ctx.canaryBatches : ctx.totalBatches;
  if (s.nextBatch >= limit) return undefined;
  const from = s.nextBatch;
  const to = Math.min(limit, from + room);
  s.nextBatch = to;
  if (canary) for (let b = from; b < to; b++) s.canary.outstanding[b] = 1;
  return { from, to };
}

function batchesLeft(s: CampaignCarry, limit: number): number {
  const spare = (s.spareBatches ?? []).reduce((n, r) => n + r.to - r.from, 0);
  return spare + Math.max(0, limit - s.nextBatch);
}

/** Removes and returns the pending items that match, at most `max`, in their order. */
function take(s: CampaignCarry, match: (i: WorkItem) => boolean, max = Infinity): WorkItem[] {
  const taken: WorkItem[] = [];
  s.pending = s.pending.filter((i) => {
    if (taken.length >= max || !match(i)) return true;
    taken.push(i);
    return false;
  });
  return taken;
}

/** Items dealt round-robin to `n` lanes. */
function deal(items: readonly WorkItem[], n: number): WorkItem[][] {
  const hands = Array.from({ length: n }, () => [] as WorkItem[]);
  items.forEach((item, i) => hands[i % n]!.push(item));
  return hands;
}

export function instancesOf(lane: LaneInput, layout: BatchLayout): number {
  const range = lane.batches ? batchesRange(layout, lane.batches.from, lane.batches.to) : undefined;
  const batches = range ? range.end - range.start : 0;
  return lane.items.reduce((n, i) => n + itemSize(i), 0) + batches;
}
