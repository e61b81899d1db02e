import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { campaignOptionsSchema, type CampaignOptionsInput } from '../../src/campaign/options';
import { nextOpening, windowOpenShare, windowProblem } from '../../src/campaign/plan-limits';
import { parseCampaignFlags } from '../../src/cli/campaign-options';
import { CliError, EXIT } from '../../src/cli/exit-codes';
import { formatPlan, planCampaign, planProblem } from '../../src/cli/plan';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const window = (cron: string, durationMs: number) => ({ cron, durationMs, timezone: 'UTC' });
const plan = (options: Partial<CampaignOptionsInput>, instances: number) =>
  planCampaign(
    'c-limits',
    campaignOptionsSchema.parse({ campaignId: 'c-limits', ...options }),
    { instances, duplicates: 0, describe: 'a file' },
    undefined,
    NOW,
  );
const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CliError, String(err));
    assert.equal(err.exitCode, EXIT.usage);
    return err.message;
  }
  assert.fail('expected a refusal');
};

void describe('start refuses windows that never open', () => {
  void it('"0 0 30 2 */1h" (February 30) is refused with exit 2, naming the window', () => {
    const message = refusal(() => parseCampaignFlags({ window: ['0 0 30 2 */1h'] }, 'c', NOW));
    assert.match(message, /--window "0 0 30 2 \*" \(UTC\) never opens: no date matches it/);
    assert.match(message, /never send a batch/);
  });

  void it('a window that opens only after more than a year (29 February 2028) is refused', () => {
    assert.match(
      windowProblem(window('0 0 29 2 *', 3_600_000), NOW)!,
      /opens next on 2028-02-29, more than 365d away/,
    );
    assert.match(
      refusal(() => parseCampaignFlags({ window: ['0 0 29 2 */1h'] }, 'c', NOW)),
      /2028-02-29/,
    );
  });

  void it('a zero or unit-less duration is refused by the schema, naming the flag', () => {
    assert.match(
      refusal(() => parseCampaignFlags({ window: ['0 1 * * */0s'] }, 'c', NOW)),
      /at least 1s/,
    );
  });

  void it('a yearly or weekly window is accepted', () => {
    assert.equal(windowProblem(window('0 0 1 1 *', 3_600_000), NOW), undefined);
    const o = parseCampaignFlags({ window: ['0 1 * * SUN/4h/Asia/Shanghai'] }, 'c', NOW);
    assert.equal(o.windows.length, 1);
    assert.ok(nextOpening(o.windows[0]!, NOW)! - NOW < 7 * 86_400_000);
  });
});

void describe('open share of maintenance windows', () => {
  void it('1 h a day is 1/24, 4 h each Sunday 4/168, overlapping windows are not counted twice', () => {
    assert.equal(windowOpenShare([], NOW), 1);
    assert.ok(Math.abs(windowOpenShare([window('0 1 * * *', 3_600_000)], NOW) - 1 / 24) < 0.001);
    assert.ok(Math.abs(windowOpenShare([window('0 1 * * SUN', 4 * 3_600_000)], NOW) - 4 / 168) < 0.002);
    const twice = windowOpenShare([window('0 1 * * *', 3_600_000), window('30 1 * * *', 3_600_000)], NOW);
    assert.ok(Math.abs(twice - 1.5 / 24) < 0.001, String(twice));
  });

  void it('a cron that fires more often than it lasts is always open', () => {
    assert.equal(windowOpenShare([window('* * * * *', 120_000)], NOW), 1);
  });
});

void describe('start refuses plans that take more than a year', () => {
  void it('600 000 phones one per batch at 0.01 calls/s (~694 days) is refused, naming the figures', () => {
    const p = plan({ batchSize: 1, rate: 0.01, concurrency: 500 }, 600_000);
    const problem = planProblem(p);
    assert.ok(problem);
    assert.match(
      problem,
      /the plan would take ~69\dd\d*h? \(600,000 batch-reset calls at 0\.01 calls\/s\), more than 365d/,
    );
    assert.match(problem, /raise --rate, --concurrency or --batch-size/);
  });

  void it('concurrency as the bound names the pace it allows', () => {
    // Batch size 1, 10 in flight, ~71 s per batch: ~0.14 calls/s, 10 000 000 phones ≈ 2.3 years.
    const problem = planProblem(plan({ batchSize: 1 }, 10_000_000));
    assert.match(problem!, /at ~0\.14 calls\/s \(10 in flight\)/);
  });

  void it('windows stretch the plan: 20 days of sending inside 1 h a day is refused; without the window it is not', () => {
    const base = { batchSize: 10, rate: 0.05, concurrency: 500 } as const;
    const open = plan(base, 800_000);
    assert.equal(planProblem(open), undefined);
    const windowed = plan({ ...base, windows: [window('0 1 * * *', 3_600_000)] }, 800_000);
    assert.ok(Math.abs(windowed.calendarDurationMs! / open.estimatedDurationMs! - 24) < 0.1);
    assert.match(planProblem(windowed)!, /with maintenance windows open 4% of the time.*widen --window/);
    assert.match(
      formatPlan(windowed).join('\n'),
      /windows {6}open 4% of the time: ~\d+d\d*h? in calendar time/,
    );
  });

  void it('the default plan for 600 000 phones (~12 h) is accepted', () => {
    assert.equal(planProblem(plan({}, 600_000)), undefined);
  });
});
