import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { budgetExceeded, canaryFailed } from '../../src/campaign/budget';
import {
  initialRate,
  onClean,
  onSlotMet,
  onSlotMissed,
  onThrottled,
  takeSlot,
} from '../../src/campaign/rate-slots';
import { campaignOptionsSchema } from '../../src/campaign/options';

describe('error budget', () => {
  it('judges a percentage only once enough instances finished', () => {
    const b = { kind: 'percent' as const, value: 10 };
    assert.equal(budgetExceeded(b, 5, 20, 1000), undefined);
    assert.match(
      budgetExceeded(b, 11, 100, 1000) ?? '',
      /11 of 100 finished instances failed \(11\.0% > 10%\)/,
    );
    assert.equal(budgetExceeded(b, 10, 100, 1000), undefined);
    assert.match(budgetExceeded(b, 2, 5, 5) ?? '', /40\.0%/);
  });

  it('judges a count absolutely, and the canary on its own sample', () => {
    assert.equal(budgetExceeded({ kind: 'count', value: 3 }, 3, 10, 10), undefined);
    assert.match(budgetExceeded({ kind: 'count', value: 3 }, 4, 10, 10) ?? '', /4 errors > --max-errors 3/);
    assert.match(canaryFailed({ kind: 'percent', value: 10 }, 20, 100) ?? '', /canary failed/);
    assert.equal(canaryFailed({ kind: 'percent', value: 10 }, 10, 100), undefined);
  });
});

describe('rate slots', () => {
  it('spaces calls by 1/rate whatever the request times', () => {
    const r = initialRate(5);
    const slots = [0, 0, 0, 100, 100].map((now) => takeSlot(r, 1000 + now, 0));
    assert.deepEqual(slots, [1000, 1200, 1400, 1600, 1800]);
    assert.equal(takeSlot(r, 5000, 0), 5000);
    assert.equal(takeSlot(r, 5000, 9000), 9000);
  });

  it('halves on throttling and wins the rate back step by step', () => {
    const r = initialRate(10);
    onThrottled(r, 10);
    assert.equal(r.current, 5);
    for (let i = 0; i < 10; i++) onClean(r, 10);
    assert.equal(r.current, 6);
    for (let i = 0; i < 100; i++) onClean(r, 10);
    assert.equal(r.current, 10);
  });
});

describe('slot lead', () => {
  it('grows while calls miss their slots, settles near twice the lateness, and wears off', () => {
    const state = initialRate(8);
    // Six calls handed out together all reached their worker 1.7 s late.
    for (let i = 0; i < 6; i += 1) onSlotMissed(state, 1700);
    assert.ok(state.extraLeadMs! >= 1700 && state.extraLeadMs! <= 3400, `extra lead ${state.extraLeadMs} ms`);
    for (let i = 0; i < 20; i += 1) onSlotMissed(state, 10_000);
    assert.equal(state.extraLeadMs, 4000, 'capped');
    let met = 0;
    while (state.extraLeadMs !== undefined) {
      onSlotMet(state);
      met += 1;
    }
    assert.ok(met > 20 && met < 100, `worn off after ${met} calls on time`);
  });
});

describe('campaign options', () => {
  it('applies the documented defaults', () => {
    const o = campaignOptionsSchema.parse({});
    assert.equal(o.batchSize, 100);
    assert.equal(o.concurrency, 10);
    assert.equal(o.rate, 5);
    assert.deepEqual(o.maxErrors, { kind: 'percent', value: 10 });
    assert.equal(o.canary, 1);
    assert.equal(o.retryFailed, 2);
    assert.equal(o.retryDelayMs, 300_000);
    assert.equal(o.jobTimeoutMs, 1_800_000);
  });

  it('refuses bad values with the option named', () => {
    const bad = campaignOptionsSchema.safeParse({
      batchSize: 101,
      maxErrors: 'lots',
      retryDelayMs: '5 parsecs',
    });
    assert.equal(bad.success, false);
    const text = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    assert.match(text, /batchSize/);
    assert.match(text, /maxErrors: "lots" must be a count/);
    assert.match(text, /retryDelayMs: "5 parsecs" is not a duration/);
  });
});
