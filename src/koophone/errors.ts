import type { z } from 'zod';
import { CLIENT_ERROR_CODES, KOOPHONE_CODES, normalizeCode } from './codes';

export { CLIENT_ERROR_CODES, KOOPHONE_CODES, normalizeCode, sameCode } from './codes';

/**
 * How the orchestrator must react to a failed call:
 * - `retryable`: transport or service fault; retry the same call with backoff.
 * - `non_retryable`: retrying the same call cannot succeed.
 * - `transient_instance`: an instance is busy (recovery, backup); retry later.
 * - `auth`: the token was refused; refresh it and retry once.
 * - `throttled`: the gateway's rate limit; back off (honour `retryAfterMs`) and lower the rate.
 * - `credentials`: IAM refused the worker's own credentials (user, password, domain, project):
 *   nothing was sent; only the operator can fix them, and IAM locks users that keep trying
 *   (the token provider asks it at most once a minute; docs/design.md, "Blocked by our own parts").
 */
export type KoophoneErrorClass =
  | 'retryable'
  | 'non_retryable'
  | 'transient_instance'
  | 'auth'
  | 'throttled'
  | 'credentials';

const TRANSIENT_INSTANCE_CODES: ReadonlySet<string> = new Set([
  KOOPHONE_CODES.recovering,
  KOOPHONE_CODES.backingUp,
]);
const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  KOOPHONE_CODES.internalError,
  CLIENT_ERROR_CODES.network,
  CLIENT_ERROR_CODES.timeout,
  // A malformed body is a gateway fault more often than a contract change; one retry costs little.
  CLIENT_ERROR_CODES.badResponse,
]);
const CONFIGURATION_CODES: ReadonlySet<string> = new Set([
  KOOPHONE_CODES.tenantNotFound,
  KOOPHONE_CODES.missingRequestId,
  KOOPHONE_CODES.notSubscribed,
]);
const INSTANCE_REJECTION_CODES: ReadonlySet<string> = new Set([
  KOOPHONE_CODES.invalidParameters,
  KOOPHONE_CODES.noPermission,
  KOOPHONE_CODES.mixedRegions,
  KOOPHONE_CODES.notInTenant,
  KOOPHONE_CODES.frozen,
]);
const KNOWN_NON_RETRYABLE_CODES: ReadonlySet<string> = new Set([
  ...CONFIGURATION_CODES,
  ...INSTANCE_REJECTION_CODES,
  CLIENT_ERROR_CODES.invalidInput,
]);

/** `code` normalized. */
function isGatewayCode(code: string): boolean {
  return code.startsWith('APIGW.') || code.startsWith('APIG.');
}

/** Codes the client makes up (`HTTP_502`, `NETWORK`, …) rather than ones the service sent; `code` normalized. */
function isClientCode(code: string): boolean {
  return /^HTTP_\d{3}$/.test(code) || Object.values(CLIENT_ERROR_CODES).some((c) => c === code);
}

/** The error table of koophone-api.md, as one pure function; codes in any spelling. */
export function classifyKoophoneError(sent: string, httpStatus?: number): KoophoneErrorClass {
  const code = normalizeCode(sent);
  if (TRANSIENT_INSTANCE_CODES.has(code)) return 'transient_instance';
  if (httpStatus === 429 || code === KOOPHONE_CODES.throttled) return 'throttled';
  // A 401 from the gateway (or one with no readable body) means the token; KooPhone's own 401
  // (1001, no permission on instances) does not go away with a new token.
  if (httpStatus === 401 && (isGatewayCode(code) || code === 'HTTP_401')) return 'auth';
  // Too large as sent: only a smaller call can pass (see isInstanceRejection).
  if (httpStatus === 413 || code === KOOPHONE_CODES.requestTooLarge) return 'non_retryable';
  if (RETRYABLE_CODES.has(code)) return 'retryable';
  if (KNOWN_NON_RETRYABLE_CODES.has(code)) return 'non_retryable';
  if (httpStatus !== undefined && httpStatus >= 500) return 'retryable';
  return 'non_retryable';
}

/** Errors that will fail every call of a campaign the same way: stop, do not bisect. */
export function isConfigurationError(code: string): boolean {
  return CONFIGURATION_CODES.has(normalizeCode(code));
}

/**
 * A whole call refused because of one or some of its instances (or for a reason the reference
 * does not document): the orchestrator splits the batch to isolate them.
 */
export function isInstanceRejection(sent: string, httpStatus?: number): boolean {
  const code = normalizeCode(sent);
  // A body over the gateway's limit: halves are smaller bodies.
  if (httpStatus === 413 || code === KOOPHONE_CODES.requestTooLarge) return true;
  if (INSTANCE_REJECTION_CODES.has(code)) return true;
  if (isClientCode(code) || isGatewayCode(code) || KNOWN_NON_RETRYABLE_CODES.has(code)) return false;
  return classifyKoophoneError(code, httpStatus) === 'non_retryable';
}

export interface KoophoneErrorInit {
  code: string;
  /** What went wrong, in words; never a secret. */
  detail: string;
  method: string;
  /** Path of the call (no host, no query secrets). */
  url: string;
  httpStatus?: number;
  requestId?: string;
  retryAfterMs?: number;
  issues?: readonly z.core.$ZodIssue[];
  /** Overrides the table, for calls outside it (IAM). */
  errorClass?: KoophoneErrorClass;
  cause?: unknown;
}

export class KoophoneError extends Error {
  override readonly name = 'KoophoneError';
  readonly code: string;
  readonly detail: string;
  readonly httpStatus?: number;
  readonly requestId?: string;
  readonly method: string;
  readonly url: string;
  readonly errorClass: KoophoneErrorClass;
  readonly retryAfterMs?: number;
  readonly issues?: readonly z.core.$ZodIssue[];

  constructor(init: KoophoneErrorInit) {
    super(formatMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.detail = init.detail;
    this.method = init.method;
    this.url = init.url;
    this.errorClass = init.errorClass ?? classifyKoophoneError(init.code, init.httpStatus);
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.issues !== undefined) this.issues = init.issues;
  }

  /** Whether the same call may succeed if sent again now (refused credentials stay refused). */
  get retryable(): boolean {
    return this.errorClass !== 'non_retryable' && this.errorClass !== 'credentials';
  }

  /** Plain data for logs and Temporal failure details. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      errorClass: this.errorClass,
      message: this.message,
      detail: this.detail,
      method: this.method,
      url: this.url,
      httpStatus: this.httpStatus,
      requestId: this.requestId,
      retryAfterMs: this.retryAfterMs,
    };
  }
}

function formatMessage(init: KoophoneErrorInit): string {
  const context = [
    init.httpStatus === undefined ? undefined : `HTTP ${init.httpStatus}`,
    init.requestId === undefined ? undefined : `request id ${init.requestId}`,
  ].filter((part) => part !== undefined);
  const suffix = context.length > 0 ? ` (${context.join(', ')})` : '';
  return `${init.method} ${init.url} failed with ${init.code}${suffix}: ${init.detail}`;
}

export function isKoophoneError(error: unknown): error is KoophoneError {
  return error instanceof KoophoneError;
}

/** IAM refused the worker's credentials (see KoophoneErrorClass `credentials`). */
export function isCredentialsRefusal(error: unknown): error is KoophoneError {
  return error instanceof KoophoneError && error.errorClass === 'credentials';
}
