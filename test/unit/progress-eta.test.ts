import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { CampaignView } from '../../src/cli/campaign-status';
import type { CliContext } from '../../src/cli/context';
import { parseDuration } from '../../src/campaign/duration';
import { etaText, ProgressView } from '../../src/cli/progress';
import { averageRemainingMs, ProgressEta } from '../../src/cli/progress-eta';
import { formatStatus } from '../../src/cli/summary';
import { burstyCampaign } from '../helpers/bursty-campaign';

const T0 = Date.parse('2026-12-01T08:00:00Z');
const TOTAL = 20_000;

function view(finished: number, extra: Partial<CampaignView> = {}): CampaignView {
  return {
    campaignId: 'c-eta',
    state: 'running',
    total: TOTAL,
    pending: TOTAL - finished,
    inFlight: 0,
    succeeded: finished,
    failed: 0,
    timedOut: 0,
    rejected: 0,
    missingJob: 0,
    skipped: 0,
    canceled: 0,
    resetsSent: finished,
    startedAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    ...extra,
  };
}

const samples = burstyCampaign();
const endAt = samples[samples.length - 1]!.at;

void describe('watch ETA (src/cli/progress-eta.ts over src/campaign/eta.ts)', () => {
  void it('watching from the start of a bursty campaign: never off by more than half once 5 min ran, no jump over 25 %', () => {
    const eta = new ProgressEta();
    let previous: number | undefined;
    for (const s of samples) {
      const v = view(s.finished);
      eta.add(v, T0 + s.at);
      const left = eta.remainingMs(v);
      const truth = endAt - s.at;
      if (s.at < 5 * 60_000 || truth < 10 * 60_000) continue;
      assert.ok(left !== undefined);
      assert.ok(Math.abs(left - truth) <= truth * 0.5, `at ${s.at} ms: eta ${left} ms, truth ${truth} ms`);
      if (previous !== undefined)
        assert.ok(
          Math.abs(left - previous) <= previous * 0.25,
          `jump from ${previous} to ${left} at ${s.at}`,
        );
      previous = left;
    }
  });

  void it('joining a running campaign half-way: the first estimate comes from its pace since the start', () => {
    const half = samples.findIndex((s) => s.finished >= TOTAL / 2);
    const eta = new ProgressEta();
    const first = samples[half]!;
    eta.add(view(first.finished), T0 + first.at);
    const left = eta.remainingMs(view(first.finished))!;
    const truth = endAt - first.at;
    assert.ok(Math.abs(left - truth) <= truth * 0.25, `eta ${left} ms, truth ${truth} ms`);
    // And it stays steady over the next minutes of bursts.
    for (const s of samples.slice(half + 1, half + 90)) {
      eta.add(view(s.finished), T0 + s.at);
      const now = eta.remainingMs(view(s.finished))!;
      assert.ok(Math.abs(now - (endAt - s.at)) <= (endAt - s.at) * 0.35, `at ${s.at}: ${now}`);
    }
  });

  void it('the progress line shows "--" before anything finished, while paused or outside a window, and 0s at the end', () => {
    assert.equal(etaText(view(0), undefined), '--');
    assert.equal(etaText(view(100, { state: 'paused' }), 1000), '--');
    assert.equal(etaText(view(100, { windowOpen: false }), 1000), '--');
    assert.equal(etaText(view(100), 90_000), '~1m30s');
    assert.equal(etaText(view(TOTAL), undefined), '0s');
  });

  void it('ProgressView (plain lines) prints the smoothed ETA, not a 15 s window’s', () => {
    // Each line with the (faked) time it was printed at.
    const lines: { at: number; text: string }[] = [];
    const stdout = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push({ at: Date.now() - T0, text: String(chunk) });
        done();
      },
    });
    const ctx = { stdout, stderr: stdout, env: {} } as unknown as CliContext;
    const progress = new ProgressView(ctx, 'plain', 0);
    const realNow = Date.now;
    try {
      for (const s of samples.slice(0, 400)) {
        Date.now = () => T0 + s.at;
        progress.update(view(s.finished));
      }
    } finally {
      Date.now = realNow;
    }
    const etas = lines.flatMap(({ at, text }) => {
      const m = /ETA ~(\S+)/.exec(text);
      return m ? [{ at, eta: parseDuration(m[1]!) }] : [];
    });
    assert.ok(etas.length > 50, `${etas.length} lines with an ETA`);
    // Each printed ETA against the time really left when it was printed: the truth itself falls
    // by ~1.65× over the second half, so the ETA is judged by its error, not by its spread. The
    // old 15 s window swung by over 100× on this sequence.
    for (const { at, eta } of etas.slice(Math.floor(etas.length / 2))) {
      const truth = endAt - at;
      assert.ok(Math.abs(eta - truth) <= truth * 0.2, `at ${at} ms: ETA ${eta} ms, truth ${truth} ms`);
    }
  });

  void it('status shows an ETA at the average pace since the start for a running campaign only', () => {
    const at = T0 + 600_000;
    assert.equal(averageRemainingMs(view(5000), at), 1_800_000);
    assert.match(formatStatus(view(5000), at).join('\n'), /eta {10}~30m at its average pace since the start/);
    assert.match(formatStatus(view(0), at).join('\n'), /eta {10}estimating/);
    assert.doesNotMatch(formatStatus(view(5000, { state: 'paused' }), at).join('\n'), / {2}eta {2}/);
  });
});
