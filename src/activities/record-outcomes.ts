import type { ReportLine } from '../campaign/outcome';
import type { RecordOutcomesInput } from '../campaign/work-item';
import type { CampaignStore } from '../report/campaign-store';
import { reportLine } from './reset-batch';
import { unreportedResets } from './uncertain-calls';

/**
 * Writes outcomes the workflow decided without an API answer: instances canceled or never sent
 * when a campaign stops, and items given up after their retry time ran out or after their batch
 * activity failed for good. Returns the count.
 */
export async function recordOutcomes(store: CampaignStore, input: RecordOutcomesInput): Promise<number> {
  const lines: ReportLine[] = [];
  const resets =
    input.resets +
    (input.failedActivity ? unreportedResets(await store.readJournal(input.campaignId, input.part)) : 0);
  const add = (id: string) =>
    lines.push(reportLine(id, input.outcome, resets, '', input.errorCode, input.errorMsg));
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
