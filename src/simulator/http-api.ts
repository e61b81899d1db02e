import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KOOPHONE_CODES } from '../koophone/errors';
import type { ApiEndpoint } from './endpoints';
import type { FaultDraws, InjectionQueue } from './faults';
import type { SimulatorModel } from './model';
import { CodeSpelling, errorCodeOf, failure, gatewayFailure } from './replies';
import type { Reply } from './replies';
import { RateLimiter } from './sliding-window';
import type { TokenRegistry } from './tokens';

interface ApiContext {
  model: SimulatorModel;
  tokens: TokenRegistry;
  injections: InjectionQueue;
  /** Aborted on close, so responses waiting out their latency do not hold the server open. */
  closing: AbortSignal;
}

/** A reply to send, a connection to destroy, or both in order (the reset was applied, then the response lost). */
type Outcome = { kind: 'reply'; reply: Reply } | { kind: 'drop' } | { kind: 'lose' };

type Handler = (
  request: FastifyRequest,
  now: number,
  draws: FaultDraws,
) => { reply: Reply; applied?: boolean; taskNo?: number };

const BAD_GATEWAY_HTML =
  '<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>';
const MALFORMED_JSON = '{"data": {"task_id": "RM_';
/** An accepted call's answer cut off mid-way (the reset was applied). */
const TRUNCATED_JSON = '{"error_code":"0","data":{"task_id":"RM_';

export function registerApiRoutes(app: FastifyInstance, context: ApiContext): { clearLimits(): void } {
  const limiters = { reset: new RateLimiter(), query: new RateLimiter() };
  const spelling = new CodeSpelling();
  const route =
    (endpoint: ApiEndpoint, handler: Handler) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const limiter = endpoint === 'batchReset' ? limiters.reset : limiters.query;
      const { outcome, latencyMs, callNo } = decide(endpoint, handler, request, context, limiter, spelling);
      if (latencyMs > 0) {
        try {
          await sleep(latencyMs, undefined, { signal: context.closing });
        } catch {
          return destroy(request, reply);
        }
      }
      if (outcome.kind !== 'reply') return destroy(request, reply);
      send(reply, outcome.reply);
      context.model.calls.answered(callNo, Date.now());
    };

  app.post(
    '/v1/instances/batch-reset',
    route('batchReset', (request, now, draws) => context.model.batchReset(request.body, now, draws)),
  );
  app.get<{ Params: { taskId: string } }>(
    '/v1/instances/tasks/:taskId',
    route('getTask', (request, now) => ({
      reply: context.model.getTask((request.params as { taskId: string }).taskId, now),
    })),
  );
  app.get(
    '/v1/instances/batch-query',
    route('listInstances', (request, now) => ({ reply: context.model.listInstances(request.query, now) })),
  );
  app.post(
    '/v1/instances/batch-query-status',
    route('queryStatus', (request, now) => ({ reply: context.model.queryStatus(request.body, now) })),
  );
  return {
    clearLimits: () => {
      limiters.reset.clear();
      limiters.query.clear();
      spelling.clear();
    },
  };
}

/**
 * The gateway first (token, throttling), then transport faults, then the service: the order a
 * request meets them in the real deployment. Every request draws all its faults up front.
 */
function decide(
  endpoint: ApiEndpoint,
  handler: Handler,
  request: FastifyRequest,
  { model, tokens, injections }: ApiContext,
  limiter: RateLimiter,
  spelling: CodeSpelling,
): { outcome: Outcome; latencyMs: number; callNo: number } {
  const monotonicNow = performance.now();
  const now = Date.now();
  model.stats.recordCall(endpoint, monotonicNow);
  const draws = model.drawFaults();
  // The call log names the task a call touched: the one a task query asks for, or the one a
  // batch-reset opened (known once the service has handled it).
  let taskNo =
    endpoint === 'getTask' ? model.taskNoOf((request.params as { taskId?: string }).taskId ?? '') : -1;
  let ended = false;
  const outcome = (() => {
    // Stats count the canonical spelling, so runs with and without mixed case compare.
    const answer = (reply: Reply, respell = model.faults.mixedCaseCodes): Outcome => {
      const code = errorCodeOf(reply);
      if (code !== undefined) model.stats.recordErrorCode(code);
      return { kind: 'reply', reply: respell ? spelling.next(reply) : reply };
    };
    const requestId = header(request, 'x-request-id');
    const gatewayRequestId = requestId ?? randomUUID().replace(/-/g, '');
    const token = tokens.check(header(request, 'x-auth-token'), now);
    if (token === 'expired') {
      return answer(
        gatewayFailure(401, KOOPHONE_CODES.tokenExpired, 'The token must be updated', gatewayRequestId),
      );
    }
    if (token === 'invalid') {
      return answer(
        gatewayFailure(
          401,
          KOOPHONE_CODES.tokenInvalid,
          'Incorrect IAM authentication information: the X-Auth-Token is missing or invalid',
          gatewayRequestId,
        ),
      );
    }
    const limit = model.rateLimitFor(endpoint);
    if (!limiter.tryAcquire(limit, monotonicNow)) {
      model.stats.recordFault('throttled');
      const reply = gatewayFailure(
        429,
        KOOPHONE_CODES.throttled,
        `The throttling threshold has been reached: policy user over ratelimit,limit:${limit},time:1 second`,
        gatewayRequestId,
      );
      // The window is one second; the real gateway says nothing, so the header is opt-in.
      return answer(model.faults.retryAfter ? { ...reply, headers: { 'retry-after': '1' } } : reply);
    }
    const injected = injections.take(endpoint);
    if (injected !== undefined) {
      model.stats.recordFault('injected');
      // Verbatim: an injected code is spelled as the test wrote it.
      return answer({ status: injected.status, body: injected.body, headers: injected.headers }, false);
    }
    const transport = transportFault(draws, model);
    if (transport !== undefined) return transport.kind === 'reply' ? answer(transport.reply) : transport;
    if (requestId === undefined) {
      return answer(failure(200, KOOPHONE_CODES.missingRequestId, 'the x-request-id header is missing'));
    }
    if (endpoint === 'batchReset' && draws.http200Error) {
      model.stats.recordFault('http200Error');
      return answer(failure(200, KOOPHONE_CODES.backingUp, 'instance is being backed up'));
    }
    if (draws.malformed) {
      model.stats.recordFault('malformed');
      return answer({
        status: 200,
        body: MALFORMED_JSON,
        headers: { 'content-type': 'application/json;charset=UTF-8' },
      });
    }
    const result = handler(request, now, draws);
    if (result.taskNo !== undefined) taskNo = result.taskNo;
    if (endpoint === 'getTask' && taskNo >= 0) ended = model.taskEnded(taskNo, now);
    if (result.applied === true && draws.lostResponse) {
      model.stats.recordFault('lostResponse');
      return { kind: 'lose' } as const;
    }
    if (result.applied === true) {
      const applied = appliedAnswer(draws, model);
      if (applied !== undefined) return answer(applied);
    }
    return answer(result.reply);
  })();
  const callNo = model.calls.record(now, endpoint, request.socket.localPort ?? 0, taskNo, ended);
  return { outcome, latencyMs: draws.latencyMs, callNo };
}

function transportFault(draws: FaultDraws, model: SimulatorModel): Outcome | undefined {
  if (draws.drop) {
    model.stats.recordFault('drop');
    return { kind: 'drop' };
  }
  if (draws.fault5xx) {
    model.stats.recordFault('fault5xx');
    return {
      kind: 'reply',
      reply: { status: 502, body: BAD_GATEWAY_HTML, headers: { 'content-type': 'text/html' } },
    };
  }
  if (draws.fault9999) {
    model.stats.recordFault('fault9999');
    return { kind: 'reply', reply: failure(500, KOOPHONE_CODES.internalError, 'internal service error') };
  }
  return undefined;
}

/** The answer that follows a reset the service applied, when a fault replaces the acceptance. */
function appliedAnswer(draws: FaultDraws, model: SimulatorModel): Reply | undefined {
  if (draws.appliedBadGateway) {
    model.stats.recordFault('appliedBadGateway');
    return { status: 502, body: BAD_GATEWAY_HTML, headers: { 'content-type': 'text/html' } };
  }
  if (draws.applied9999) {
    model.stats.recordFault('applied9999');
    return failure(500, KOOPHONE_CODES.internalError, 'internal service error');
  }
  if (draws.applied9999Http200) {
    model.stats.recordFault('applied9999Http200');
    return failure(200, KOOPHONE_CODES.internalError, 'internal service error');
  }
  if (draws.appliedTruncated) {
    model.stats.recordFault('appliedTruncated');
    const headers = { 'content-type': 'application/json;charset=UTF-8' };
    return { status: 200, body: TRUNCATED_JSON, headers };
  }
  return undefined;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.length === 0 ? undefined : text;
}

function send(reply: FastifyReply, answer: Reply): void {
  reply.code(answer.status);
  for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
  if (typeof answer.body === 'string') {
    if (!reply.hasHeader('content-type')) reply.header('content-type', 'application/json;charset=UTF-8');
    void reply.send(answer.body);
    return;
  }
  void reply.header('content-type', 'application/json;charset=UTF-8').send(JSON.stringify(answer.body));
}

function destroy(request: FastifyRequest, reply: FastifyReply): void {
  reply.hijack();
  request.raw.socket.destroy();
}
