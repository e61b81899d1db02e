import { isConfigurationError, isKoophoneError } from '../koophone';
import type { ResetBatchResult } from '../campaign/work-item';

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Whether the request never left: the connection itself could not be made. */
function neverConnected(error: Error): boolean {
  for (let e: unknown = error.cause, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === 'string' && NOT_SENT.has(code)) return true;
  }
  return false;
}

/**
 * Turns a failed batch-reset call into what the workflow should do next. Errors are returned as
 * data, not thrown: the workflow owns submission retries so that every call, first or retried,
 * goes through its rate-spaced slots.
 */
export function classifySubmitError(error: unknown): Exclude<ResetBatchResult, { kind: 'tracked' }> {
  if (!isKoophoneError(error)) throw error;
  const { code, message } = error;
  if (isConfigurationError(code)) return { kind: 'fatal', code, message, calls: 1 };
  switch (error.errorClass) {
    case 'throttled':
      return {
        kind: 'retry',
        code,
        message,
        retryAfterMs: error.retryAfterMs,
        throttled: true,
        ambiguous: false,
        calls: 1,
      };
    case 'retryable':
    case 'auth':
      return {
        kind: 'retry',
        code,
        message,
        retryAfterMs: error.retryAfterMs,
        throttled: false,
        // No answer at all: the service may have applied the reset before the connection died —
        // unless the connection was never made.
        ambiguous: (code === 'NETWORK' && !neverConnected(error)) || code === 'TIMEOUT',
        calls: 1,
      };
    case 'transient_instance':
      return { kind: 'rejected', code, message, transient: true, calls: 1 };
    case 'non_retryable':
      return { kind: 'rejected', code, message, transient: false, calls: 1 };
  }
}
