import { WORKER_DIED } from '../campaign/possible-resets';
import type { JobJournal } from '../campaign/work-item';

/**
 * How many calls for an item may have reset its phones without the workflow knowing, judged from
 * the journal an earlier attempt left. The API has no idempotency key, so a call that died with
 * its worker (or whose answer proved nothing) can only be counted, never undone; the report must
 * never show fewer resets than a phone received.
 *
 * - A journal with a task: its call was accepted; it carries the died calls before it.
 * - A mark not answered: a call was in flight when its worker died. It may have been applied, on
 *   top of the died calls the mark already carried (a worker can die mid-call more than once).
 * - A mark answered with an error: that call reset nothing, or, when its answer proved nothing
 *   (README, "Possibly applied"), the mark's count already holds it. The count went back with
 *   the result of the activity that wrote the mark, unless that result never reached the
 *   workflow (its worker died, and the retried attempt never got to the item): the workflow adds
 *   what it is told to the item's `resets`, so an item whose `resets` (the caller's) has not
 *   grown past what the mark recorded has not been told. Marks without that record: only a retry
 *   of the same activity counts it.
 */
export function uncertainCalls(
  journal: JobJournal | undefined,
  by: string,
  attempt: number,
  resets?: number,
): number {
  if (!journal) return 0;
  if (journal.uncertain === undefined) {
    // Written by an earlier version, which left its mark in place after an error answer: only a
    // retried attempt of the same activity can tell that its mark is a died call.
    return journal.taskId === '' && attempt > 1 ? 1 : 0;
  }
  if (journal.taskId !== '') return journal.uncertain;
  if (!journal.answered) return journal.uncertain + 1;
  const before = journal.item?.resets;
  if (before !== undefined && resets !== undefined) return resets >= before + journal.uncertain ? 0 : journal.uncertain;
  return journal.by === by ? journal.uncertain : 0;
}

/** Why the latest of the calls uncertainCalls counts may have reset the phones. */
export function uncertainWhy(journal: JobJournal | undefined): string {
  if (!journal || (journal.taskId === '' && !journal.answered)) return WORKER_DIED;
  return journal.why ?? WORKER_DIED;
}

/**
 * The resets an item's journal holds that no activity result ever reported: read when the item's
 * batch activity failed for good (all its attempts), so its report lines still count the calls it
 * may have made. An accepted call counts as applied; a mark in flight as possibly applied.
 */
export function unreportedResets(journal: JobJournal | undefined): number {
  if (!journal) return 0;
  const carried = journal.uncertain ?? 0;
  if (journal.taskId !== '') return carried + 1;
  return journal.answered ? carried : carried + 1;
}
