import type { ReportLine } from '../campaign/outcome';
import { addPossible, describePossible, withNote } from '../campaign/possible-resets';
import { jobsFor, type RecordOutcomesInput } from '../campaign/work-item';
import type { CampaignStore } from '../report/campaign-store';
import { VerifiedSpool } from '../report/verified-spool';
import { readItemJournal } from './item-journal';
import { JOURNAL_UNREADABLE, reportLine } from './reset-batch';
import { uncertainWhy, unreportedResets } from './uncertain-calls';

/**
 * Writes outcomes the workflow decided without an API answer: instances canceled or never sent
 * when a campaign stops, and items given up after their retry time ran out, after their batch
 * activity failed for good, or while handed over. Returns the count.
 */
export async function recordOutcomes(store: CampaignStore, input: RecordOutcomesInput): Promise<number> {
  // A journal its lane's store refused (WorkItem.journal) is newer than the store's.
  const read = input.failedActivity
    ? input.journal
      ? { journal: input.journal }
      : await readItemJournal(
          store,
          input.campaignId,
          {
            key: input.part,
            resets: input.resets,
            ...(input.spoolRange ? { range: input.spoolRange } : {}),
            ...(input.ids ? { ids: input.ids } : {}),
          },
          input.seal !== undefined,
        )
    : { journal: undefined };
  const journal = 'journal' in read ? read.journal : undefined;
  // A journal that cannot be used may have held a call: one possible reset, and where it is.
  const lost = 'unusable' in read ? read.unusable : undefined;
  const resets = input.resets + unreportedResets(journal) + (lost ? 1 : 0);
  // Calls the journal shows that may have reset the phones without being accepted: said on the line.
  const doubtful = journal ? unreportedResets(journal) - (journal.taskId ? 1 : 0) : 0;
  const possible = addPossible(input.possible, doubtful, uncertainWhy(journal));
  const note = withNote(
    lost ? `${JOURNAL_UNREADABLE} ${lost.where}: ${lost.why}` : '',
    describePossible(lost ? addPossible(possible, 1, 'its journal could not be read: a call it recorded may have reset it') : possible),
  );
  // An accepted call nobody followed to its end: the phone was reset; its job says how it went.
  const jobOf = new Map(journal?.taskId ? journal.jobs.map((j) => [j.instanceId, j.jobId]) : []);
  const unfollowed = journal?.taskId
    ? `; its reset was accepted (task ${journal.taskId}) but its job was not followed to the end`
    : '';
  const lines: ReportLine[] = [];
  const add = (id: string) => {
    const jobId = jobOf.get(id);
    lines.push(
      reportLine(
        id,
        input.outcome,
        // A phone the accepted call gave several jobs was reset by each.
        resets + (journal?.taskId ? Math.max(0, jobsFor(journal, id) - 1) : 0),
        jobId ?? '',
        input.errorCode,
        withNote(input.errorMsg + (jobId ? unfollowed : ''), note),
      ),
    );
  };
  for (const id of input.ids ?? []) add(id);
  const { seal } = input;
  if (seal) {
    // Only records that read as prepare wrote them get a line: a record changed since names no
    // approved phone (the final check names it by its position instead).
    const spool = new VerifiedSpool(store, input.campaignId, seal);
    const ranges = input.spoolRange ? [input.spoolRange] : [];
    if (input.spoolFrom !== undefined) ranges.push({ start: input.spoolFrom, end: seal.records });
    for (const range of ranges) {
      for (let start = range.start; start < range.end; start += seal.block) {
        const slice = await spool.readProved(start, Math.min(range.end, start + seal.block));
        for (const id of slice.ids) if (id !== undefined) add(id);
      }
    }
  } else {
    if (input.spoolRange) {
      for (const id of await store.readSpool(input.campaignId, input.spoolRange.start, input.spoolRange.end))
        add(id);
    }
    if (input.spoolFrom !== undefined) {
      for await (const id of store.readSpoolFrom(input.campaignId, input.spoolFrom)) add(id);
    }
  }
  await store.writePart(input.campaignId, input.part, lines);
  return lines.length;
}
