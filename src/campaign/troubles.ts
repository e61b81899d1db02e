// Pure (imports only pure modules), so workflow code, lanes and the CLI share it.
import { CLIENT_ERROR_CODES, KOOPHONE_CODES, normalizeCode } from '../koophone/codes';

/**
 * What keeps a campaign's calls from succeeding, by kind: what the operator must know to act
 * (docs/design.md, "Operator interface"). `auth` is the one only an operator can fix, so it is the
 * one that blocks a campaign (see blockedBy).
 */
export const TROUBLE_KINDS = ['auth', 'throttled', 'server', 'network', 'busy'] as const;
export type TroubleKind = (typeof TROUBLE_KINDS)[number];

/** The latest error of one kind, with how often and since when it came. Times: epoch ms. */
export interface Trouble {
  kind: TroubleKind;
  code: string;
  message: string;
  /** Calls (batch-reset calls and task queries) that got it. */
  calls: number;
  firstAt: number;
  lastAt: number;
}

/** A lane's troubles as it reports them: times as ages, since the worker's clock is its own. */
export interface TroubleSeen {
  kind: TroubleKind;
  code: string;
  message: string;
  calls: number;
  firstAgoMs: number;
  lastAgoMs: number;
}

const MAX_MESSAGE = 200;

/** Troubles not seen again for this long are over and no longer shown. */
export const TROUBLE_SHOWN_MS = 10 * 60_000;

/** The kind of an error code, or undefined for an answer about the phones themselves. */
export function troubleKindOf(sent: string): TroubleKind | undefined {
  const code = normalizeCode(sent);
  if (code === KOOPHONE_CODES.tokenInvalid || code === KOOPHONE_CODES.tokenExpired || code === 'HTTP_401') {
    return 'auth';
  }
  if (code === KOOPHONE_CODES.throttled || code === 'HTTP_429') return 'throttled';
  if (code === CLIENT_ERROR_CODES.network || code === CLIENT_ERROR_CODES.timeout) return 'network';
  if (code === KOOPHONE_CODES.recovering || code === KOOPHONE_CODES.backingUp) return 'busy';
  if (code === KOOPHONE_CODES.internalError || code === CLIENT_ERROR_CODES.badResponse || /^HTTP_5\d\d$/.test(code)) {
    return 'server';
  }
  return undefined;
}

/** Counts one more error into `troubles` (one entry per kind, the latest code and message). */
export function noteTrouble(
  troubles: Trouble[],
  kind: TroubleKind,
  code: string,
  message: string,
  at: number,
  calls = 1,
): void {
  // Bounded: the campaign carries these across continue-as-new and into its status.
  message = message.slice(0, MAX_MESSAGE);
  const t = troubles.find((x) => x.kind === kind);
  if (!t) {
    troubles.push({ kind, code, message, calls, firstAt: at, lastAt: at });
    return;
  }
  t.calls += calls;
  if (at >= t.lastAt) Object.assign(t, { code, message, lastAt: at });
  t.firstAt = Math.min(t.firstAt, at);
}

/** Folds what a lane saw (ages as of `now`) into the campaign's troubles; over ones are dropped. */
export function mergeTroubles(into: Trouble[], seen: readonly TroubleSeen[] | undefined, now: number): Trouble[] {
  const merged = into.map((t) => ({ ...t }));
  for (const s of seen ?? []) {
    const t = merged.find((x) => x.kind === s.kind);
    const firstAt = now - s.firstAgoMs;
    const lastAt = now - s.lastAgoMs;
    if (!t) merged.push({ kind: s.kind, code: s.code, message: s.message, calls: s.calls, firstAt, lastAt });
    else {
      t.calls += s.calls;
      t.firstAt = Math.min(t.firstAt, firstAt);
      if (lastAt >= t.lastAt) Object.assign(t, { code: s.code, message: s.message, lastAt });
    }
  }
  return merged.filter((t) => now - t.lastAt < TROUBLE_SHOWN_MS);
}

/** A lane's troubles as ages from `now` (its own clock). */
export function troublesSeen(troubles: readonly Trouble[], now: number): TroubleSeen[] {
  return troubles.map((t) => ({
    kind: t.kind,
    code: t.code,
    message: t.message,
    calls: t.calls,
    firstAgoMs: Math.max(0, now - t.firstAt),
    lastAgoMs: Math.max(0, now - t.lastAt),
  }));
}

/**
 * When the auth errors going on now block the campaign if nothing changes: `afterMs` after they
 * began, or after KooPhone last answered if that was later. Undefined when none go on (none, or
 * a call answered since the last). Retrying cannot fix a revoked token; only the operator can.
 */
export function blockingFrom(
  troubles: readonly Trouble[],
  lastAnsweredAt: number | undefined,
  afterMs: number,
): { trouble: Trouble; at: number } | undefined {
  const answered = lastAnsweredAt ?? -Infinity;
  const auth = troubles.find((t) => t.kind === 'auth' && t.lastAt >= answered);
  return auth ? { trouble: auth, at: Math.max(auth.firstAt, answered) + afterMs } : undefined;
}

/**
 * The trouble that blocks the campaign: authentication errors that went on for `afterMs` with no
 * call answered since they began (KooPhone accepted no reset and answered no query), and not over.
 * The campaign resumes by itself once a call is answered.
 */
export function blockedBy(
  troubles: readonly Trouble[],
  lastAnsweredAt: number | undefined,
  now: number,
  afterMs: number,
): Trouble | undefined {
  const from = blockingFrom(troubles, lastAnsweredAt, afterMs);
  return from && now >= from.at && now - from.trouble.lastAt < TROUBLE_SHOWN_MS ? from.trouble : undefined;
}

const WHAT: Record<TroubleKind, string> = {
  auth: 'KooPhone rejects the token',
  throttled: 'KooPhone throttles the calls',
  server: 'KooPhone answers with server errors',
  network: 'KooPhone cannot be reached',
  busy: 'phones are busy (recovering or backing up)',
};

const FIX: Record<TroubleKind, string> = {
  auth: 'fix KOOPHONE_TOKEN (or the IAM credentials) on the workers; the campaign resumes by itself',
  throttled: 'the campaign slows down by itself; lower --rate or share the account (koophone-reset account)',
  server: 'retried with backoff; check Huawei Cloud service health if it lasts',
  network: "check KOOPHONE_ENDPOINT and the workers' network; retried with backoff",
  busy: 'they wait and are retried until --submit-timeout',
};

/** One line an operator can act on, e.g. "KooPhone rejects the token (APIGW.0301) on 57 calls since 08:12 — fix …". */
export function describeTrouble(t: Pick<Trouble, 'kind' | 'code' | 'message' | 'calls'> & { firstAt: number | string }): string {
  const since = new Date(t.firstAt).toISOString().slice(11, 16);
  const calls = `${t.calls} call${t.calls === 1 ? '' : 's'}`;
  return `${WHAT[t.kind]} (${t.code}: ${t.message}) on ${calls} since ${since} UTC — ${FIX[t.kind]}`;
}
