import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LaneLedger } from '../../src/campaign/lane-ledger';
import type { LaneInput } from '../../src/campaign/lane';
import { emptyCounts } from '../../src/campaign/outcome';
import type { WorkItem } from '../../src/campaign/work-item';
import { initialRate } from '../../src/campaign/rate-slots';

const item = (key: string, ids?: string[]): WorkItem => ({
  key,
  batchNo: 0,
  round: 0,
  ...(ids ? { ids } : { range: { start: 0, end: 10 } }),
  resets: 0,
  submitAttempts: 0,
  notBefore: 0,
});

function input(over: Partial<LaneInput> = {}): LaneInput {
  return {
    campaignId: 'c',
    term: 1,
    lane: 0,
    lanes: 4,
    items: [],
    batchSize: 10,
    spoolTotal: 100,
    rate: initialRate(10),
    ceiling: 10,
    startDelayMs: 0,
    sendForMs: 30_000,
    concurrency: 10,
    detail: false,
    maxResultIds: 15,
    item: { retryFailed: 1, retryTimedOut: 0, noRetryCodes: [], jobTimeoutMs: 60_000, heartbeatTimeoutMs: 10_000 },
    ...over,
  };
}

const tracked = (counts: Record<string, number>, retryIds: string[] = []) =>
  ({ kind: 'tracked', counts, retryIds, failedJobs: retryIds.length, resets: 10, calls: 1, polls: 2 }) as const;

describe('lane ledger: what a lane did in its term', () => {
  it('sums clean items, keeps the ones that need a decision, and stops sending when their ids fill a payload', () => {
    const l = new LaneLedger(input(), 1);
    assert.deepEqual(l.record(item('b1'), tracked({ succeeded: 10 })), { full: false });
    assert.deepEqual(l.record(item('b2'), tracked({ succeeded: 2 }, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'])), { full: false });
    assert.deepEqual(l.record(item('i1', ['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7']), tracked({ succeeded: 7 }, [])).full, false);
    assert.equal(l.result.totals.items, 2);
    assert.equal(l.result.results.length, 1);
    assert.equal(l.record(item('i2', ['y1', 'y2', 'y3', 'y4', 'y5', 'y6', 'y7']), tracked({}, ['y1'])).full, true);
    assert.equal(l.result.polls, 8);
  });

  it('a fatal answer stops the lane at once; a broken budget (as if every lane fared the same) too', () => {
    const fatal = new LaneLedger(input(), 1);
    const r = { kind: 'fatal', code: 'KOOPHONE.API.0000', message: 'tenant not found', calls: 1 } as const;
    assert.deepEqual(fatal.record(item('b1'), r), { stop: 'KOOPHONE.API.0000: tenant not found', full: false });

    const budget = { maxErrors: { kind: 'count', value: 10 } as const, abortOn: {}, abortMinFinished: 0, counts: emptyCounts(), total: 100 };
    const l = new LaneLedger(input({ budget }), 1);
    assert.equal(l.record(item('b1'), tracked({ succeeded: 8, failed: 2 })).stop, undefined, '2 × 4 lanes = 8 ≤ 10');
    assert.match(l.record(item('b2'), tracked({ succeeded: 9, failed: 1 })).stop ?? '', /error budget/i);
  });

  it("KooPhone's errors become troubles by kind; answers about phones do not; an answer is dated", () => {
    let now = 1000;
    const l = new LaneLedger(input(), 1, () => now);
    l.answered({ code: 'APIGW.0301', message: 'invalid token' });
    now = 2000;
    l.answered({ code: 'APIGW.0301', message: 'invalid token' });
    l.answered({ code: 'KOOPHONE.API.1000', message: 'bad instance' });
    l.answered();
    assert.deepEqual(l.troubles, [
      { kind: 'auth', code: 'APIGW.0301', message: 'invalid token', calls: 2, firstAt: 1000, lastAt: 2000 },
    ]);
    assert.equal(l.answeredAt, 2000);
  });

  it('counts the calls that died with an earlier worker, and a lost answer only once', () => {
    const l = new LaneLedger(input(), 2);
    l.sent();
    l.unreported(1);
    l.record(item('b1'), { ...tracked({ succeeded: 10 }), uncertain: 1 });
    l.sent();
    const lost = { kind: 'retry', code: 'TIMEOUT', message: 'no answer', throttled: false, ambiguous: false, lostAnswer: true, calls: 1, uncertain: 1 } as const;
    l.record(item('b2'), lost);
    assert.equal(l.result.calls, 4);
  });
});
