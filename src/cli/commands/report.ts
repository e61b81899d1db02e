import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Option, type Command } from 'commander';
import { closeCampaignStore, createCampaignStore, rebuiltAfter, type CampaignStore } from '../../report';
import { describeCampaign } from '../campaign-status';
import { note, printJson, type CliContext } from '../context';
import { partialNote, reportCompleteness, type ReportCompleteness } from '../report-completeness';
import { CampaignState as CampaignStateKey } from '../../temporal/search-attributes';
import { usageError } from '../exit-codes';
import { csvHeader, formatReportLine, REPORT_FORMATS, type ReportFormat } from '../report-format';
import { withTemporal } from '../temporal';
import { closedCampaignResult } from '../../temporal/campaign-result';
import { statusFromResult } from '../../campaign/status';
import { renderHtmlReport, summaryFromStatus, type HtmlReportSummary } from '../../report/html';
import { statusQuery } from '../../workflows/definitions';
import { rebuiltNote, settleTerminatedReport } from '../terminated-campaign';

/**
 * What Temporal says of the campaign: its state and, for the HTML report, its summary; just the
 * id when Temporal cannot say more (the report itself comes from the store).
 */
async function campaignSummary(ctx: CliContext, id: string): Promise<HtmlReportSummary> {
  try {
    return await withTemporal(ctx.env, async ({ client }) => {
      const d = await describeCampaign(client, id);
      const handle = client.workflow.getHandle(id);
      const result = await closedCampaignResult(handle, d);
      if (result) return summaryFromStatus(statusFromResult(result));
      if (d.status.name === 'RUNNING') {
        const state = d.typedSearchAttributes.get(CampaignStateKey) ?? 'running';
        try {
          const status = await client.withDeadline(Date.now() + 5000, () => handle.query(statusQuery));
          return summaryFromStatus(status);
        } catch {
          // No worker answers: the last recorded state still says the campaign has not ended.
          return { campaignId: id, state };
        }
      }
      return { campaignId: id, state: d.status.name.toLowerCase().replace('_', ' ') };
    });
  } catch {
    return { campaignId: id };
  }
}

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

interface ReportFlags {
  format: ReportFormat;
  out?: string;
  json?: boolean;
}

/**
 * One line per instance from the report store: the final report of a finished campaign, or
 * the parts written so far while it runs. Reads the store directly, so it works for a campaign
 * whose workflow history is long gone.
 */
async function runReport(ctx: CliContext, id: string, flags: ReportFlags): Promise<void> {
  let store: CampaignStore;
  try {
    store = createCampaignStore(ctx.env);
  } catch (err) {
    throw usageError((err as Error).message);
  }
  try {
    await settleTerminatedReport(ctx, store, id);
    await copyReport(ctx, store, id, flags);
  } finally {
    await closeCampaignStore(store);
  }
}

async function copyReport(
  ctx: CliContext,
  store: CampaignStore,
  id: string,
  flags: ReportFlags,
): Promise<void> {
  if (flags.json && !flags.out)
    throw usageError('--json prints what the report holds: give --out for the lines');
  // Look before writing anything: an unknown campaign must not leave a header or an empty file.
  const lines = store.readReport(id)[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) {
    // Nothing stored: an unknown campaign (exit 2), or one that has not finished a batch yet.
    await withTemporal(ctx.env, ({ client }) => describeCampaign(client, id));
    note(ctx, `campaign ${id} has no finished instances yet`);
  }
  const summary = await campaignSummary(ctx, id);
  const stored = await store.describeStored(id);
  const rebuilt = rebuiltAfter(stored);
  if (rebuilt) note(ctx, rebuiltNote(id, rebuilt));
  // Known before any line is read: the campaign has not ended with its final report.
  const early = reportCompleteness(id, stored?.total ?? 0, stored, summary.state);
  let count = 0;
  const counted = (async function* () {
    for (let next = first; !next.done; next = await lines.next()) {
      count += 1;
      yield next.value;
    }
  })();
  const done = (path?: string): ReportCompleteness => {
    const c = reportCompleteness(id, count, stored, summary.state);
    const partial = partialNote(c);
    if (partial) note(ctx, partial);
    if (flags.json)
      printJson(ctx, { ...c, ...(rebuilt ? { rebuiltAfter: rebuilt } : {}), format: flags.format, ...(path ? { path } : {}) });
    return c;
  };
  if (flags.format === 'html') {
    // One self-contained page: the summary comes from Temporal, the rest from the store.
    const html = await renderHtmlReport(counted, {
      ...summary,
      ...(early.why ? { partial: early.why } : {}),
    });
    if (!flags.out) {
      await write(ctx.stdout, html);
      done();
      return;
    }
    const path = resolve(flags.out);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, html).catch((err: Error) => {
      throw usageError(`cannot write ${path}: ${err.message}`);
    });
    if (!flags.json) note(ctx, `wrote the HTML report to ${path}`);
    done(path);
    return;
  }
  const path = flags.out ? resolve(flags.out) : undefined;
  let target: Writable = ctx.stdout;
  if (path) {
    await mkdir(dirname(path), { recursive: true });
    target = createWriteStream(path);
    await once(target, 'open').catch((err: Error) => {
      throw usageError(`cannot write ${path}: ${err.message}`);
    });
  }
  if (flags.format === 'csv') await write(target, csvHeader());
  const format = flags.format;
  for await (const line of counted) await write(target, formatReportLine(line, format));
  if (path) {
    target.end();
    await once(target, 'finish');
    if (!flags.json) note(ctx, `wrote ${count} lines to ${path}`);
  }
  done(path);
}

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description('the per-instance report (one line per instance), running or finished')
    .argument('<id>', 'campaign id')
    .addOption(new Option('--format <format>', 'output format').choices(REPORT_FORMATS).default('csv'))
    .option('--out <path>', 'write to this file instead of stdout')
    .option(
      '--json',
      'with --out: print one JSON object saying how many lines and whether the report is partial',
    )
    .action((id: string, flags: ReportFlags) => runReport(ctx, id, flags));
}
