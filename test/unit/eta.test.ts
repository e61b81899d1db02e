import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addEtaSample, campaignThroughput, estimateRemainingMs, type EtaState } from '../../src/campaign/eta';
import { firstPollAfter } from '../../src/campaign/poll-schedule';
import { burstyCampaign } from '../helpers/bursty-campaign';

/** How the CLI's watch estimated it before: the rate over the last 15 s of samples. */
function windowEta(
  samples: { at: number; finished: number }[],
  i: number,
  total: number,
): number | undefined {
  const last = samples[i]!;
  let j = i;
  while (j > 0 && last.at - samples[j - 1]!.at <= 15_000) j -= 1;
  const first = samples[j]!;
  const perMs = (last.finished - first.finished) / (last.at - first.at || 1);
  return perMs > 0 ? (total - last.finished) / perMs : undefined;
}

void describe('the campaign bound (Little’s law)', () => {
  void it('10 in flight with 60 s jobs allow ~0.14 calls/s; 5 calls/s need ~367 in flight', () => {
    const b = campaignThroughput({ rate: 5, concurrency: 10, itemLifetimeMs: firstPollAfter(60_000).atMs });
    assert.ok(Math.abs(b.callsPerSecond - 0.14) < 0.005, String(b.callsPerSecond));
    assert.equal(b.concurrencyBound, true);
    // A 60 s job is seen done at the 73.375 s poll: 5 calls/s × 73.375 s = 366.9 slots.
    assert.equal(b.concurrencyForRate, 367);
  });

  void it('the rate is the bound when the window is wide enough', () => {
    const b = campaignThroughput({ rate: 5, concurrency: 400, itemLifetimeMs: 73_375 });
    assert.equal(b.callsPerSecond, 5);
    assert.equal(b.concurrencyBound, false);
  });
});

void describe('ETA: smoothed, never wildly wrong', () => {
  const total = 20_000;
  const samples = burstyCampaign();
  const endAt = samples[samples.length - 1]!.at;

  void it('the old 15 s window jumps by orders of magnitude on the same sequence (what the issue saw)', () => {
    const etas = samples
      .map((_, i) => windowEta(samples, i, total))
      .filter((e): e is number => e !== undefined && e > 0);
    const ratio = Math.max(...etas) / Math.min(...etas);
    assert.ok(ratio > 100, `old estimates from ${Math.min(...etas)} ms to ${Math.max(...etas)} ms`);
  });

  void it('with the plan as prior: within 25 % of the truth from the start, and no jump over 20 % between samples', () => {
    const lifetime = firstPollAfter(60_000).atMs;
    const planned = campaignThroughput({ rate: 5, concurrency: 10, itemLifetimeMs: lifetime });
    const priorPerMs = (planned.callsPerSecond * 100) / 1000;
    let state: EtaState = {};
    let previous: number | undefined;
    for (const s of samples) {
      state = addEtaSample(state, s, { priorPerMs });
      const left = total - s.finished;
      const eta = estimateRemainingMs(state, left);
      assert.ok(eta !== undefined);
      const truth = endAt - s.at;
      if (truth > 10 * 60_000) {
        assert.ok(Math.abs(eta - truth) <= truth * 0.25, `at ${s.at} ms: eta ${eta} ms, truth ${truth} ms`);
      }
      if (previous !== undefined && previous > 10 * 60_000) {
        assert.ok(Math.abs(eta - previous) <= previous * 0.2, `jump from ${previous} to ${eta} at ${s.at}`);
      }
      previous = eta;
    }
  });

  void it('without a prior: the average since the start stands in, then smoothing; within 50 % once a few batches ended', () => {
    let state: EtaState = {};
    for (const s of samples) {
      state = addEtaSample(state, s);
      const truth = endAt - s.at;
      if (s.at < 5 * 60_000 || truth < 10 * 60_000) continue;
      const eta = estimateRemainingMs(state, total - s.finished);
      assert.ok(eta !== undefined);
      assert.ok(Math.abs(eta - truth) <= truth * 0.5, `at ${s.at} ms: eta ${eta} ms, truth ${truth} ms`);
    }
  });

  void it('no rate yet: undefined; nothing left: 0; a stall after progress pushes the estimate out', () => {
    assert.equal(estimateRemainingMs({}, 10), undefined);
    assert.equal(estimateRemainingMs(addEtaSample({}, { at: 0, finished: 0 }), 0), 0);
    const prior = { priorPerMs: 0.1 };
    let state = addEtaSample({}, { at: 0, finished: 0 }, prior);
    // Before anything finishes, silence is the pipeline filling: the plan's rate stands.
    state = addEtaSample(state, { at: 60_000, finished: 0 }, prior);
    assert.equal(estimateRemainingMs(state, 1000), 10_000);
    state = addEtaSample(state, { at: 62_000, finished: 200 }, prior);
    const before = estimateRemainingMs(state, 1000)!;
    for (let at = 64_000; at <= 662_000; at += 2000)
      state = addEtaSample(state, { at, finished: 200 }, prior);
    assert.ok(
      estimateRemainingMs(state, 1000)! > before * 5,
      'ten minutes without progress push the ETA out',
    );
  });
});
