import type { JobJournal, WorkItem } from '../campaign/work-item';
import { JournalUnreadableError, type CampaignStore, type JournalUnreadable } from '../report/campaign-store';
import { journalProblem } from '../report/journal-check';

/**
 * An item's journal as its next activity reads it: what it holds (undefined: none), or why it
 * cannot be used — its bytes are no JSON (empty, cut off), or the JSON is not a journal of this
 * campaign's item (`{}`, a forged mark, one copied from another campaign or item). An unusable
 * journal is never acted on: it might have held an accepted call, so its item is not sent again
 * but written with what can be proven (resetItem's quarantine), and the rest of the campaign goes on.
 */
export async function readItemJournal(
  store: CampaignStore,
  campaignId: string,
  item: Pick<WorkItem, 'key' | 'range' | 'ids' | 'resets'>,
  strict: boolean,
): Promise<{ journal: JobJournal | undefined } | { unusable: JournalUnreadable }> {
  let journal: JobJournal | undefined;
  try {
    journal = await store.readJournal(campaignId, item.key);
  } catch (err) {
    if (err instanceof JournalUnreadableError) return { unusable: err.unreadable };
    throw err;
  }
  if (journal === undefined) return { journal };
  const problem = journalProblem(journal, { campaignId, key: item.key, item, strict });
  return problem ? { unusable: { where: store.journalLocation(campaignId, item.key), why: problem } } : { journal };
}
