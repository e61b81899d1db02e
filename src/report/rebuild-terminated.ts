import type { ReportLine } from '../campaign/outcome';
import type { CampaignStore, StoredCampaign } from './campaign-store';
import { TerminatedLines, type Termination } from './terminated-lines';

/**
 * The ending a stored campaign's report was rebuilt after, or undefined when the campaign
 * assembled it whole: a rebuild records the ending as the final state, which a workflow writes
 * only when it rebuilt its own (`failed`).
 */
export function rebuiltAfter(stored: StoredCampaign | undefined): Termination['how'] | undefined {
  const state = stored?.finalState;
  return state === 'terminated' || state === 'timed out' || state === 'failed' ? state : undefined;
}

export interface RebuiltReport {
  location: string;
  /** Lines of the final report (one per phone). */
  lines: number;
  duplicates: number;
  /** Lines the rebuild wrote (phones the campaign had not finished). */
  written: number;
  /** Journals whose phones could not be told; their calls are not counted. */
  unmapped: string[];
}

// Lines per part the rebuild writes: a part is written in one piece, so a million canceled
// phones never sit in memory at once.
const PART_LINES = 10_000;

/**
 * A terminated campaign's final report, rebuilt from what its store holds: the lines its
 * activities wrote stay; every other phone of its spool gets a `canceled` line counting the
 * resets its journals show (see TerminatedLines). Written as the campaign's final report, with
 * the ending as its final state, so `report` and the HTML report read it as any other.
 */
export async function rebuildTerminatedReport(
  store: CampaignStore,
  campaignId: string,
  termination: Termination,
  options: { batchSize?: number } = {},
): Promise<RebuiltReport | undefined> {
  const prepared = await store.readPrepared(campaignId);
  if (!prepared) return undefined;
  const finished = new Set<string>();
  for await (const line of store.readReport(campaignId)) finished.add(line.instance_id);
  const lines = new TerminatedLines(termination, {
    total: prepared.total,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  for await (const entry of store.listJournals(campaignId)) lines.add(entry);

  let chunk: ReportLine[] = [];
  let part = 0;
  let written = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    await store.writePart(
      campaignId,
      `zz-${termination.how.replace(' ', '-')}-${String(part++).padStart(4, '0')}`,
      chunk,
    );
    written += chunk.length;
    chunk = [];
  };
  let position = 0;
  for await (const id of store.readSpoolFrom(campaignId, 0)) {
    if (!finished.has(id)) chunk.push(lines.lineFor(position, id));
    position += 1;
    if (chunk.length >= PART_LINES) await flush();
  }
  await flush();
  const final = await store.finalize(campaignId, termination.how);
  return { ...final, written, unmapped: lines.unmapped };
}

/**
 * A campaign's final report at its end, one line per phone: its parts assembled, and when they
 * lack phones (lines lost to a bug) those rebuilt from the journal as a terminate's are, the
 * final state recorded as `failed` (`rebuilt` says how many). No phone the campaign may have
 * reset ends without a line, whatever way it ends.
 */
export async function finalizeWhole(
  store: CampaignStore,
  campaignId: string,
  state: string | undefined,
  expect: { lines?: number; batchSize?: number },
): Promise<{ location: string; lines: number; duplicates: number; rebuilt?: number }> {
  const report = await store.finalize(campaignId, state);
  if (expect.lines === undefined || report.lines >= expect.lines) return report;
  const missing = expect.lines - report.lines;
  const why = `${missing} of its phones had no line when it ended ${state ?? ''}`.trimEnd();
  const rebuilt = await rebuildTerminatedReport(
    store,
    campaignId,
    { how: 'failed', reason: why, at: new Date().toISOString() },
    expect.batchSize ? { batchSize: expect.batchSize } : {},
  );
  if (!rebuilt) return report;
  return { location: rebuilt.location, lines: rebuilt.lines, duplicates: rebuilt.duplicates, rebuilt: rebuilt.written };
}
