import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { campaignOptionsSchema, type CampaignOptionsInput } from '../../src/campaign/options';
import { formatPlan, planCampaign } from '../../src/cli/plan';

const plan = (options: Partial<CampaignOptionsInput>, instances: number, jobMs?: number) =>
  planCampaign(
    'c-plan',
    campaignOptionsSchema.parse({ campaignId: 'c-plan', ...options }),
    { instances, duplicates: 0, describe: 'a file' },
    jobMs,
  );

void describe('plan: duration from the real bound min(rate, concurrency / batch lifetime)', () => {
  void it('defaults (10 in flight, 60 s jobs) are bound by concurrency: ~0.14 calls/s, and the plan says so', () => {
    const p = plan({}, 600_000);
    assert.equal(p.concurrencyBound, true);
    assert.ok(Math.abs(p.callsPerSecond - 0.14) < 0.005, String(p.callsPerSecond));
    // A 60 s job is seen done at the 73.375 s poll (2, 4, 7, 11.5, 18.25, 28.375, 43.375, 58.375,
    // 73.375 s): 10 slots allow 10 / 73.375 ≈ 0.136 calls/s, and 6 000 batches at that pace take
    // 5 999 / 0.136 s plus two batch lifetimes (the canary's, the last batch's) ≈ 12 h 15 m, not
    // the 20 min that 5 calls/s would take.
    assert.ok(p.estimatedDurationMs! > 11 * 3_600_000 && p.estimatedDurationMs! < 13 * 3_600_000);
    const text = formatPlan(p).join('\n');
    assert.match(text, /duration {5}~12h15m at ~0\.14 calls\/s \(10 in flight; 5 calls\/s allowed\)/);
    assert.match(
      text,
      /warning {6}concurrency 10 allows ~0\.14 calls\/s with 1m jobs; raise --concurrency to ≥ 367 for 5 calls\/s/,
    );
  });

  void it('a window wide enough leaves the rate as the bound, with no warning', () => {
    const p = plan({ concurrency: 400 }, 600_000);
    assert.equal(p.concurrencyBound, false);
    assert.equal(p.callsPerSecond, 5);
    // 6 000 calls at 5/s: 20 min, plus a canary batch and the last batch's lifetime.
    assert.ok(p.estimatedDurationMs! > 20 * 60_000 && p.estimatedDurationMs! < 24 * 60_000);
    assert.doesNotMatch(formatPlan(p).join('\n'), /warning/);
  });

  void it('fewer batches than slots never fill the window: no warning', () => {
    const p = plan({ concurrency: 20 }, 1000, 2500);
    assert.equal(p.concurrencyBound, false);
    assert.doesNotMatch(formatPlan(p).join('\n'), /warning/);
  });

  void it('the demo (1 000 phones, 1-4 s jobs, canary 1) counts both phases, polls and a retry round', () => {
    const p = plan({ concurrency: 20, retryDelayMs: 10_000 }, 1000, 2500);
    // Canary: one 2.5 s batch seen done at the second poll, 4 s after its call; then 9 calls at
    // 5/s (8 gaps of 0.2 s) and one more lifetime. A retry round: 10 s delay plus a lifetime.
    assert.equal(p.itemLifetimeMs, 4000);
    assert.equal(p.estimatedDurationMs, 4000 + 1600 + 4000);
    assert.match(formatPlan(p).join('\n'), /each round adds ~14s/);
  });

  void it('shows the error budget as phones, the job timeout and the retry delay', () => {
    const text = (o: Partial<CampaignOptionsInput>, n: number) => formatPlan(plan(o, n)).join('\n');
    assert.match(text({}, 3000), /^ {2}error budget 300 of 3,000 allowed \(10 %\)$/m);
    assert.match(text({ maxErrors: '50' }, 3000), /^ {2}error budget 50 of 3,000 allowed \(1\.67 %\)$/m);
    assert.match(text({ jobTimeoutMs: '45m' }, 10), /^ {2}job timeout {2}45m per reset job/m);
    assert.match(
      text({ retryDelayMs: '30s', retryFailed: 3 }, 10),
      /^ {2}retries {6}failed jobs are retried up to 3 times, 30s after they fail \(--retry-delay\)/m,
    );
    assert.match(text({ retryFailed: 0 }, 10), /^ {2}retries {6}none/m);
    assert.deepEqual(plan({ maxErrors: '5%' }, 1000).errorBudget, {
      allowed: 50,
      instances: 1000,
      percent: 5,
    });
  });
});
