import {
  API_PATHS,
  isConfigurationError,
  isKoophoneError,
  possiblyApplied,
  requestLeft,
  type AppliedVerdict,
  type KoophoneError,
} from '../koophone';
import type { ResetBatchResult } from '../campaign/work-item';

/**
 * Turns a failed batch-reset call into what the workflow should do next: send it again, split it,
 * wait, or stop (classifyKoophoneError's decision). Errors are returned as data, not thrown: the
 * workflow owns submission retries so that every call, first or retried, goes through its
 * rate-spaced slots. Whether the call may have reset the phones is the other decision,
 * submitVerdict's.
 */
export function classifySubmitError(error: unknown): Exclude<ResetBatchResult, { kind: 'tracked' }> {
  if (!isKoophoneError(error)) throw error;
  const { code, message } = error;
  if (isConfigurationError(code)) return { kind: 'fatal', code, message, calls: 1 };
  switch (error.errorClass) {
    // `credentials`: IAM refused them, nothing was sent. The lane engine blocks the campaign on it
    // before it gets here (reset-batch.ts); the first engine's batches wait and retry, as for a token.
    case 'throttled':
    case 'retryable':
    case 'auth':
    case 'credentials':
      return {
        kind: 'retry',
        code,
        message,
        retryAfterMs: error.retryAfterMs,
        throttled: error.errorClass === 'throttled',
        ambiguous: false,
        calls: 1,
      };
    case 'transient_instance':
      return { kind: 'rejected', code, message, transient: true, calls: 1 };
    case 'non_retryable':
      return { kind: 'rejected', code, message, transient: false, calls: 1 };
  }
}

/** Whether a failed batch-reset call may have reset its phones (the rule: possiblyApplied). */
export function submitVerdict(error: KoophoneError): AppliedVerdict {
  return possiblyApplied({
    code: error.code,
    ...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}),
    sent: requestLeft(error, API_PATHS.batchReset),
  });
}
