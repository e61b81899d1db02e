import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { koophoneAccount, type KoophoneAccount } from './account';
import { KoophoneError } from './errors';
import { formatIssues } from './issues';
import type {
  BatchResetResult,
  CallOptions,
  Instance,
  InstanceFilter,
  InstanceListQuery,
  InstancePage,
  StatusQueryResult,
  TaskResult,
} from './models';
import {
  MAX_BATCH_RESET_IDS,
  MAX_STATUS_QUERY_IDS,
  batchResetResponseSchema,
  errorEnvelopeSchema,
  instanceListQuerySchema,
  instanceListResponseSchema,
  statusQueryResponseSchema,
  taskIdSchema,
  taskQueryResponseSchema,
} from './schemas';
import type { TokenProvider } from './token-provider';
import { excerpt, parseRetryAfter, send } from './transport';
import { hasUrlCredentials, redactUrlCredentials } from './url-credentials';
import type { RawResponse } from './transport';
import { validateInstanceIds } from './validate';

export interface KoophoneClientOptions {
  /** Base URL, e.g. `https://koophone.myhuaweicloud.com` or the simulator's URL. */
  endpoint: string;
  tokenProvider: TokenProvider;
  /** Per HTTP request, body included; default 15 000 ms. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export const DEFAULT_TIMEOUT_MS = 15_000;

/** The API's paths; errors name them in `url`. */
export const API_PATHS = {
  batchReset: '/v1/instances/batch-reset',
  task: (taskId: string) => `/v1/instances/tasks/${encodeURIComponent(taskId)}`,
  list: '/v1/instances/batch-query',
  status: '/v1/instances/batch-query-status',
} as const;

interface CallSpec<S extends z.ZodType> {
  method: 'GET' | 'POST';
  path: string;
  query?: URLSearchParams;
  body?: unknown;
  schema: S;
}

/**
 * The KooPhone API. It validates input, checks every response against the documented shape and
 * turns every failure into a KoophoneError. It retries nothing except one call after a refused
 * token: retries belong to the activity layer, which knows the budget.
 */
export class KoophoneClient {
  readonly endpoint: string;
  readonly timeoutMs: number;
  readonly #tokenProvider: TokenProvider;
  readonly #fetch: typeof fetch;

  constructor(options: KoophoneClientOptions) {
    let url: URL;
    try {
      url = new URL(options.endpoint);
    } catch {
      throw new Error(
        `KoophoneClient: endpoint ${JSON.stringify(redactUrlCredentials(options.endpoint))} is not a URL`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`KoophoneClient: endpoint must be http(s), got ${url.protocol}`);
    }
    if (hasUrlCredentials(options.endpoint)) {
      // The endpoint is logged and recorded; a user:password in it would go with it.
      throw new Error(
        `KoophoneClient: endpoint ${redactUrlCredentials(options.endpoint)} must not carry credentials (user:password@)`,
      );
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw new Error(`KoophoneClient: timeoutMs must be a positive integer, got ${timeoutMs}`);
    }
    this.endpoint = url.toString().replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
    this.#tokenProvider = options.tokenProvider;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** The KooPhone account this client talks to: its endpoint, tenant and project (never a secret). */
  get account(): KoophoneAccount {
    return koophoneAccount(this.endpoint, this.#tokenProvider.scope);
  }

  /**
   * Signs in as a call would (a cached token costs nothing): IAM refusing the credentials throws
   * a KoophoneError of class `credentials`, and IAM is asked at most once a minute after a refusal.
   */
  async signIn(signal?: AbortSignal): Promise<void> {
    await this.#tokenProvider.getToken(signal);
  }

  async batchReset(ids: string[], options: CallOptions = {}): Promise<BatchResetResult> {
    const instanceIds = validateInstanceIds(ids, {
      max: MAX_BATCH_RESET_IDS,
      method: 'POST',
      url: API_PATHS.batchReset,
    });
    const { body, requestId } = await this.#call(
      {
        method: 'POST',
        path: API_PATHS.batchReset,
        body: { instance_ids: instanceIds },
        schema: batchResetResponseSchema,
      },
      options,
    );
    return {
      taskId: body.data.task_id,
      jobs: body.data.cmd_jobs.map((job) => ({ instanceId: job.instance_id, jobId: job.job_id })),
      requestId,
    };
  }

  async getTask(taskId: string, options: CallOptions = {}): Promise<TaskResult> {
    const path = API_PATHS.task(String(taskId));
    const checked = taskIdSchema.safeParse(taskId);
    if (!checked.success) throw invalidInput('GET', path, `task id ${formatIssues(checked.error.issues)}`);
    const { body, requestId } = await this.#call(
      { method: 'GET', path, schema: taskQueryResponseSchema },
      options,
    );
    return {
      jobs: body.data.jobs.map((job) => ({
        jobId: job.job_id,
        status: job.status,
        errorCode: job.error_code,
        errorMsg: job.error_msg,
        executeMsg: job.execute_msg,
      })),
      requestId,
    };
  }

  async listInstances(query: InstanceListQuery, options: CallOptions = {}): Promise<InstancePage> {
    const wire = instanceListQuerySchema.safeParse({
      page_no: query.pageNo,
      page_size: query.pageSize,
      instance_id: query.instanceId,
      instance_name: query.instanceName,
      query_start_time: formatQueryTime(query.queryStartTime),
      query_end_time: formatQueryTime(query.queryEndTime),
      pool_scene_tag: query.poolSceneTag,
      pool_name: query.poolName,
    });
    if (!wire.success) {
      throw invalidInput('GET', API_PATHS.list, `list query ${formatIssues(wire.error.issues)}`);
    }
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(wire.data)) {
      if (value !== undefined) params.set(key, String(value));
    }
    const { body, requestId } = await this.#call(
      { method: 'GET', path: API_PATHS.list, query: params, schema: instanceListResponseSchema },
      options,
    );
    return {
      instances: body.data.result.map((item): Instance => ({
        instanceId: item.instance_id,
        instanceName: item.instance_name,
        region: item.region,
        instanceSku: item.instance_sku,
        frozenStatus: item.frozen_status,
        ...present({
          runningStatus: item.running_status,
          loginStatus: item.login_status,
          assignStatus: item.assign_status,
          assignUser: item.assign_user,
          backupStatus: item.backup_status,
          restoreStatus: item.restore_status,
          poolName: item.pool_name,
        }),
      })),
      pageNo: body.data.page_no,
      pageSize: body.data.page_size,
      totalCount: body.data.total_count,
      requestId,
    };
  }

  /** Every instance matching `filter`, page by page (pages are fetched lazily). */
  async *iterateInstances(
    filter: InstanceFilter = {},
    pageSize = 100,
    options: CallOptions = {},
  ): AsyncGenerator<Instance, void, undefined> {
    let seen = 0;
    for (let pageNo = 1; ; pageNo += 1) {
      const page = await this.listInstances({ ...filter, pageNo, pageSize }, options);
      yield* page.instances;
      seen += page.instances.length;
      if (page.instances.length === 0 || seen >= page.totalCount) return;
    }
  }

  async queryStatus(ids: string[], options: CallOptions = {}): Promise<StatusQueryResult> {
    const instanceIds = validateInstanceIds(ids, {
      max: MAX_STATUS_QUERY_IDS,
      method: 'POST',
      url: API_PATHS.status,
    });
    const { body, requestId } = await this.#call(
      {
        method: 'POST',
        path: API_PATHS.status,
        body: { instance_ids: instanceIds },
        schema: statusQueryResponseSchema,
      },
      options,
    );
    return {
      statuses: body.data.status_results.map((item) => ({
        instanceId: item.instance_id,
        status: item.status,
      })),
      requestId,
    };
  }

  async #call<S extends z.ZodType>(
    spec: CallSpec<S>,
    options: CallOptions,
  ): Promise<{ body: z.output<S>; requestId: string }> {
    const token = await this.#tokenProvider.getToken(options.signal);
    try {
      return await this.#send(spec, token, options.signal);
    } catch (error) {
      if (!(error instanceof KoophoneError) || error.errorClass !== 'auth') throw error;
      this.#tokenProvider.invalidate(token);
      const fresh = await this.#tokenProvider.getToken(options.signal);
      return await this.#send(spec, fresh, options.signal);
    }
  }

  async #send<S extends z.ZodType>(
    spec: CallSpec<S>,
    token: string,
    signal: AbortSignal | undefined,
  ): Promise<{ body: z.output<S>; requestId: string }> {
    const requestId = randomUUID();
    const query = spec.query && [...spec.query.keys()].length > 0 ? `?${spec.query.toString()}` : '';
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-request-id': requestId,
      'X-Auth-Token': token,
    };
    if (spec.body !== undefined) headers['content-type'] = 'application/json;charset=utf8';
    const response = await send({
      fetch: this.#fetch,
      method: spec.method,
      url: `${this.endpoint}${spec.path}${query}`,
      path: spec.path,
      headers,
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      timeoutMs: this.timeoutMs,
      signal,
      requestId,
    });
    return { body: interpret(response, spec, requestId), requestId };
  }
}

/** HTTP status and body together decide: a 200 can carry an error, a 4xx may carry no envelope. */
function interpret<S extends z.ZodType>(
  response: RawResponse,
  spec: CallSpec<S>,
  requestId: string,
): z.output<S> {
  const ok = response.status >= 200 && response.status < 300;
  const fail = (code: string, detail: string, issues?: readonly z.core.$ZodIssue[]): never => {
    throw new KoophoneError({
      code,
      detail,
      method: spec.method,
      url: spec.path,
      httpStatus: response.status,
      requestId,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      issues,
    });
  };
  let json: unknown;
  try {
    json = JSON.parse(response.text);
  } catch {
    return fail(
      ok ? 'BAD_RESPONSE' : `HTTP_${response.status}`,
      `body is not JSON: ${excerpt(response.text)}`,
    );
  }
  const envelope = errorEnvelopeSchema.safeParse(json);
  if (!envelope.success) {
    if (!ok) return fail(`HTTP_${response.status}`, `body has no error envelope: ${excerpt(response.text)}`);
    return fail(
      'BAD_RESPONSE',
      `response does not match the documented shape: ${formatIssues(envelope.error.issues)}`,
      envelope.error.issues,
    );
  }
  if (envelope.data.error_code !== '0') {
    return fail(envelope.data.error_code, envelope.data.error_msg || '(no error message)');
  }
  if (!ok) return fail(`HTTP_${response.status}`, 'error_code "0" with a non-success HTTP status');
  const parsed = spec.schema.safeParse(json);
  if (!parsed.success) {
    return fail(
      'BAD_RESPONSE',
      `response does not match the documented shape: ${formatIssues(parsed.error.issues)}`,
      parsed.error.issues,
    );
  }
  return parsed.data;
}

/** The fields that have a value: an absent or null field stays absent. */
function present<T extends Record<string, unknown>>(fields: T): Partial<{ [K in keyof T]: NonNullable<T[K]> }> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null)) as Partial<{
    [K in keyof T]: NonNullable<T[K]>;
  }>;
}

function invalidInput(method: string, url: string, detail: string): KoophoneError {
  return new KoophoneError({ code: 'INVALID_INPUT', detail, method, url });
}

function formatQueryTime(value: string | Date | undefined): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  if (Number.isNaN(value.getTime())) return 'Invalid Date';
  return value.toISOString().slice(0, 19).replace('T', ' ');
}
