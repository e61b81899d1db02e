import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReportLine } from '../../src/campaign/outcome';
import { statusFromResult, type CampaignResult, type CampaignView } from '../../src/campaign/status';
import { renderHtmlReport, summaryFromStatus, type HtmlReportSummary } from '../../src/report/html';
import { formatPercent } from '../../src/report/html/format';

const START = Date.parse('2026-12-01T08:00:00Z');

function lines(succeeded: number, failed: number): ReportLine[] {
  return Array.from({ length: succeeded + failed }, (_, i) => ({
    instance_id: `i${String(i).padStart(7, '0')}`,
    outcome: i < succeeded ? 'succeeded' : 'failed',
    resets: 1,
    job_id: `job-${i}`,
    error_code: i < succeeded ? '' : 'CPS0005',
    error_msg: i < succeeded ? '' : 'reset failed',
    finished_at: new Date(START + 60_000 + i * 100).toISOString(),
  }));
}

/** The text of one figure card (`data-figure="…"`). */
function figure(html: string, key: string): string {
  const m = new RegExp(`data-figure="${key}"[^>]*>.*?<div class="value"[^>]*>([^<]*)</div>`).exec(html);
  assert.ok(m, `figure ${key} in the report`);
  return m[1]!;
}

function result(extra: Partial<CampaignResult> = {}): CampaignResult {
  return {
    campaignId: 'c-html',
    state: 'completed',
    total: 3000,
    counts: {
      succeeded: 2997,
      failed: 3,
      timed_out: 0,
      rejected: 0,
      missing_job: 0,
      skipped: 0,
      canceled: 0,
    },
    resetsSent: 3000,
    batchResetCalls: 30,
    reportLocation: '/tmp/c-html/report.ndjson',
    reportLines: 3000,
    startedAt: new Date(START).toISOString(),
    finishedAt: new Date(START + 6 * 60_000).toISOString(),
    cost: { temporalActions: 100, apiCalls: 200 } as CampaignResult['cost'],
    ...extra,
  };
}

/** A finished campaign's summary, as `report --format html` and the demo make it. */
function summaryFromFinished(r: CampaignResult): HtmlReportSummary {
  return summaryFromStatus(statusFromResult(r));
}

describe('HTML report: one status shape, running or finished', () => {
  it('a result becomes the status object, and its summary says when the campaign finished', () => {
    const finished = result({ configuredRate: 5, batchSize: 50, reason: 'done' });
    const status = statusFromResult(finished);
    assert.deepEqual(
      [status.timedOut, status.missingJob, status.succeeded, status.failed, status.updatedAt],
      [0, 0, 2997, 3, finished.finishedAt],
    );
    const summary = summaryFromStatus(status);
    assert.deepEqual(
      {
        counts: summary.counts,
        finishedAt: summary.finishedAt,
        batchSize: summary.batchSize,
        configuredRate: summary.configuredRate,
        reason: summary.reason,
        reportLocation: summary.reportLocation,
        pending: summary.pending,
      },
      {
        counts: finished.counts,
        finishedAt: finished.finishedAt,
        batchSize: 50,
        configuredRate: 5,
        reason: 'done',
        reportLocation: finished.reportLocation,
        pending: 0,
      },
    );
  });

  it('a result of an older version (no cost, rate or batch size) leaves them out rather than undefined', () => {
    const old = result({ cost: undefined as unknown as CampaignResult['cost'] });
    const summary = summaryFromFinished(old);
    assert.deepEqual(
      ['cost', 'configuredRate', 'batchSize'].filter((k) => k in summary),
      [],
    );
  });

  it('a running status has no finish time: the report says "Running for"', async () => {
    const running: CampaignView = {
      ...statusFromResult(result()),
      state: 'running',
      pending: 1000,
      succeeded: 1997,
      updatedAt: new Date(START + 37_000).toISOString(),
    };
    const summary = summaryFromStatus(running, { generatedAt: new Date(START + 6 * 60_000).toISOString() });
    assert.equal(summary.finishedAt, undefined);
    const html = await renderHtmlReport(lines(1997, 3), summary);
    assert.match(html, /<div class="label">Running for<\/div>/);
    assert.match(html, /1,000 to go/);
  });
});

describe('HTML report: the figures say what happened', () => {
  it('2 997 of 3 000 succeeded is 99.9 %, never 100 %; only all is 100 %', async () => {
    const html = await renderHtmlReport(lines(2997, 3), summaryFromFinished(result()));
    assert.equal(figure(html, 'succeeded'), '99.9%');
    const all = await renderHtmlReport(lines(3000, 0), summaryFromFinished(result()));
    assert.equal(figure(all, 'succeeded'), '100%');
    assert.equal(formatPercent(9999, 10_000), '>99.9%');
    assert.equal(formatPercent(2985, 3000), '99.5%');
    assert.equal(formatPercent(1, 3000), '<0.1%');
    assert.equal(formatPercent(0, 3000), '0%');
    assert.equal(formatPercent(150, 100), '150%', 'over the whole (peak vs ceiling) is shown as is');
  });

  it('a finished campaign shows the rate it ran at and draws its ceiling', async () => {
    const html = await renderHtmlReport(
      lines(2997, 3),
      summaryFromFinished(result({ configuredRate: 5, batchSize: 100 })),
    );
    assert.doesNotMatch(html, /No numeric rate limit is known/);
    assert.match(
      html,
      /Dashed line: the rate-limit ceiling, 5 calls\/s × 60 × 100 instances per call = 30,000 instances per minute/,
    );
    assert.match(figure(html, 'rate'), /^5 calls\/s$/);
  });

  it('a running campaign has run from startedAt until now, not until its last recorded change', async () => {
    const summary: HtmlReportSummary = {
      campaignId: 'c-running',
      state: 'running',
      total: 3000,
      pending: 1000,
      inFlight: 100,
      configuredRate: 5,
      startedAt: new Date(START).toISOString(),
      updatedAt: new Date(START + 37_000).toISOString(),
      generatedAt: new Date(START + 6 * 60_000).toISOString(),
    };
    const html = await renderHtmlReport(lines(1900, 0), summary);
    assert.match(html, /<div class="label">Running for<\/div>/);
    assert.equal(figure(html, 'duration'), '6m 00s');
    const done = await renderHtmlReport(lines(2997, 3), summaryFromFinished(result()));
    assert.equal(figure(done, 'duration'), '6m 00s', 'a finished one: startedAt to finishedAt');
  });

  it('the throughput chart is titled for what it plots: instances finished per minute', async () => {
    const html = await renderHtmlReport(lines(2997, 3), summaryFromFinished(result({ configuredRate: 5 })));
    assert.doesNotMatch(html, /Resets per minute/);
    assert.match(html, /<h2>Instances finished per minute against the rate limit<\/h2>/);
  });

  it('one error code spelled two ways (KooPhone.API / KOOPHONE.API) is one row, as first spelled', async () => {
    const spelled = lines(10, 4).map((l, i) =>
      l.outcome === 'failed'
        ? {
            ...l,
            outcome: 'rejected' as const,
            error_code: i % 2 ? 'KooPhone.API.2004' : 'KOOPHONE.API.2004',
          }
        : l,
    );
    const html = await renderHtmlReport(spelled, summaryFromFinished(result()));
    const rows = [...html.matchAll(/<tr data-code="([^"]*)" data-count="(\d+)"/g)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    assert.deepEqual(rows, ['KOOPHONE.API.2004 4']);
  });
});
