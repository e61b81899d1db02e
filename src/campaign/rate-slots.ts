import { KOOPHONE_CODES, sameCode } from '../koophone/codes';

/**
 * Spaces the campaign's batch-reset calls: each call gets a slot at least 1/rate after the
 * previous one, whichever worker sends it.
 *
 * Fixed rate: 429s halve the rate; clean answers win it back step by step, never above what the
 * operator configured. Adaptive rate (`--rate auto`): start low, raise additively while the API
 * answers cleanly, cut multiplicatively on 429/9999 — at most once per cool-down, since one
 * overshoot yields a burst of refusals — and, when the gateway names its limit in the 429
 * ("…ratelimit,limit:XX,time:1 second"), hold just under it.
 */
export interface RateState {
  current: number;
  lastSlotAt: number;
  clean: number;
  adaptive?: boolean;
  lastCutAt?: number;
  /** The limit the gateway told us, when it did. */
  knownLimit?: number;
  /** Lead added while calls reach workers after their slots (see onSlotMissed). */
  extraLeadMs?: number;
}

const CUT_COOLDOWN_MS = 2000;
const MAX_EXTRA_LEAD_MS = 4000;
const KNOWN_LIMIT_SHARE = 0.9;

export function initialRate(rate: number, adaptive = false): RateState {
  return adaptive
    ? { current: Math.min(1, rate), lastSlotAt: 0, clean: 0, adaptive }
    : { current: rate, lastSlotAt: 0, clean: 0 };
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

function ceiling(state: RateState, configured: number): number {
  return state.knownLimit ? Math.min(configured, state.knownLimit * KNOWN_LIMIT_SHARE) : configured;
}

/** Parses the limit out of an APIGW.0308 message, if the gateway gave one. */
export function limitFromMessage(message: string): number | undefined {
  const m = /limit:\s*(\d+(?:\.\d+)?)/.exec(message);
  const limit = m ? Number(m[1]) : NaN;
  return Number.isFinite(limit) && limit > 0 ? limit : undefined;
}

export function onThrottled(state: RateState, configured: number, now = 0, message = ''): void {
  state.clean = 0;
  const limit = limitFromMessage(message);
  if (limit !== undefined) {
    state.knownLimit = limit;
    state.current = Math.min(state.current, ceiling(state, configured));
    state.lastCutAt = now;
    return;
  }
  if (!state.adaptive) {
    state.current = Math.max(configured / 20, state.current / 2);
    return;
  }
  if (state.lastCutAt !== undefined && now - state.lastCutAt < CUT_COOLDOWN_MS) return;
  state.lastCutAt = now;
  state.current = Math.max(0.1, state.current * 0.7);
}

/** Whether a refused call's code says the service is overloaded (a 9999). */
export function isOverloaded(code: string): boolean {
  return sameCode(code, KOOPHONE_CODES.internalError);
}

/** A 9999 (service overloaded) slows an adaptive campaign too; a fixed one keeps its rate. */
export function onOverloaded(state: RateState, configured: number, now: number): void {
  if (state.adaptive) onThrottled(state, configured, now);
}

export function onClean(state: RateState, configured: number): void {
  const top = ceiling(state, configured);
  if (state.current >= top) return;
  if (state.adaptive) {
    state.current = Math.min(top, state.current + Math.max(0.05, state.current * 0.05));
    return;
  }
  state.clean += 1;
  if (state.clean >= 10) {
    state.current = Math.min(top, state.current + configured / 10);
    state.clean = 0;
  }
}

/**
 * A call reached its worker `lateMs` after its slot and went back unsent: hand calls out earlier.
 * Calls handed out together tend to miss together; each raises the lead by its lateness on top of
 * half what was already added, so a burst of misses settles near twice the lateness, not its sum.
 */
export function onSlotMissed(state: RateState, lateMs: number): void {
  const extra = state.extraLeadMs ?? 0;
  state.extraLeadMs = Math.round(Math.min(MAX_EXTRA_LEAD_MS, Math.max(extra, extra / 2 + lateMs)));
}

/** A call made its slot: give back a little of the added lead, so it lasts only while needed. */
export function onSlotMet(state: RateState): void {
  if (state.extraLeadMs === undefined) return;
  const extra = Math.floor(state.extraLeadMs * 0.95);
  if (extra < 50) delete state.extraLeadMs;
  else state.extraLeadMs = extra;
}

/**
 * The campaign's ceiling moved (its share of the account's limit changed). A fixed-rate campaign
 * running at its old ceiling moves to the new one at once, so a share given back is used within
 * a call; one slowed by 429s stays where it is, under the new ceiling. An adaptive one only caps.
 */
export function onShareChanged(state: RateState, before: number, after: number): void {
  if (state.adaptive) state.current = Math.min(state.current, after);
  else if (state.current >= before * 0.999 || state.current > after) state.current = after;
}
