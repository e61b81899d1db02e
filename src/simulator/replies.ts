/** What an API handler decided; the HTTP layer adds latency and sends it (or drops the connection). */
export interface Reply {
  status: number;
  /** An object is sent as JSON, a string verbatim (broken JSON, gateway HTML). */
  body: unknown;
  headers?: Record<string, string>;
}

export function ok(data: unknown): Reply {
  return { status: 200, body: { data, error_code: '0', error_msg: 'ok' } };
}

export function failure(status: number, code: string, message: string): Reply {
  return { status, body: { error_code: code, error_msg: message } };
}

/** Gateway errors carry their own request_id, as Huawei's APIG does. */
export function gatewayFailure(status: number, code: string, message: string, requestId: string): Reply {
  return { status, body: { error_code: code, error_msg: message, request_id: requestId } };
}

export function errorCodeOf(reply: Reply): string | undefined {
  const body = reply.body;
  if (typeof body !== 'object' || body === null || !('error_code' in body)) return undefined;
  const code = (body as { error_code: unknown }).error_code;
  return typeof code === 'string' && code !== '0' ? code : undefined;
}

/** `a, b, c and 4 more`: enough ids to act on without a kilobyte of message. */
export function listIds(ids: readonly string[], max = 5): string {
  const shown = ids.slice(0, max).join(', ');
  return ids.length > max ? `${shown} and ${ids.length - max} more` : shown;
}

/**
 * Huawei's pages write the same code `KOOPHONE.API.2005` and `KooPhone.API.2005`; with
 * --mixed-case-codes the simulator alternates, so clients must compare codes case-insensitively.
 */
export class CodeSpelling {
  #count = 0;

  next(reply: Reply): Reply {
    const code = errorCodeOf(reply);
    if (code === undefined || !code.startsWith('KOOPHONE.API.')) return reply;
    this.#count += 1;
    if (this.#count % 2 === 1) return reply;
    const body = reply.body as Record<string, unknown>;
    return { ...reply, body: { ...body, error_code: `KooPhone.API.${code.slice('KOOPHONE.API.'.length)}` } };
  }

  clear(): void {
    this.#count = 0;
  }
}
