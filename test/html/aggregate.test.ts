import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReportLine } from '../../src/campaign/outcome';
import {
  NO_CODE,
  OTHER_CODES,
  aggregateReport,
  chartBins,
  escapeHtml,
  rateLimitPerSecond,
  renderHtmlReport,
} from '../../src/report/html';

const T0 = Date.parse('2025-03-02T03:00:00.000Z');

function line(
  id: string,
  outcome: ReportLine['outcome'],
  minute: number | undefined,
  code = '',
  msg = '',
): ReportLine {
  return {
    instance_id: id,
    outcome,
    resets: outcome === 'skipped' ? 0 : 1,
    job_id: '',
    error_code: code,
    error_msg: msg,
    finished_at: minute === undefined ? '' : new Date(T0 + minute * 60_000 + 5_000).toISOString(),
  };
}

const sample: ReportLine[] = [
  line('a', 'succeeded', 0),
  line('b', 'failed', 0, 'CPS0005', 'phone not found'),
  line('c', 'failed', 0, 'CPS0005', 'phone not found again'),
  line('d', 'timed_out', 2, 'JOB_TIMEOUT', 'still running'),
  line('e', 'skipped', undefined),
];

describe('HTML report aggregation', () => {
  it('counts outcomes, minutes and codes in one pass and keeps the first failures', async () => {
    const agg = await aggregateReport(sample, { maxFailureRows: 2 });
    assert.equal(agg.lines, 5);
    assert.deepEqual(agg.counts, {
      succeeded: 1,
      failed: 2,
      timed_out: 1,
      rejected: 0,
      missing_job: 0,
      skipped: 1,
      canceled: 0,
    });
    assert.equal(agg.notSucceeded, 4);
    assert.equal(agg.resets, 4);
    assert.equal(agg.undated, 1);
    assert.equal(agg.bucketMs, 60_000);
    assert.deepEqual(
      agg.buckets.map((b) => [b.start - T0, b.total, b.counts.failed]),
      [
        [0, 3, 2],
        [120_000, 1, 0],
      ],
    );
    assert.deepEqual(
      agg.codes.map((c) => [c.code, c.count, c.example]),
      [
        ['CPS0005', 2, 'phone not found'],
        [NO_CODE, 1, ''],
        ['JOB_TIMEOUT', 1, 'still running'],
      ],
    );
    assert.deepEqual(
      agg.failures.map((l) => l.instance_id),
      ['b', 'c'],
    );
    assert.equal(agg.firstFinishedMs, T0 + 5_000);
    assert.equal(agg.lastFinishedMs, T0 + 125_000);
  });

  it('spreads minutes over chart bins, empty minutes included', async () => {
    const agg = await aggregateReport(sample);
    const perMinute = chartBins(agg, 120);
    assert.deepEqual(
      perMinute.map((b) => b.total),
      [3, 0, 1],
    );
    const merged = chartBins(agg, 2);
    assert.deepEqual(
      merged.map((b) => [b.start - T0, b.widthMs, b.total]),
      [
        [0, 120_000, 3],
        [120_000, 120_000, 1],
      ],
    );
    assert.deepEqual(chartBins(await aggregateReport([]), 120), []);
  });

  it('stays bounded: widens time buckets and pools codes past the limits, totals intact', async () => {
    const lines = Array.from({ length: 10 }, (_, m) => line(`i${m}`, 'failed', m, `CODE${m % 3}`));
    const agg = await aggregateReport(lines, { maxBuckets: 4, maxCodes: 2 });
    assert.ok(agg.buckets.length <= 4, `${agg.buckets.length} buckets`);
    assert.equal(agg.bucketMs, 240_000);
    assert.equal(
      agg.buckets.reduce((s, b) => s + b.total, 0),
      10,
    );
    assert.deepEqual(
      agg.codes.map((c) => [c.code, c.count]),
      [
        ['CODE0', 4],
        ['CODE1', 3],
        [OTHER_CODES, 3],
      ],
    );
  });

  it('cuts over-long messages it keeps', async () => {
    const agg = await aggregateReport([line('x', 'failed', 0, 'E', 'm'.repeat(5_000))], {
      maxMessageChars: 100,
    });
    assert.equal(agg.failures[0]!.error_msg.length, 100);
    assert.equal(agg.codes[0]!.example.length, 100);
  });

  it('leaves out lines that are not report lines, and says so', async () => {
    const corrupt = [{ ...sample[0]!, outcome: 'exploded' }, { instance_id: 'y' }] as unknown as ReportLine[];
    const agg = await aggregateReport([...sample, ...corrupt]);
    assert.equal(agg.lines, 5);
    assert.equal(agg.invalid, 2);
    const html = await renderHtmlReport([...sample, ...corrupt], { campaignId: 'c' });
    assert.ok(html.includes('data-invalid="2"'));
  });

  it('reads the rate limit from a number or an adaptive maximum', () => {
    assert.equal(rateLimitPerSecond(5), 5);
    assert.equal(rateLimitPerSecond('2.5'), 2.5);
    assert.equal(rateLimitPerSecond('auto (max 40)'), 40);
    assert.equal(rateLimitPerSecond('auto'), undefined);
    assert.equal(rateLimitPerSecond(0), undefined);
    assert.equal(rateLimitPerSecond(undefined), undefined);
  });

  it('escapes text for element content and quoted attributes', () => {
    assert.equal(
      escapeHtml(`<a href="x" title='y'>&</a>`),
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('renders a campaign that has only an id and no lines yet', async () => {
    const html = await renderHtmlReport([], { campaignId: 'c-<new>' });
    assert.match(html, /^<!doctype html>/);
    assert.ok(html.includes('c-&lt;new&gt;'));
    assert.ok(!html.includes('c-<new>'));
    assert.ok(html.includes('No instance has finished yet.'));
  });
});
