import type { ReportLine } from '../campaign/outcome';
import type { SpoolSeal } from '../campaign/spool-seal';
import type { CampaignStore, StoredCampaign } from './campaign-store';
import { journalProblem } from './journal-check';
import { TerminatedLines, type Termination } from './terminated-lines';
import { VerifiedSpool } from './verified-spool';

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
  /** Spool records that no longer read as prepare wrote them: no line can name their phones. */
  unreadable: number;
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
  options: { batchSize?: number; seal?: SpoolSeal } = {},
): Promise<RebuiltReport | undefined> {
  const prepared = await store.readPrepared(campaignId);
  if (!prepared) return undefined;
  const finished = new Set<string>();
  for await (const line of store.readReport(campaignId)) finished.add(line.instance_id);
  const lines = new TerminatedLines(termination, {
    total: prepared.total,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  for await (const entry of store.listJournals(campaignId)) {
    // A journal that is not one of this campaign's items (copied, forged, `{}`) counts as unreadable.
    const problem = entry.journal
      ? journalProblem(entry.journal, { campaignId, key: entry.key, strict: options.seal !== undefined })
      : undefined;
    lines.add(problem ? { key: entry.key, unreadable: { where: store.journalLocation(campaignId, entry.key), why: problem } } : entry);
  }

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
  let unreadable = 0;
  for await (const { position, id } of spoolRecords(store, campaignId, options.seal)) {
    if (id === undefined) unreadable += 1;
    else if (!finished.has(id)) chunk.push(lines.lineFor(position, id));
    if (chunk.length >= PART_LINES) await flush();
  }
  await flush();
  const final = await store.finalize(campaignId, termination.how);
  return { ...final, written, unmapped: lines.unmapped, unreadable };
}

/**
 * The spool's records in order; with the campaign's seal, each proved (an id undefined where the
 * record no longer reads as prepare wrote it: no line is written for a phone nobody approved).
 */
async function* spoolRecords(
  store: CampaignStore,
  campaignId: string,
  seal: SpoolSeal | undefined,
): AsyncIterable<{ position: number; id: string | undefined }> {
  if (!seal) {
    let position = 0;
    for await (const id of store.readSpoolFrom(campaignId, 0)) yield { position: position++, id };
    return;
  }
  const spool = new VerifiedSpool(store, campaignId, seal);
  try {
    for (let start = 0; start < seal.records; start += seal.block) {
      const slice = await spool.readProved(start, Math.min(seal.records, start + seal.block));
      for (const [i, id] of slice.ids.entries()) yield { position: start + i, id };
    }
  } finally {
    await spool.close();
  }
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
  expect: { lines?: number; batchSize?: number; seal?: SpoolSeal },
): Promise<{ location: string; lines: number; duplicates: number; rebuilt?: number }> {
  const report = await store.finalize(campaignId, state);
  if (expect.lines === undefined || report.lines >= expect.lines) return report;
  const missing = expect.lines - report.lines;
  const why = `${missing} of its phones had no line when it ended ${state ?? ''}`.trimEnd();
  const rebuilt = await rebuildTerminatedReport(
    store,
    campaignId,
    { how: 'failed', reason: why, at: new Date().toISOString() },
    { ...(expect.batchSize ? { batchSize: expect.batchSize } : {}), ...(expect.seal ? { seal: expect.seal } : {}) },
  );
  if (!rebuilt) return report;
  // Nothing to rebuild: the phones without a line are those of spool records that no longer read
  // as prepare wrote them (the final id check names them). The campaign's own ending stands.
  if (rebuilt.written === 0) return store.finalize(campaignId, state);
  return { location: rebuilt.location, lines: rebuilt.lines, duplicates: rebuilt.duplicates, rebuilt: rebuilt.written };
}
