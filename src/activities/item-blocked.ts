import type { OwnPartFault } from '../campaign/blocking';
import type { JobJournal, ResetBatchResult, WorkItem } from '../campaign/work-item';

/**
 * An item stopped by one of our own parts (its store) part-way: what its call did so far, so its
 * lane can hand it back without losing a call or sending one again (see itemBack).
 */
export class ItemBlocked extends Error {
  constructor(
    readonly fault: OwnPartFault,
    readonly progress: {
      /** Its call was accepted: the journal holds it (or `unwritten` does), its jobs run. */
      accepted?: boolean;
      /** The journal the store refused after the call went (the accepted call, or a refused call's mark). */
      unwritten?: JobJournal;
      /** How KooPhone answered a call it refused: the workflow decides the retry as usual. */
      result?: ResetBatchResult;
    } = {},
  ) {
    super(fault.message);
    this.name = 'ItemBlocked';
  }
}

/** Where a lane puts an item its store stopped: untouched, to resume from its journal, or a result. */
export type ItemBack =
  | { to: 'unsent'; item: WorkItem }
  | { to: 'handedOver'; item: WorkItem }
  | { to: 'results'; item: WorkItem; result: ResetBatchResult };

/**
 * The rule that keeps a blocked item's calls: nothing is sent that was not journaled first, and
 * a call that went is never forgotten.
 * - A refused call (its answer known) is a result as usual; the mark the store refused travels
 *   with the item, so the next attempt writes it before anything else.
 * - An accepted call is handed over: the next lane resumes its tracking from the journal — the
 *   one on disk, or the one the store refused, which travels with the item and is written first.
 * - An item that sent nothing goes back as it came (handed over if it came so: its journal may
 *   hold an earlier accepted call).
 */
export function itemBack(item: WorkItem, blocked: ItemBlocked['progress']): ItemBack {
  const carried = blocked.unwritten ? { ...item, journal: blocked.unwritten } : item;
  if (blocked.result) return { to: 'results', item: carried, result: blocked.result };
  if (blocked.accepted || blocked.unwritten) return { to: 'handedOver', item: carried };
  return { to: item.handedOver ? 'handedOver' : 'unsent', item };
}
