import { ApplicationFailure, Context } from '@temporalio/activity';
import { IDEMPOTENCY_HEADER, NOTIFICATION_GIVEN_UP, type Notification } from '../campaign/notification';
import { loadNotifyUrl } from '../report/notify-url';

export interface SendNotificationInput {
  ref: string;
  notification: Notification;
  /** How long this event is tried, from its first attempt. */
  retryForMs: number;
}

export interface SendNotificationResult {
  status: number;
  attempts: number;
}

// One attempt never waits long on a receiver: a slow one is tried again, on the retry's backoff.
const ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * POSTs one event to the campaign's webhook. Its errors name the receiver's answer or the
 * connection's code, never the URL (it may carry a token). Retried by Temporal with backoff
 * until `retryForMs` has passed since the first attempt, then given up (NotificationGivenUp).
 */
export async function sendNotification(
  input: SendNotificationInput,
  /** The report folder the CLI left the URL in (src/report/notify-url.ts). */
  root: string,
): Promise<SendNotificationResult> {
  const { attempt, scheduledTimestampMs } = Context.current().info;
  let problem: string;
  let retryable = true;
  try {
    // Missing while the shared folder is away (a store being restored): tried again like a receiver that is down.
    const url = await loadNotifyUrl(root, input.ref).catch((err: unknown) => {
      throw new Error(
        `cannot read notify/${input.ref}.url: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    });
    if (url === undefined) {
      problem = `no URL for notify ref ${input.ref} in this worker's REPORT_DIR (the CLI leaves it in notify/<ref>.url there)`;
    } else {
      const res = await post(url, input.notification);
      if (res.ok) return { status: res.status, attempts: attempt };
      problem = `the receiver answered HTTP ${res.status}`;
      // A refusal that sending again cannot change (400, 401, 403, 404): given up at once.
      retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    }
  } catch (err) {
    problem =
      err instanceof TypeError || (err as Error).name === 'TimeoutError'
        ? `cannot reach the receiver: ${connectionError(err)}`
        : (err as Error).message;
  }
  const elapsed = Date.now() - scheduledTimestampMs;
  if (!retryable || elapsed >= input.retryForMs) throw giveUp(problem, attempt);
  throw ApplicationFailure.retryable(
    `notification attempt ${attempt} failed: ${problem}`,
    'NotificationNotDelivered',
  );
}

async function post(url: string, notification: Notification): Promise<{ ok: boolean; status: number }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'koophone-reset',
      [IDEMPOTENCY_HEADER]: notification.idempotencyKey,
    },
    body: JSON.stringify(notification),
    signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    // A redirect could carry the token elsewhere: the URL given is the only one posted to.
    redirect: 'error',
  });
  await res.body?.cancel();
  return { ok: res.ok, status: res.status };
}

function giveUp(problem: string, attempts: number): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `notification given up after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${problem}`,
    NOTIFICATION_GIVEN_UP,
    { attempts, problem },
  );
}

/** ECONNREFUSED, a timeout: the code only — fetch's own messages may quote the URL. */
function connectionError(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; name?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  const name = (err as { name?: unknown }).name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return `no answer within ${ATTEMPT_TIMEOUT_MS / 1000}s`;
  return typeof name === 'string' ? name : 'unknown error';
}
