import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Option, type Command } from 'commander';
import { closeCampaignStore, createCampaignStore, type CampaignStore } from '../../report';
import { describeCampaign } from '../campaign-status';
import { note, type CliContext } from '../context';
import { usageError } from '../exit-codes';
import { csvHeader, formatReportLine, REPORT_FORMATS, type ReportFormat } from '../report-format';
import { withTemporal } from '../temporal';
import type { CampaignResult } from '../../campaign/status';
import {
  renderHtmlReport,
  summaryFromResult,
  summaryFromStatus,
  type HtmlReportSummary,
} from '../../report/html';
import { statusQuery } from '../../workflows/definitions';

/** The campaign's summary for the HTML report; just its id when Temporal cannot say more. */
async function htmlSummary(ctx: CliContext, id: string): Promise<HtmlReportSummary> {
  try {
    return await withTemporal(ctx.env, async ({ client }) => {
      const d = await describeCampaign(client, id);
      const handle = client.workflow.getHandle(id);
      if (d.status.name === 'COMPLETED') return summaryFromResult((await handle.result()) as CampaignResult);
      if (d.status.name === 'RUNNING') return summaryFromStatus(await handle.query(statusQuery));
      return { campaignId: id, state: d.status.name.toLowerCase() };
    });
  } catch {
    return { campaignId: id };
  }
}

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/**
 * One line per instance from the report store: the final report of a finished campaign, or
 * the parts written so far while it runs. Reads the store directly, so it works for a campaign
 * whose workflow history is long gone.
 */
async function runReport(
  ctx: CliContext,
  id: string,
  flags: { format: ReportFormat; out?: string },
): Promise<void> {
  let store: CampaignStore;
  try {
    store = createCampaignStore(ctx.env);
  } catch (err) {
    throw usageError((err as Error).message);
  }
  try {
    await copyReport(ctx, store, id, flags);
  } finally {
    await closeCampaignStore(store);
  }
}

async function copyReport(
  ctx: CliContext,
  store: CampaignStore,
  id: string,
  flags: { format: ReportFormat; out?: string },
): Promise<void> {
  // Look before writing anything: an unknown campaign must not leave a header or an empty file.
  const lines = store.readReport(id)[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) {
    // Nothing stored: an unknown campaign (exit 2), or one that has not finished a batch yet.
    await withTemporal(ctx.env, ({ client }) => describeCampaign(client, id));
    note(ctx, `campaign ${id} has no finished instances yet`);
  }
  if (flags.format === 'html') {
    // One self-contained page: the summary comes from Temporal, the rest from the store.
    const summary = await htmlSummary(ctx, id);
    const rest = (async function* () {
      for (let next = first; !next.done; next = await lines.next()) yield next.value;
    })();
    const html = await renderHtmlReport(rest, summary);
    if (!flags.out) return write(ctx.stdout, html);
    const path = resolve(flags.out);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, html).catch((err: Error) => {
      throw usageError(`cannot write ${path}: ${err.message}`);
    });
    note(ctx, `wrote the HTML report to ${path}`);
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
  let count = 0;
  if (flags.format === 'csv') await write(target, csvHeader());
  const format = flags.format;
  for (let next = first; !next.done; next = await lines.next()) {
    await write(target, formatReportLine(next.value, format));
    count += 1;
  }
  if (path) {
    target.end();
    await once(target, 'finish');
    note(ctx, `wrote ${count} lines to ${path}`);
  }
}

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description('the per-instance report (one line per instance), running or finished')
    .argument('<id>', 'campaign id')
    .addOption(new Option('--format <format>', 'output format').choices(REPORT_FORMATS).default('csv'))
    .option('--out <path>', 'write to this file instead of stdout')
    .action((id: string, flags: { format: ReportFormat; out?: string }) => runReport(ctx, id, flags));
}
