// Pure: the API's facts (koophone-api.md, "Batch reset"), no I/O and no Temporal.
import { CLIENT_ERROR_CODES, KOOPHONE_CODES, normalizeCode } from './codes';
import type { KoophoneError } from './errors';

/** A batch-reset call that did not come back accepted, as the client saw it. */
export interface FailedCall {
  /** The code as the client names it: the service's, the gateway's, or its own (`HTTP_502`, `TIMEOUT`, …). */
  code: string;
  httpStatus?: number;
  /**
   * The request left this process: false when its connection was never made (refused, no DNS
   * answer) or a step before it failed (input validation, the IAM token).
   */
  sent: boolean;
}

/** What the answer proves about the phones of the call. */
export interface AppliedVerdict {
  /** The service may have reset the phones: the report counts a possible reset. */
  possiblyApplied: boolean;
  /** Why, in words for a report line: "HTTP 502 after the call was sent". */
  why: string;
}

/** Well-formed business refusals: the service looked at the call and did not apply it. */
const REFUSAL_CODES: ReadonlySet<string> = new Set([
  KOOPHONE_CODES.invalidParameters,
  KOOPHONE_CODES.noPermission,
  KOOPHONE_CODES.mixedRegions,
  KOOPHONE_CODES.notInTenant,
  KOOPHONE_CODES.frozen,
  KOOPHONE_CODES.recovering,
  KOOPHONE_CODES.backingUp,
  KOOPHONE_CODES.tenantNotFound,
  KOOPHONE_CODES.missingRequestId,
  KOOPHONE_CODES.notSubscribed,
]);

const MAX_CODE = 40;

/**
 * Whether a failed batch-reset call may have reset its phones. The API has no idempotency key,
 * so only an answer that proves the call was refused counts as "not applied": a well-formed
 * business refusal, the gateway's 429, 401 or 413, or a request that never left. Everything else
 * after the request left — any 5xx, 9999 with any status, an unreadable or cut-off body, a broken
 * connection, a timeout, a code nobody documented — may follow a reset the service applied, and is
 * counted as a possible reset (README, "Possibly applied"). Whether the call is sent again is
 * another decision, classifyKoophoneError's.
 */
export function possiblyApplied(call: FailedCall): AppliedVerdict {
  const code = normalizeCode(call.code);
  const status = call.httpStatus;
  const no = (why: string): AppliedVerdict => ({ possiblyApplied: false, why });
  const maybe = (what: string): AppliedVerdict => ({
    possiblyApplied: true,
    why: `${what} after the call was sent`,
  });
  if (!call.sent || code === CLIENT_ERROR_CODES.invalidInput) return no('the request never left');
  // A server error says nothing of what happened behind it, whatever its body names.
  if (status !== undefined && status >= 500) return maybe(label(call));
  if (status === 429 || code === KOOPHONE_CODES.throttled) return no('throttled by the gateway');
  if (status === 401 && (code.startsWith('APIGW.') || code.startsWith('APIG.') || code === 'HTTP_401')) {
    return no('the gateway refused the token');
  }
  if (status === 413 || code === KOOPHONE_CODES.requestTooLarge)
    return no('the gateway refused the body as too large');
  if (REFUSAL_CODES.has(code)) return no(`refused by KooPhone (${call.code.slice(0, MAX_CODE)})`);
  if (code === CLIENT_ERROR_CODES.timeout) return maybe('no answer within the timeout');
  if (code === CLIENT_ERROR_CODES.network) return maybe('the connection broke');
  if (code === CLIENT_ERROR_CODES.badResponse) {
    return maybe(`an unreadable answer${status === undefined ? '' : ` (HTTP ${status})`}`);
  }
  // 9999, a gateway code nobody documented, an HTTP error without a KooPhone body.
  return maybe(label(call));
}

/** `HTTP 502`, `KOOPHONE.API.9999 (HTTP 200)`: the code as sent, bounded. */
function label(call: FailedCall): string {
  const status = /^HTTP_(\d{3})$/.exec(call.code);
  if (status) return `HTTP ${status[1]}`;
  const code = call.code.slice(0, MAX_CODE);
  return call.httpStatus === undefined ? code : `${code} (HTTP ${call.httpStatus})`;
}

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether the request of the call at `path` left: not when the client refused it (invalid
 * input), when another call before it failed (the IAM token), or when its connection could not
 * be made (undici names why in `cause`).
 */
export function requestLeft(error: KoophoneError, path: string): boolean {
  if (error.url !== path || error.code === CLIENT_ERROR_CODES.invalidInput) return false;
  if (error.code !== CLIENT_ERROR_CODES.network) return true;
  for (let e: unknown = error.cause, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === 'string' && NOT_SENT.has(code)) return false;
  }
  return true;
}
