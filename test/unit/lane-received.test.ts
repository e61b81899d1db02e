import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyTotals, receivedBy, type LaneInput, type LaneResult } from '../../src/campaign/lane';
import { campaignOptionsSchema, type CampaignOptionsInput } from '../../src/campaign/options';
import type { ResetBatchResult, WorkItem } from '../../src/campaign/work-item';
import { newCarry, type CampaignCarry } from '../../src/workflows/campaign-state';
import type { OutcomeContext } from '../../src/workflows/engine/item-outcome';
import { planTerm, type TermContext } from '../../src/workflows/engine/lane-plan';
import { newTermReceipts, subtract } from '../../src/workflows/engine/lane-received';
import { applyLaneResult } from '../../src/workflows/engine/lane-result';

// The clock of chaos seed 7's c-84c6beb8: term 1 folded in at T1; the query-built run planned term
// 3 at the time of the workflow task before (T1 + 2 049 ms), every replay at T1 + 21 095 ms.
const T1 = 1_796_688_648_770;
const STALE = T1 + 2049;
const REAL = T1 + 21_095;

function setup(o: CampaignOptionsInput, totalBatches: number) {
  const options = campaignOptionsSchema.parse(o);
  const rate = options.rate === 'auto' ? options.rateMax : options.rate;
  const s = newCarry(options, rate);
  const term = (now: number): TermContext => ({
    campaignId: 'c',
    term: 3,
    options,
    now,
    mode: 'sending',
    ceiling: rate,
    concurrency: options.concurrency,
    totalBatches,
    canaryBatches: Math.min(options.canary, totalBatches),
    spoolTotal: totalBatches * options.batchSize,
    item: { retryFailed: 1, retryTimedOut: 0, noRetryCodes: [], jobTimeoutMs: 25_000, heartbeatTimeoutMs: 5000 },
  });
  const ctx = (now: number): OutcomeContext => {
    let n = 100;
    return { options, canaryBatches: Math.min(options.canary, totalBatches), now, random: () => 0.1, newKey: () => `i${n++}` };
  };
  return { s, term, ctx };
}

const batch = (n: number, over: Partial<WorkItem> = {}): WorkItem => ({
  key: `b${String(n).padStart(7, '0')}`,
  batchNo: n,
  round: 0,
  range: { start: n * 10, end: n * 10 + 10 },
  resets: 0,
  submitAttempts: 0,
  notBefore: 0,
  ...over,
});
const reReset = (n: number, notBefore: number): WorkItem => ({
  key: `i${String(n).padStart(7, '0')}`,
  batchNo: n,
  round: 1,
  ids: [`x${n}`],
  resets: 1,
  submitAttempts: 0,
  notBefore,
});
const clean: ResetBatchResult = { kind: 'tracked', counts: { succeeded: 10 }, retryIds: [], failedJobs: 0, resets: 10, calls: 1, polls: 1 };

/** A lane that ran exactly `input` (what the history recorded), every item clean. */
function ranClean(input: LaneInput, over: Partial<LaneResult> = {}): LaneResult {
  const items = input.items.length + (input.batches ? input.batches.to - input.batches.from : 0);
  return {
    results: [],
    totals: { ...emptyTotals(), items, counts: { ...emptyTotals().counts, succeeded: items * 10 }, resets: items * 10 },
    unsent: [],
    handedOver: [],
    rate: { ...input.rate },
    calls: items,
    polls: items,
    heartbeats: 1,
    attempt: 1,
    received: receivedBy(input),
    ...over,
  };
}

function clone(s: CampaignCarry): CampaignCarry {
  return structuredClone(s);
}

/** Nothing left to send: what makes the engine finish and assemble the report. */
function nothingLeft(s: CampaignCarry, totalBatches: number): boolean {
  return s.pending.length === 0 && s.nextBatch >= totalBatches && !s.spareBatches?.length;
}

describe("a lane's own account of its input (lane-received)", () => {
  /**
   * The campaign of chaos seed 7 (c-84c6beb8), as the pure modules decide it: retries of batches
   * whose call KooPhone answered with a 500 wait a backoff of about 2 s; the cached run's term was
   * planned on the stale clock (only b58 due of them), the replayed run's on the real one.
   */
  function chaosSeed7() {
    const { s, term, ctx } = setup({ rate: 3.5, concurrency: 16, canary: 0, batchSize: 10, termMs: 30_000 }, 100);
    s.nextBatch = 100;
    s.pending.push(reReset(1, T1 + 500));
    for (const [n, due] of [[58, 2036], [81, 2336], [85, 2188], [91, 2055], [95, 2246]] as const) {
      s.pending.push(batch(n, { resets: 1, submitAttempts: 1, notBefore: T1 + due }));
    }
    s.pending.push(reReset(99, T1 + 500));
    // The cached run (built for a query on the stale clock) planned and sent this term...
    const recorded = planTerm(clone(s), term(STALE));
    // ...every later replay of the history plans this one, and never sees the difference.
    const believed = planTerm(s, term(REAL));
    return { s, ctx, recorded: recorded[0]!, believed: believed[0]! };
  }

  it('the stale clock plans a term without the retries not yet due on it (what the history recorded)', () => {
    const { recorded, believed } = chaosSeed7();
    assert.deepEqual(
      recorded.items.map((i) => i.key),
      ['i0000001', 'b0000058', 'i0000099'],
    );
    assert.deepEqual(
      believed.items.map((i) => i.key),
      ['i0000001', 'b0000058', 'b0000081', 'b0000085', 'b0000091', 'b0000095', 'i0000099'],
    );
  });

  it('puts back what the replayed run believes it gave the lane but the lane never received', () => {
    const { s, ctx, recorded, believed } = chaosSeed7();
    applyLaneResult(s, believed, ranClean(recorded), ctx(REAL + 30_000), newTermReceipts());
    assert.deepEqual(
      s.pending.map((i) => i.key),
      ['b0000081', 'b0000085', 'b0000091', 'b0000095'],
      'the four batches the lane never ran wait to be sent again',
    );
    assert.ok(s.pending.every((i) => i.resets === 1 && i.submitAttempts === 1), 'as they were: their possible reset counted');
    assert.equal(nothingLeft(s, 100), false);
  });

  it('without the receipts (runs before the patch) the four batches are lost: the campaign would end', () => {
    const { s, ctx, recorded, believed } = chaosSeed7();
    applyLaneResult(s, believed, ranClean(recorded), ctx(REAL + 30_000));
    assert.equal(nothingLeft(s, 100), true);
  });

  it('changes nothing when the lane received what the run planned', () => {
    const { s, ctx, believed } = chaosSeed7();
    const without = clone(s);
    applyLaneResult(s, believed, ranClean(believed), ctx(REAL + 30_000), newTermReceipts());
    applyLaneResult(without, believed, ranClean(believed), ctx(REAL + 30_000));
    assert.deepEqual(s, without);
  });

  it('takes out of the state what the lane ran that the run still holds, so nothing is run twice', () => {
    const { s, ctx, recorded, believed } = chaosSeed7();
    // The other way round: the run believes the stale plan, the lane received the full one.
    const state = clone(s);
    state.pending.push(...believed.items.filter((i) => !recorded.items.some((r) => r.key === i.key)));
    applyLaneResult(state, recorded, ranClean(believed), ctx(REAL + 30_000), newTermReceipts());
    assert.deepEqual(state.pending, []);
  });

  it('an item moved between two lanes of a term is neither lost nor run twice, whichever returns first', () => {
    for (const order of [
      [0, 1],
      [1, 0],
    ]) {
      const { s, ctx } = setup({ rate: 20, concurrency: 20, canary: 0, batchSize: 10 }, 10);
      s.nextBatch = 10;
      const x = reReset(3, 0);
      const y = reReset(4, 0);
      // Believed: X on lane 0, Y on lane 1. Received: both on lane 1.
      const lane = (n: number, items: WorkItem[]): LaneInput => laneInput({ lane: n, lanes: 2, items });
      const believed = [lane(0, [x]), lane(1, [y])];
      const received = [lane(0, []), lane(1, [x, y])];
      const receipts = newTermReceipts();
      for (const n of order) applyLaneResult(s, believed[n]!, ranClean(received[n]!), ctx(10), receipts);
      assert.deepEqual(s.pending, [], `order ${order.join(',')}`);
      assert.equal(s.counts.succeeded, 20, 'X and Y counted once each');
    }
  });

  it('new batches: more taken from the spool than believed are taken out of it, fewer go back as spare', () => {
    const { s, ctx } = setup({ rate: 3.5, concurrency: 16, canary: 0, batchSize: 10 }, 100);
    s.nextBatch = 40;
    const input = laneInput();
    // Believed [30, 40), received [30, 45): 40..45 were run, the spool's next batch is 45.
    const more = clone(s);
    applyLaneResult(more, { ...input, batches: { from: 30, to: 40 } }, ranClean({ ...input, batches: { from: 30, to: 45 } }), ctx(1), newTermReceipts());
    assert.equal(more.nextBatch, 45);
    assert.deepEqual(more.spareBatches ?? [], []);
    // Believed [30, 40), received [30, 35): 35..40 were never run and go back.
    const fewer = clone(s);
    applyLaneResult(fewer, { ...input, batches: { from: 30, to: 40 } }, ranClean({ ...input, batches: { from: 30, to: 35 } }), ctx(1), newTermReceipts());
    assert.equal(fewer.nextBatch, 40);
    assert.deepEqual(fewer.spareBatches, [{ from: 35, to: 40 }]);
    // Received [42, 45) past the spool's next batch 40: 40..42 stay to send, as spare.
    const gap = clone(s);
    applyLaneResult(gap, { ...input, batches: undefined }, ranClean({ ...input, batches: { from: 42, to: 45 } }), ctx(1), newTermReceipts());
    assert.equal(gap.nextBatch, 45);
    assert.deepEqual(gap.spareBatches, [{ from: 40, to: 42 }]);
  });

  it('canary batches the lane ran that the run did not expect are outstanding, so the canary counts them', () => {
    const { s, ctx } = setup({ rate: 3.5, concurrency: 16, canary: 5, batchSize: 10 }, 100);
    s.nextBatch = 3;
    s.canary.outstanding = { 0: 1, 1: 1, 2: 1 };
    const input = laneInput({ detail: true, batches: { from: 0, to: 3 } });
    const r = ranClean({ ...input, batches: { from: 0, to: 5 } });
    r.results = [0, 1, 2, 3, 4].map((n) => ({ item: batch(n), result: clean }));
    r.totals = emptyTotals();
    applyLaneResult(s, input, r, ctx(1), newTermReceipts());
    assert.equal(s.nextBatch, 5);
    assert.equal(s.canary.passed, true, 'all five canary batches judged');
    assert.equal(s.canary.instances, 50);
  });

  it('range subtraction', () => {
    assert.deepEqual(subtract([{ from: 0, to: 10 }], [{ from: 3, to: 5 }]), [
      { from: 0, to: 3 },
      { from: 5, to: 10 },
    ]);
    assert.deepEqual(subtract([{ from: 0, to: 10 }], [{ from: 0, to: 10 }]), []);
    assert.deepEqual(subtract([{ from: 0, to: 10 }], [{ from: 10, to: 12 }]), [{ from: 0, to: 10 }]);
  });
});

function laneInput(over: Partial<LaneInput> = {}): LaneInput {
  return {
    campaignId: 'c',
    term: 1,
    lane: 0,
    lanes: 1,
    items: [],
    batchSize: 10,
    spoolTotal: 1000,
    rate: { current: 3.5, lastSlotAt: 0, clean: 0 },
    ceiling: 3.5,
    startDelayMs: 0,
    sendForMs: 30_000,
    returnAfterMs: 30_000,
    concurrency: 16,
    detail: false,
    maxResultIds: 2000,
    item: { retryFailed: 1, retryTimedOut: 0, noRetryCodes: [], jobTimeoutMs: 25_000, heartbeatTimeoutMs: 5000 },
    ...over,
  };
}
