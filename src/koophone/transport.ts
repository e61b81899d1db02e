import { KoophoneError } from './errors';

/** One HTTP exchange that reached the server and got a complete body. */
export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

export interface SendOptions {
  fetch: typeof fetch;
  method: string;
  /** Absolute URL to call. */
  url: string;
  /** What errors name: the path, never a host with credentials or a query with secrets. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  requestId?: string;
}

/**
 * Sends one request. Failures before a full response map to NETWORK or TIMEOUT; an abort by the
 * caller is re-thrown as the caller's own reason, because cancellation is not a KooPhone fault.
 */
export async function send(options: SendOptions): Promise<RawResponse> {
  const deadline = new Deadline(options.timeoutMs, options.signal);
  try {
    const response = await options.fetch(options.url, {
      method: options.method,
      headers: options.headers,
      body: options.body,
      signal: deadline.signal,
    });
    // Reading the body belongs to the same deadline: a server that stalls mid-body is a timeout too.
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    if (options.signal?.aborted) throw abortReason(options.signal);
    const base = { method: options.method, url: options.path, requestId: options.requestId, cause: error };
    if (deadline.timedOut) {
      throw new KoophoneError({
        ...base,
        code: 'TIMEOUT',
        detail: `no complete response within ${options.timeoutMs} ms`,
      });
    }
    throw new KoophoneError({
      ...base,
      code: 'NETWORK',
      detail: `connection failed: ${describeCause(error)}`,
    });
  } finally {
    deadline.dispose();
  }
}

/**
 * The request's signal: the timeout or the caller's signal, whichever fires first. Built by hand
 * rather than with AbortSignal.any, which on Node 20 keeps every combined signal alive as long as
 * the caller's signal lives (nodejs/node#55351) — and an activity's cancellation signal lives for
 * thousands of calls. dispose() detaches everything.
 */
class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #caller: AbortSignal | undefined;
  readonly #onCallerAbort = (): void => this.#controller.abort(this.#caller?.reason);
  timedOut = false;

  constructor(timeoutMs: number, caller: AbortSignal | undefined) {
    this.#caller = caller;
    this.#timer = setTimeout(() => {
      this.timedOut = true;
      this.#controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
    }, timeoutMs);
    if (caller?.aborted) this.#onCallerAbort();
    else caller?.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }
}

function abortReason(signal: AbortSignal): unknown {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error(typeof reason === 'string' ? reason : 'The operation was aborted');
  error.name = 'AbortError';
  return error;
}

/** undici hides the useful part (ECONNRESET, "other side closed") in `cause`. */
function describeCause(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as Error & { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${code}: ${current.message}` : current.message);
    current = current.cause;
  }
  return parts.length > 0 ? parts.join(' <- ') : String(error);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** A body excerpt for error messages. */
export function excerpt(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length === 0) return '(empty body)';
  return JSON.stringify(flat.length > max ? `${flat.slice(0, max)}…` : flat);
}
