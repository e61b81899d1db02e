/**
 * Spaces the campaign's batch-reset calls: each call gets a slot at least 1/rate after the
 * previous one, whichever worker sends it. 429s halve the rate; clean answers win it back
 * step by step (AIMD), never above what the operator configured.
 */
export interface RateState {
  current: number;
  lastSlotAt: number;
  clean: number;
}

export function initialRate(rate: number): RateState {
  return { current: rate, lastSlotAt: 0, clean: 0 };
}

export function intervalMs(state: RateState): number {
  return Math.ceil(1000 / state.current);
}

/** Earliest time the next slot can be handed out. */
export function nextSlotAt(state: RateState, now: number): number {
  return Math.max(now, state.lastSlotAt + intervalMs(state));
}

export function takeSlot(state: RateState, now: number, notBefore: number): number {
  const at = Math.max(nextSlotAt(state, now), notBefore);
  state.lastSlotAt = at;
  return at;
}

export function onThrottled(state: RateState, configured: number): void {
  state.current = Math.max(configured / 20, state.current / 2);
  state.clean = 0;
}

export function onClean(state: RateState, configured: number): void {
  if (state.current >= configured) return;
  state.clean += 1;
  if (state.clean >= 10) {
    state.current = Math.min(configured, state.current + configured / 10);
    state.clean = 0;
  }
}
