import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyTotals, type LaneInput, type LaneResult } from '../../src/campaign/lane';
import { campaignOptionsSchema } from '../../src/campaign/options';
import type { ResetBatchResult, WorkItem } from '../../src/campaign/work-item';
import { newCarry } from '../../src/workflows/campaign-state';
import { applyItemResult, type OutcomeContext } from '../../src/workflows/engine/item-outcome';
import { applyLaneResult } from '../../src/workflows/engine/lane-result';

const NOW = 5_000_000;
const options = campaignOptionsSchema.parse({ rate: 20, canary: 1, retryDelayMs: 60_000, submitTimeoutMs: 600_000 });

function ctx(): OutcomeContext {
  let n = 0;
  return { options, canaryBatches: 1, now: NOW, random: () => 0.5, newKey: () => `k${n++}` };
}
const item = (over: Partial<WorkItem> = {}): WorkItem => ({
  key: 'b0000000',
  batchNo: 0,
  round: 0,
  range: { start: 0, end: 100 },
  resets: 0,
  submitAttempts: 0,
  notBefore: 0,
  ...over,
});
const tracked = (over: Partial<Extract<ResetBatchResult, { kind: 'tracked' }>> = {}): ResetBatchResult => ({
  kind: 'tracked',
  counts: { succeeded: 100 },
  retryIds: [],
  failedJobs: 0,
  resets: 100,
  calls: 1,
  polls: 2,
  ...over,
});

describe('item outcomes', () => {
  it('passes the canary once its only batch ends clean, and counts the ramp', () => {
    const s = newCarry(options, 20);
    s.nextBatch = 1;
    s.canary.outstanding[0] = 1;
    const e = applyItemResult(s, item(), tracked(), ctx());
    assert.deepEqual(e.canary, { passed: true });
    assert.equal(s.canary.passed, true);
    assert.equal(s.counts.succeeded, 100);
    assert.equal(s.rampSucceeded, 1);
  });

  it('fails the canary when its batch breaks the budget', () => {
    const s = newCarry(options, 20);
    s.nextBatch = 1;
    s.canary.outstanding[0] = 1;
    const e = applyItemResult(s, item(), tracked({ counts: { succeeded: 50, failed: 50 }, failedJobs: 50 }), ctx());
    assert.equal(e.canary?.passed, false);
  });

  it('queues failed jobs for a re-reset round after the retry delay, one more reset each', () => {
    const s = newCarry(options, 20);
    s.canary.passed = true;
    applyItemResult(s, item(), tracked({ counts: { succeeded: 98 }, retryIds: ['a', 'b'], failedJobs: 2 }), ctx());
    assert.deepEqual(
      s.pending.map((p) => ({ ids: p.ids, round: p.round, resets: p.resets, notBefore: p.notBefore })),
      [{ ids: ['a', 'b'], round: 1, resets: 1, notBefore: NOW + 60_000 }],
    );
    assert.equal(s.rampSucceeded, 0);
  });

  it('backs a refused call off exponentially and counts a possible reset when the answer was lost', () => {
    const s = newCarry(options, 20);
    const r: ResetBatchResult = { kind: 'retry', code: 'NETWORK', message: 'reset', throttled: false, ambiguous: true, calls: 1 };
    applyItemResult(s, item({ submitAttempts: 2, firstSubmitAt: NOW - 1000 }), r, ctx());
    const p = s.pending[0]!;
    assert.equal(p.submitAttempts, 3);
    assert.equal(p.resets, 1);
    assert.equal(s.resetsSent, 100);
    // 2 s × 2² plus 10 % jitter (random 0.5 of 20 %).
    assert.equal(p.notBefore, NOW + 8000 + 800);
  });

  it('a call whose answer proved nothing: counted, carried with its reason to retries, halves, re-resets', () => {
    const s = newCarry(options, 20);
    const why = 'HTTP 502 after the call was sent';
    const r: ResetBatchResult = {
      kind: 'retry',
      code: 'HTTP_502',
      message: 'bad gateway',
      throttled: false,
      ambiguous: false,
      calls: 1,
      uncertain: 1,
      uncertainWhy: why,
      lostAnswer: true,
    };
    applyItemResult(s, item(), r, ctx());
    const retried = s.pending[0]!;
    assert.deepEqual([retried.resets, retried.possible, s.resetsSent], [1, { count: 1, why }, 100]);
    // Refused next (a phone's sake): the halves still carry it.
    s.pending = [];
    const frozen: ResetBatchResult = {
      kind: 'rejected',
      code: 'KOOPHONE.API.2004',
      message: 'frozen',
      transient: false,
      calls: 1,
    };
    applyItemResult(s, retried, frozen, ctx());
    assert.deepEqual(s.pending.map((p) => [p.resets, p.possible]), [[1, { count: 1, why }], [1, { count: 1, why }]]);
    // Accepted with failed jobs: the re-reset round carries it too, plus the accepted call.
    const half = s.pending[0]!;
    s.pending = [];
    applyItemResult(s, half, tracked({ counts: { succeeded: 48 }, retryIds: ['a', 'b'], failedJobs: 2, resets: 50 }), ctx());
    assert.deepEqual(s.pending.map((p) => [p.resets, p.possible]), [[2, { count: 1, why }]]);
  });

  it('gives up submitting after the submit timeout', () => {
    const s = newCarry(options, 20);
    const r: ResetBatchResult = { kind: 'retry', code: '5xx', message: 'down', throttled: false, ambiguous: false, calls: 1 };
    const e = applyItemResult(s, item({ firstSubmitAt: NOW - 600_000 }), r, ctx());
    assert.equal(e.giveUp?.outcome, 'failed');
    assert.match(e.giveUp!.message, /gave up submitting after 1 attempts/);
    assert.equal(s.pending.length, 0);
  });

  it('splits a refused batch in halves and keeps the canary waiting for both', () => {
    const s = newCarry(options, 20);
    s.nextBatch = 1;
    s.canary.outstanding[0] = 1;
    const r: ResetBatchResult = { kind: 'rejected', code: 'KooPhone.API.2003', message: 'frozen', transient: false, calls: 1 };
    applyItemResult(s, item(), r, ctx());
    assert.deepEqual(s.pending.map((p) => p.range), [{ start: 0, end: 50 }, { start: 50, end: 100 }]);
    assert.equal(s.canary.outstanding[0], 2);
  });

  it('lets a busy phone wait outside the canary', () => {
    const s = newCarry(options, 20);
    s.nextBatch = 1;
    s.canary.outstanding[0] = 1;
    const r: ResetBatchResult = { kind: 'rejected', code: 'KooPhone.API.2005', message: 'busy', transient: true, calls: 1 };
    const e = applyItemResult(s, item({ range: { start: 0, end: 1 } }), r, ctx());
    assert.equal(s.pending[0]!.outsideCanary, true);
    assert.deepEqual(e.canary, { passed: true });
  });

  it('stops the campaign on a fatal answer and writes the line', () => {
    const s = newCarry(options, 20);
    const r: ResetBatchResult = { kind: 'fatal', code: 'KooPhone.API.0401', message: 'bad token', calls: 1 };
    const e = applyItemResult(s, item(), r, ctx());
    assert.equal(e.abort, 'KooPhone.API.0401: bad token');
    assert.equal(e.giveUp?.outcome, 'rejected');
  });
});

describe('lane results', () => {
  const lane = { lane: 0, lanes: 4, rate: { current: 5, lastSlotAt: 0, clean: 0 } } as LaneInput;
  const result = (over: Partial<LaneResult>): LaneResult => ({
    results: [],
    totals: emptyTotals(),
    unsent: [],
    handedOver: [],
    rate: { current: 5, lastSlotAt: 0, clean: 0 },
    calls: 0,
    polls: 0,
    heartbeats: 0,
    attempt: 1,
    ...over,
  });

  it('folds summed outcomes, hands over tracking items first, and keeps unsent work', () => {
    const s = newCarry(options, 20);
    s.pending = [item({ key: 'old' })];
    const totals = { ...emptyTotals(), items: 3, resets: 300, cleanFirstRound: 3 };
    totals.counts.succeeded = 300;
    applyLaneResult(
      s,
      lane,
      result({
        totals,
        calls: 4,
        polls: 9,
        handedOver: [item({ key: 'h' })],
        unsent: [item({ key: 'u' })],
        unsentBatches: { from: 10, to: 20 },
      }),
      ctx(),
    );
    assert.equal(s.counts.succeeded, 300);
    assert.equal(s.calls, 4);
    assert.equal(s.polls, 9);
    assert.equal(s.rampSucceeded, 3);
    assert.deepEqual(s.pending.map((p) => [p.key, p.handedOver]), [['h', true], ['old', undefined], ['u', undefined]]);
    assert.deepEqual(s.spareBatches, [{ from: 10, to: 20 }]);
  });

  it('sums the odd answers lanes met, one entry per kind with the first example', () => {
    const s = newCarry(options, 20);
    applyLaneResult(s, lane, result({ anomalies: [{ kind: 'foreign_job', count: 2, example: 'zz1' }] }), ctx());
    applyLaneResult(
      s,
      lane,
      result({
        anomalies: [
          { kind: 'foreign_job', count: 1, example: 'zz2' },
          { kind: 'duplicate_job', count: 1, example: 'a1' },
        ],
      }),
      ctx(),
    );
    assert.deepEqual(s.anomalies, [
      { kind: 'foreign_job', count: 3, example: 'zz1' },
      { kind: 'duplicate_job', count: 1, example: 'a1' },
    ]);
    // A lane with none leaves the carried state as it was (no empty list in old runs' inputs).
    const quiet = newCarry(options, 20);
    applyLaneResult(quiet, lane, result({}), ctx());
    assert.equal(quiet.anomalies, undefined);
  });

  it("moves the campaign's rate by what the lane changed, and scales a named limit back to the account", () => {
    const s = newCarry(options, 20);
    applyLaneResult(s, lane, result({ rate: { current: 2.5, lastSlotAt: 0, clean: 0, knownLimit: 2.5 } }), ctx());
    assert.equal(s.rate.current, 17.5);
    assert.equal(s.rate.knownLimit, 10);
  });
});
