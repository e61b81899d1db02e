import type { ReportLine } from '../campaign/outcome';
import { addPossible, describePossible, withNote } from '../campaign/possible-resets';
import type { RecordOutcomesInput } from '../campaign/work-item';
import type { CampaignStore } from '../report/campaign-store';
import { reportLine } from './reset-batch';
import { uncertainWhy, unreportedResets } from './uncertain-calls';

/**
 * Writes outcomes the workflow decided without an API answer: instances canceled or never sent
 * when a campaign stops, and items given up after their retry time ran out, after their batch
 * activity failed for good, or while handed over. Returns the count.
 */
export async function recordOutcomes(store: CampaignStore, input: RecordOutcomesInput): Promise<number> {
  // A journal its lane's store refused (WorkItem.journal) is newer than the store's.
  const journal = input.failedActivity
    ? (input.journal ?? (await store.readJournal(input.campaignId, input.part)))
    : undefined;
  const resets = input.resets + unreportedResets(journal);
  // Calls the journal shows that may have reset the phones without being accepted: said on the line.
  const doubtful = journal ? unreportedResets(journal) - (journal.taskId ? 1 : 0) : 0;
  const note = describePossible(addPossible(input.possible, doubtful, uncertainWhy(journal)));
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
        resets,
        jobId ?? '',
        input.errorCode,
        withNote(input.errorMsg + (jobId ? unfollowed : ''), note),
      ),
    );
  };
  for (const id of input.ids ?? []) add(id);
  if (input.spoolRange) {
    for (const id of await store.readSpool(input.campaignId, input.spoolRange.start, input.spoolRange.end))
      add(id);
  }
  if (input.spoolFrom !== undefined) {
    for await (const id of store.readSpoolFrom(input.campaignId, input.spoolFrom)) add(id);
  }
  await store.writePart(input.campaignId, input.part, lines);
  return lines.length;
}
