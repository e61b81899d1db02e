import { inspect } from 'node:util';
import type { AccountScope } from './account';
import { KoophoneError } from './errors';
import type { KoophoneErrorClass } from './errors';
import { errorEnvelopeSchema, iamErrorSchema, iamTokenResponseSchema } from './schemas';
import type { IamPasswordRequest } from './schemas';
import { excerpt, send } from './transport';

export interface TokenProvider {
  getToken(signal?: AbortSignal): Promise<string>;
  /** Forget `token` (it was refused); the next getToken fetches a fresh one. */
  invalidate(token: string): void;
  /** The tenant and project its tokens are for, as configured (never a secret): see account.ts. */
  readonly scope?: AccountScope;
}

export class StaticTokenProvider implements TokenProvider {
  readonly #token: string;
  readonly #declared: AccountScope | undefined;

  /** `scope`: the token's account, when the operator declared it (a token cannot be read for it). */
  constructor(token: string, scope?: AccountScope) {
    if (token.length === 0) throw new Error('StaticTokenProvider: the token is empty');
    this.#token = token;
    this.#declared = scope;
  }

  get scope(): AccountScope | undefined {
    return this.#declared;
  }

  async getToken(signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    return this.#token;
  }

  invalidate(): void {
    // A static token cannot be renewed; the client's single retry will fail the same way.
  }

  toString(): string {
    return 'StaticTokenProvider { token: [REDACTED] }';
  }

  toJSON(): Record<string, string> {
    return { type: 'static', token: '[REDACTED]' };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

export interface IamPasswordTokenProviderOptions {
  /** e.g. `https://iam.myhuaweicloud.com` */
  iamEndpoint: string;
  username: string;
  password: string;
  domainName: string;
  /** Scope the token to a project by name (e.g. `cn-north-4`) or id; otherwise it is domain-scoped. */
  projectName?: string;
  projectId?: string;
  fetch?: typeof fetch;
  /** Per IAM call; default 15 000 ms. */
  timeoutMs?: number;
  /** Clock, for tests of the expiry margin. */
  now?: () => number;
}

/** Renew this long before `expires_at`, so no call leaves with a token about to lapse. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;
/**
 * After IAM refuses the credentials, it is not asked again for this long, whatever the number of
 * calls, lanes and campaigns on this worker: Huawei IAM locks a user after repeated failed
 * sign-ins, which would lock out every correct worker sharing it.
 */
export const IAM_REFUSAL_PAUSE_MS = 60_000;
export const IAM_PATH = '/v3/auth/tokens';

interface CachedToken {
  token: string;
  refreshAt: number;
}

/**
 * Huawei Cloud IAM password grant, cached until shortly before expiry; concurrent callers share one
 * request. A refusal (IAM answers 4xx other than 429: a wrong user, password, domain or project, a
 * locked user) is remembered: for IAM_REFUSAL_PAUSE_MS every caller gets it again (class
 * `credentials`) without IAM being asked.
 */
export class IamPasswordTokenProvider implements TokenProvider {
  readonly #iamUrl: string;
  readonly #username: string;
  readonly #password: string;
  readonly #domainName: string;
  readonly #scope: IamPasswordRequest['auth']['scope'];
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #account: AccountScope;
  #cached: CachedToken | undefined;
  #inFlight: Promise<CachedToken> | undefined;
  /** IAM's last refusal, and until when it stands for IAM's answer. */
  #refused: { error: KoophoneError; until: number } | undefined;

  constructor(options: IamPasswordTokenProviderOptions) {
    const missing = (['iamEndpoint', 'username', 'password', 'domainName'] as const).filter(
      (key) => typeof options[key] !== 'string' || options[key].length === 0,
    );
    if (missing.length > 0) throw new Error(`IamPasswordTokenProvider: missing ${missing.join(', ')}`);
    if (options.projectName !== undefined && options.projectId !== undefined) {
      throw new Error('IamPasswordTokenProvider: give projectName or projectId, not both');
    }
    this.#iamUrl = new URL(IAM_PATH, withTrailingSlash(options.iamEndpoint)).toString();
    this.#username = options.username;
    this.#password = options.password;
    this.#domainName = options.domainName;
    this.#scope =
      options.projectId !== undefined
        ? { project: { id: options.projectId } }
        : options.projectName !== undefined
          ? { project: { name: options.projectName } }
          : { domain: { name: options.domainName } };
    this.#account = {
      domain: options.domainName,
      ...(options.projectId !== undefined
        ? { project: { id: options.projectId } }
        : options.projectName !== undefined
          ? { project: { name: options.projectName } }
          : {}),
    };
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#now = options.now ?? Date.now;
  }

  async getToken(signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    const cached = this.#cached;
    if (cached !== undefined && this.#now() < cached.refreshAt) return cached.token;
    const refused = this.#refused;
    if (refused !== undefined && this.#now() < refused.until) throw refusedAgain(refused.error, refused.until);
    // The shared request is not tied to any one caller's signal: one caller giving up must not fail the rest.
    this.#inFlight ??= this.#requestToken().finally(() => {
      this.#inFlight = undefined;
    });
    const fresh = await abortable(this.#inFlight, signal);
    return fresh.token;
  }

  get scope(): AccountScope {
    return this.#account;
  }

  invalidate(token: string): void {
    // Only the refused token: when many calls hit 401 together, the first refresh serves them all.
    if (this.#cached?.token === token) this.#cached = undefined;
  }

  async #requestToken(): Promise<CachedToken> {
    const body: IamPasswordRequest = {
      auth: {
        identity: {
          methods: ['password'],
          password: {
            user: { name: this.#username, password: this.#password, domain: { name: this.#domainName } },
          },
        },
        scope: this.#scope,
      },
    };
    const response = await send({
      fetch: this.#fetch,
      method: 'POST',
      url: this.#iamUrl,
      path: IAM_PATH,
      headers: { 'content-type': 'application/json;charset=utf8' },
      body: JSON.stringify(body),
      timeoutMs: this.#timeoutMs,
    });
    const fail = (code: string, detail: string, errorClass: KoophoneErrorClass): never => {
      throw new KoophoneError({
        code,
        detail,
        errorClass,
        method: 'POST',
        url: IAM_PATH,
        httpStatus: response.status,
      });
    };
    if (response.status < 200 || response.status >= 300) {
      const { code, message } = readIamError(response.text, response.status);
      if (response.status === 429 || response.status >= 500) {
        const errorClass: KoophoneErrorClass = response.status === 429 ? 'throttled' : 'retryable';
        return fail(code, `IAM could not sign in user ${JSON.stringify(this.#username)}: ${message}`, errorClass);
      }
      const refusal = new KoophoneError({
        code,
        detail:
          `IAM refused the credentials (HTTP ${response.status}) of user ${JSON.stringify(this.#username)} ` +
          `in domain ${JSON.stringify(this.#domainName)}: ${message}`,
        errorClass: 'credentials',
        method: 'POST',
        url: IAM_PATH,
        httpStatus: response.status,
      });
      this.#refused = { error: refusal, until: this.#now() + IAM_REFUSAL_PAUSE_MS };
      throw refusal;
    }
    const token = response.headers.get('x-subject-token');
    if (token === null || token.length === 0) {
      return fail('BAD_RESPONSE', 'IAM answered without an X-Subject-Token header', 'retryable');
    }
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      return fail('BAD_RESPONSE', `IAM body is not JSON: ${excerpt(response.text)}`, 'retryable');
    }
    const parsed = iamTokenResponseSchema.safeParse(json);
    if (!parsed.success) return fail('BAD_RESPONSE', 'IAM body has no valid token.expires_at', 'retryable');
    const now = this.#now();
    const expiresAt = Date.parse(parsed.data.token.expires_at);
    // Short-lived tokens (tests, odd tenants) still get used for half their life rather than never.
    const refreshAt = Math.max(expiresAt - TOKEN_REFRESH_MARGIN_MS, now + (expiresAt - now) / 2);
    const cached = { token, refreshAt };
    this.#cached = cached;
    this.#refused = undefined;
    return cached;
  }

  toString(): string {
    return `IamPasswordTokenProvider { iam: ${this.#iamUrl}, username: ${this.#username}, password: [REDACTED] }`;
  }

  toJSON(): Record<string, string> {
    return { type: 'iam-password', iam: this.#iamUrl, username: this.#username, password: '[REDACTED]' };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** IAM's remembered refusal, once more: IAM was not asked. */
function refusedAgain(refusal: KoophoneError, until: number): KoophoneError {
  const when = new Date(until).toISOString().slice(11, 19);
  return new KoophoneError({
    code: refusal.code,
    detail: `${refusal.detail} (IAM is not asked again before ${when} UTC: it locks users after repeated failed sign-ins)`,
    errorClass: 'credentials',
    method: refusal.method,
    url: refusal.url,
    ...(refusal.httpStatus !== undefined ? { httpStatus: refusal.httpStatus } : {}),
  });
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function readIamError(text: string, status: number): { code: string; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { code: `HTTP_${status}`, message: excerpt(text) };
  }
  const envelope = errorEnvelopeSchema.safeParse(json);
  if (envelope.success) return { code: envelope.data.error_code, message: envelope.data.error_msg };
  const parsed = iamErrorSchema.safeParse(json);
  if (!parsed.success) return { code: `HTTP_${status}`, message: excerpt(text) };
  const { code, message } = parsed.data.error;
  return { code: typeof code === 'string' && !/^\d+$/.test(code) ? code : `HTTP_${status}`, message };
}

async function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
