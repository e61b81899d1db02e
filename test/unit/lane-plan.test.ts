import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { campaignOptionsSchema, type CampaignOptionsInput } from '../../src/campaign/options';
import { newCarry, type CampaignCarry } from '../../src/workflows/campaign-state';
import { laneCount, planTerm, splitEvenly, type TermContext } from '../../src/workflows/engine/lane-plan';

const NOW = 1_000_000;

function setup(o: CampaignOptionsInput, total: number, patch: Partial<CampaignCarry> = {}) {
  const options = campaignOptionsSchema.parse(o);
  const rate = options.rate === 'auto' ? options.rateMax : options.rate;
  const s = { ...newCarry(options, rate), ...patch };
  const totalBatches = Math.ceil(total / options.batchSize);
  const ctx: TermContext = {
    campaignId: 'c',
    term: 1,
    options,
    now: NOW,
    mode: 'sending',
    ceiling: rate,
    concurrency: options.concurrency,
    totalBatches,
    canaryBatches: Math.min(options.canary, totalBatches),
    spoolTotal: total,
    item: { retryFailed: 0, retryTimedOut: 0, noRetryCodes: [], jobTimeoutMs: 60_000, heartbeatTimeoutMs: 60_000 },
  };
  return { s, ctx };
}

describe('lane plan', () => {
  it('uses at most max(1, rate/10) lanes, so each second stays within rate + max(1, rate/10)', () => {
    assert.equal(laneCount(5, 10), 1);
    assert.equal(laneCount(19, 10), 1);
    assert.equal(laneCount(20, 250), 2);
    assert.equal(laneCount(100, 500), 10);
    assert.equal(laneCount(100, 3), 3, 'never more lanes than batches in flight');
    assert.equal(laneCount(1000, 500), 32);
  });

  it('splits evenly, the larger parts first', () => {
    assert.deepEqual(splitEvenly(10, 3), [4, 3, 3]);
    assert.deepEqual(splitEvenly(500, 10), Array(10).fill(50));
  });

  it('runs the canary alone on one lane, tracked to its end and judged batch by batch', () => {
    const { s, ctx } = setup({ rate: 100, concurrency: 500, canary: 2 }, 100_000);
    const lanes = planTerm(s, ctx);
    assert.equal(lanes.length, 1);
    assert.deepEqual(lanes[0]!.batches, { from: 0, to: 2 });
    assert.equal(lanes[0]!.detail, true);
    assert.equal(lanes[0]!.returnAfterMs, undefined);
    assert.deepEqual(s.canary.outstanding, { 0: 1, 1: 1 });
    assert.equal(s.nextBatch, 2);
  });

  it('shares rate and concurrency exactly among the lanes and gives each a term of batches', () => {
    const { s, ctx } = setup({ rate: 100, concurrency: 500, canary: 0, termMs: 30_000 }, 1_000_000);
    const lanes = planTerm(s, ctx);
    assert.equal(lanes.length, 10);
    assert.equal(lanes.reduce((n, l) => n + l.rate.current, 0), 100);
    assert.equal(lanes.reduce((n, l) => n + l.concurrency, 0), 500);
    // 10 calls/s for 30 s each, contiguous and disjoint.
    lanes.forEach((l, i) => assert.deepEqual(l.batches, { from: i * 300, to: (i + 1) * 300 }));
    assert.equal(s.nextBatch, 3000);
    for (const l of lanes) assert.equal(l.returnAfterMs, l.sendForMs);
    // One lane interval (100 ms at 10/s), then lanes a call (10 ms) apart.
    assert.deepEqual(
      lanes.map((l) => l.startDelayMs),
      lanes.map((_, i) => 100 + i * 10),
    );
  });

  it('spreads a small remainder evenly rather than loading the first lane', () => {
    const { s, ctx } = setup({ rate: 20, concurrency: 4, canary: 0 }, 1050);
    const lanes = planTerm(s, ctx);
    assert.deepEqual(
      lanes.map((l) => l.batches),
      [
        { from: 0, to: 6 },
        { from: 6, to: 11 },
      ],
    );
  });

  it('ends sending at the window, and only tracks handed-over items while stopping', () => {
    const { s, ctx } = setup({ rate: 10, canary: 0 }, 1000);
    const windowed = planTerm(s, { ...ctx, windowEnd: NOW + 5000 });
    assert.equal(windowed[0]!.sendForMs, 5000);
    const item = { key: 'i1', batchNo: 3, round: 0, range: { start: 300, end: 400 }, resets: 0, submitAttempts: 0, notBefore: NOW, handedOver: true as const };
    const due = { ...item, key: 'i2', handedOver: undefined };
    const { s: s2, ctx: ctx2 } = setup({ rate: 10, canary: 0 }, 1000, { pending: [item, due] });
    const tracking = planTerm(s2, { ...ctx2, mode: 'tracking' });
    assert.equal(tracking.length, 1);
    assert.deepEqual(tracking[0]!.items.map((i) => i.key), ['i1']);
    assert.equal(tracking[0]!.sendForMs, 0, 'a tracking lane sends nothing');
    assert.equal(tracking[0]!.returnAfterMs, undefined, 'and follows its jobs to their end');
    assert.deepEqual(s2.pending.map((i) => i.key), ['i2']);
  });

  it('holds new batches back while explicit ids waiting for retry reach the cap', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `id-${i}`);
    const later = Array.from({ length: 20 }, (_, k) => ({ key: `r${k}`, batchNo: k, round: 1, ids, resets: 1, submitAttempts: 0, notBefore: NOW + 60_000 }));
    const { s, ctx } = setup({ rate: 10, canary: 0 }, 10_000, { pending: later });
    assert.deepEqual(planTerm(s, ctx), []);
    assert.equal(s.nextBatch, 0);
  });

  it('gives spare batches (handed back unsent) before new ones', () => {
    const { s, ctx } = setup({ rate: 5, canary: 0, termMs: 2000 }, 10_000, { spareBatches: [{ from: 40, to: 45 }], nextBatch: 50 });
    const lanes = planTerm(s, ctx);
    assert.deepEqual(lanes[0]!.batches, { from: 40, to: 45 });
    assert.equal(s.spareBatches!.length, 0);
    assert.equal(s.nextBatch, 50);
  });

  it('while the ramp climbs, sends one window per lane and follows it to its end', () => {
    const { s, ctx } = setup({ rate: 50, concurrency: 8, rampStart: 1, canary: 0 }, 6000);
    const lanes = planTerm(s, { ...ctx, concurrency: 2 });
    assert.deepEqual(
      lanes.map((l) => [l.batches, l.concurrency, l.returnAfterMs]),
      [
        [{ from: 0, to: 1 }, 1, undefined],
        [{ from: 1, to: 2 }, 1, undefined],
      ],
    );
    const full = planTerm(s, { ...ctx, concurrency: 8 });
    assert.ok(full.every((l) => l.returnAfterMs === l.sendForMs), 'ramp done: terms hand over again');
  });

  it('counts items to send again in the even share, so no batch is left for a term of its own', () => {
    const unsent = (k: number) => ({ key: `b${k}`, batchNo: k, round: 0, range: { start: k * 100, end: k * 100 + 100 }, resets: 0, submitAttempts: 0, notBefore: NOW - 1 });
    const { s, ctx } = setup({ rate: 20, concurrency: 250, canary: 0 }, 100_000, { nextBatch: 600, pending: [unsent(299), unsent(599)] });
    const lanes = planTerm(s, ctx);
    const sends = lanes.map((l) => l.items.length + l.batches!.to - l.batches!.from);
    assert.deepEqual(sends, [201, 201]);
    assert.equal(s.nextBatch, 1000, 'every batch planned');
  });
});
