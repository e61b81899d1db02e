// Pure (no imports), so workflow code and activities share it.

/**
 * Of an item's `resets`, the ones that may not have happened: calls whose answer did not prove
 * they were refused (README, "Possibly applied"), and why the latest was counted. A phone's
 * report line says so, so an operator can tell why its `resets` is higher than the calls accepted.
 */
export interface PossibleResets {
  count: number;
  /** Why the latest was counted, e.g. "HTTP 502 after the call was sent". */
  why: string;
}

/** Why a call counts when its worker died before the answer came (its journal mark was left). */
export const WORKER_DIED = 'the call was in flight when its worker died';

// Bounded: items carry it through continue-as-new.
const MAX_WHY = 160;

export function addPossible(
  p: PossibleResets | undefined,
  count: number,
  why: string | undefined,
): PossibleResets | undefined {
  if (count <= 0) return p;
  return { count: (p?.count ?? 0) + count, why: (why ?? WORKER_DIED).slice(0, MAX_WHY) };
}

/** "1 possible reset counted: HTTP 502 after the call was sent"; empty when there is none. */
export function describePossible(p: PossibleResets | undefined): string {
  if (!p || p.count <= 0) return '';
  return p.count === 1
    ? `1 possible reset counted: ${p.why}`
    : `${p.count} possible resets counted, the latest: ${p.why}`;
}

/** A line's error_msg with a note after it. */
export function withNote(message: string, note: string): string {
  if (note === '') return message;
  return message === '' ? note : `${message}; ${note}`;
}
