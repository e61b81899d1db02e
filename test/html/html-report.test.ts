import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Page } from 'playwright-core';
import { OUTCOMES, type OutcomeCounts, type ReportLine } from '../../src/campaign/outcome';
import { projectRoot } from '../../src/project-root';
import { renderHtmlReport, type HtmlReportSummary } from '../../src/report/html';
import { launchChromium, type Browser } from './chromium';
import { IMG_MESSAGE, SCRIPT_MESSAGE, START_MS, campaignLines, newTally, type Tally } from './report-lines';

const OUT_DIR = join(projectRoot, 'test-output');

// The memory test needs a full collection before each sample; the test runner starts node
// without --expose-gc, so turn it on here.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface PageWatch {
  requests: string[];
  problems: string[];
  dialogs: string[];
}

/** Opens a report file and records every request, console error, page error and dialog. */
async function openReport(browser: Browser, file: string): Promise<{ page: Page; watch: PageWatch }> {
  const page = await browser.context.newPage();
  const watch: PageWatch = { requests: [], problems: [], dialogs: [] };
  page.on('request', (r) => watch.requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning')
      watch.problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => watch.problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    watch.dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, watch };
}

/** Sums `data-count` per `data-outcome` over the elements a selector finds. */
async function countsIn(page: Page, selector: string): Promise<Record<string, number>> {
  return page.$$eval(selector, (els) => {
    const sums: Record<string, number> = {};
    for (const el of els) {
      const o = el.getAttribute('data-outcome') ?? '?';
      sums[o] = (sums[o] ?? 0) + Number(el.getAttribute('data-count'));
    }
    return sums;
  });
}

function nonZero(counts: OutcomeCounts): Record<string, number> {
  return Object.fromEntries(OUTCOMES.filter((o) => counts[o] > 0).map((o) => [o, counts[o]]));
}

/** The table's filter, stated independently: every word in id, outcome, code or message. */
function matches(line: ReportLine, query: string): boolean {
  const text = [
    line.instance_id,
    line.outcome,
    line.outcome.replace(/_/g, ' '),
    line.error_code,
    line.error_msg,
  ]
    .join(' ')
    .toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => text.includes(w));
}

async function search(page: Page, query: string): Promise<number> {
  const box = page.locator('#failure-search');
  await box.fill('');
  await box.pressSequentially(query);
  return page.$$eval(
    '#failures tbody tr[data-search]',
    (rows) => rows.filter((r) => !r.hasAttribute('hidden')).length,
  );
}

async function chartTotals(page: Page, tally: Tally): Promise<void> {
  assert.deepEqual(
    await countsIn(page, 'svg[data-chart="outcomes"] rect[data-outcome]'),
    nonZero(tally.counts),
    'outcome chart bars',
  );
  const throughput = await page.$$eval('svg[data-chart="throughput"] rect[data-count]', (rs) =>
    rs.reduce((s, r) => s + Number(r.getAttribute('data-count')), 0),
  );
  assert.equal(throughput, tally.lines, 'throughput chart bars');
  const tiles = await countsIn(page, 'section[data-section="outcomes"] [data-outcome]');
  assert.deepEqual(
    tiles,
    Object.fromEntries(OUTCOMES.map((o) => [o, tally.counts[o]])),
    'summary outcome cells',
  );
  assert.equal(await page.getAttribute('body', 'data-total'), String(tally.lines));
}

/** What the campaign's result says: known before the report's lines are read. */
function summaryFor(
  lines: number,
  minutes: number,
  rate: { configuredRate: number | string; batchSize: number },
  counts?: OutcomeCounts,
): HtmlReportSummary {
  return {
    campaignId: 'fleet-pool-a-2025-03-02',
    state: 'completed',
    reason: 'all batches finished; the last ones canceled by the operator',
    total: lines,
    ...(counts !== undefined ? { counts } : {}),
    batchResetCalls: Math.ceil(lines / rate.batchSize) + 14,
    ...rate,
    startedAt: new Date(START_MS - 30_000).toISOString(),
    finishedAt: new Date(START_MS + minutes * 60_000 + 2_000).toISOString(),
    generatedAt: new Date(START_MS + minutes * 60_000 + 60_000).toISOString(),
    cost: { apiCalls: Math.ceil(lines / rate.batchSize) * 4, temporalActions: Math.ceil(lines / 1000) * 19 },
    reportLocation: 'reports/fleet-pool-a-2025-03-02/report.ndjson',
  };
}

async function drain(lines: AsyncIterable<ReportLine>): Promise<void> {
  for await (const _ of lines);
}

describe('HTML report in headless Chromium', () => {
  // Launched by the first test that needs it, so a missing Chromium fails each test (not a hook).
  let launched: Promise<Browser> | undefined;
  const chromium = (): Promise<Browser> => (launched ??= launchChromium());
  before(() => mkdirSync(OUT_DIR, { recursive: true }));
  after(async () => {
    await (await launched?.catch(() => undefined))?.close();
  });

  it('renders 5 000 lines: right chart totals, no network, no injected script, working search', async () => {
    // A first pass gives the campaign's own counts; the second is what the report reads.
    const tally = newTally();
    await drain(campaignLines({ count: 5_000, minutes: 12, tally, keepFailures: true }));
    const started = performance.now();
    const html = await renderHtmlReport(
      campaignLines({ count: 5_000, minutes: 12 }),
      summaryFor(5_000, 12, { configuredRate: 1, batchSize: 10 }, tally.counts),
    );
    const renderMs = performance.now() - started;
    const file = join(OUT_DIR, 'html-report.html');
    writeFileSync(file, html);
    assert.ok(!html.includes('<script>alert(1)</script>'), 'the message is escaped in the HTML');
    assert.equal(html.match(/<script\b/g)?.length, 1, 'one script tag: the report’s own');

    const { page, watch } = await openReport(await chromium(), file);
    try {
      assert.deepEqual(watch.requests, [pathToFileURL(file).href], 'the only request is the file itself');
      await chartTotals(page, tally);
      assert.equal(await page.locator('[data-counts-differ]').count(), 0, 'summary and lines agree');

      // The hostile messages are shown as text, and nothing they carry ran.
      assert.deepEqual(watch.dialogs, []);
      assert.equal(await page.evaluate('typeof window.__pwned'), 'undefined');
      assert.equal(await page.locator('script').count(), 1);
      assert.equal(await page.locator('img').count(), 0);
      assert.equal(await page.locator('#failures td.msg', { hasText: SCRIPT_MESSAGE }).count(), 1);
      assert.equal(await page.locator('#failures td.msg', { hasText: IMG_MESSAGE }).count(), 1);

      const rows = tally.failures.length;
      assert.equal(await page.locator('#failures tbody tr[data-search]').count(), rows);
      assert.equal(await page.locator('[data-more]').count(), 0, 'every failure fits, no "more" line');
      for (const query of [
        'KOOPHONE.API.2004',
        'timed out',
        'cps0005 cph-00003',
        'cph-0000017',
        '<script>',
      ]) {
        const expected = tally.failures.filter((l) => matches(l, query)).length;
        assert.ok(expected > 0, `query ${query} should match something`);
        assert.equal(await search(page, query), expected, `rows shown for "${query}"`);
        assert.equal(await page.getAttribute('#failures', 'data-visible'), String(expected));
      }
      assert.equal(await search(page, 'cph-0000017'), 1);
      assert.ok(
        (await page.locator('#failures tbody tr:not([hidden]) td.msg').first().textContent())?.includes(
          SCRIPT_MESSAGE,
        ),
      );
      assert.equal(await search(page, 'no-such-instance'), 0);
      assert.ok(await page.locator('#failure-none').isVisible(), 'says that nothing matches');
      await page.locator('#failure-search').fill('');
      await page.locator('#failure-search').blur();
      assert.equal(await page.getAttribute('#failures', 'data-visible'), String(rows));

      assert.deepEqual(watch.problems, [], 'no console errors, CSP violations or page errors');
      assert.deepEqual(watch.requests, [pathToFileURL(file).href], 'still no request after using the page');
      // Table rows render lazily (content-visibility) once on screen: make the whole page the viewport.
      const height = Number(await page.evaluate('document.documentElement.scrollHeight'));
      await page.setViewportSize({ width: 1280, height });
      await page.screenshot({ path: join(OUT_DIR, 'html-report.png'), fullPage: true });
      console.log(
        `html report: ${tally.lines} lines rendered in ${renderMs.toFixed(0)} ms, ${(html.length / 1024).toFixed(0)} KiB → ${file}`,
      );
    } finally {
      await page.close();
    }
  });

  it('renders 1 000 000 lines in one pass with bounded memory; the table stops at 10 000', async () => {
    // Live heap after a full collection, sampled every 100 000 lines: keeping the lines
    // (or anything per line) would grow it by hundreds of MiB; the aggregate is a few MiB.
    const tally = newTally();
    const liveHeap = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const baseline = liveHeap();
    let peak = baseline;
    const sample = (produced = 0) => {
      if (produced % 100_000 === 0) peak = Math.max(peak, liveHeap());
    };
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const html = await renderHtmlReport(
      campaignLines({ count: 1_000_000, minutes: 180, seed: 11, tally, onProgress: sample }),
      summaryFor(1_000_000, 180, { configuredRate: 'auto (max 2)', batchSize: 100 }),
    );
    const renderMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    sample();
    const growthMb = (peak - baseline) / 2 ** 20;
    console.log(
      `html report: 1 000 000 lines generated and rendered in ${(renderMs / 1000).toFixed(1)} s (${(cpuMs / 1000).toFixed(1)} s CPU), live heap grew ≤ ${growthMb.toFixed(1)} MiB, ${(html.length / 2 ** 20).toFixed(1)} MiB of HTML`,
    );
    assert.equal(tally.lines, 1_000_000);
    assert.ok(renderMs < 30_000, `rendering took ${renderMs.toFixed(0)} ms`);
    assert.ok(growthMb < 48, `live heap grew by ${growthMb.toFixed(0)} MiB while streaming`);
    const more = tally.notSucceeded - 10_000;
    assert.ok(more > 0);
    assert.equal(html.match(/<tr data-search=/g)?.length, 10_000);
    assert.ok(html.includes(`data-more="${more}"`));
    assert.ok(html.includes(`… and ${more.toLocaleString('en-US')} more instances that did not succeed`));

    const file = join(OUT_DIR, 'html-report-1m.html');
    writeFileSync(file, html);
    const { page, watch } = await openReport(await chromium(), file);
    try {
      await chartTotals(page, tally);
      assert.equal(await page.locator('#failures tbody tr[data-search]').count(), 10_000);
      assert.equal(await page.getAttribute('[data-more]', 'data-more'), String(more));
      const searchStarted = performance.now();
      const shown = await search(page, 'CPS0031');
      console.log(
        `html report: search over 10 000 rows answered in ${(performance.now() - searchStarted).toFixed(0)} ms (${shown} rows)`,
      );
      assert.ok(shown > 0 && shown < 10_000);
      assert.deepEqual(watch.requests, [pathToFileURL(file).href]);
      assert.deepEqual(watch.problems, []);
    } finally {
      await page.close();
    }
  });
});
