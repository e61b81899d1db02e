import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { formatIssues } from '../koophone/issues';
import { API_ENDPOINTS } from './endpoints';
import type { InjectionQueue } from './faults';
import type { InstanceView, SimulatorModel } from './model';
import { parseSimulatorFaults } from './options';
import type { TokenRegistry } from './tokens';

export const instancePatchSchema = z
  .object({
    frozen: z.boolean().optional(),
    denied: z.boolean().optional(),
    recoveringForMs: z.number().int().min(0).optional(),
    backingUpForMs: z.number().int().min(0).optional(),
    loggedIn: z.boolean().optional(),
    assignUser: z.string().min(1).max(64).nullable().optional(),
    pool: z.string().min(1).max(64).optional(),
    /** The instance's next reset job fails with this code and text (any text: tests of what shows it). */
    failNextJob: z
      .object({
        code: z.string().max(1000),
        message: z.string().max(10_000),
        executeMsg: z.string().max(10_000).default(''),
      })
      .strict()
      .nullable()
      .optional(),
  })
  .strict();

export const injectedResponseSchema = z
  .object({
    endpoint: z.enum(API_ENDPOINTS).optional(),
    status: z.number().int().min(100).max(599),
    body: z.unknown(),
    headers: z.record(z.string(), z.string()).optional(),
    times: z.number().int().min(1).optional(),
  })
  .strict();

const idsQuerySchema = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(100_000).default(1000),
});

const callsQuerySchema = z.object({
  since: z.coerce.number().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(100_000).default(10_000),
});

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The admin JSON of one instance: snake_case, like the API it sits next to. */
export function instanceJson(view: InstanceView): Record<string, unknown> {
  return {
    instance_id: view.instanceId,
    index: view.index,
    instance_name: view.instanceName,
    region: view.region,
    pool_name: view.poolName,
    logged_in: view.loggedIn,
    assign_user: view.assignUser,
    resets: view.resets,
    status: view.status,
    frozen: view.frozen,
    denied: view.denied,
    recovering_until: iso(view.recoveringUntil),
    backing_up_until: iso(view.backingUpUntil),
    last_job_id: view.lastJobId,
    last_job_status: view.lastJobStatus,
  };
}

export interface AdminContext {
  model: SimulatorModel;
  tokens: TokenRegistry;
  injections: InjectionQueue;
  /** Back to the start state (model, rate windows, injections). */
  reset(): void;
}

/** Test and operator controls; no auth, like any local test double. */
export function registerAdminRoutes(app: FastifyInstance, context: AdminContext): void {
  const { model } = context;
  const parseJson = (body: unknown): unknown => {
    if (typeof body !== 'string' || body.trim() === '') return {};
    return JSON.parse(body);
  };
  const badRequest = (message: string) => ({ error: message });

  app.get('/__sim/stats', async () => model.stats.snapshot(model.fleet, model.jobs, Date.now()));

  // Per endpoint: calls in each calendar second, the most in one, and the most in any sliding second.
  app.get('/__sim/timeline', async () => model.timeline());

  // Recent calls, oldest first: when, which endpoint, which door (local port), which task.
  app.get('/__sim/calls', async (request, reply) => {
    const query = callsQuerySchema.safeParse(request.query);
    if (!query.success)
      return reply.code(400).send(badRequest(`invalid calls query: ${formatIssues(query.error.issues)}`));
    return { calls: model.loggedCalls(query.data.since, query.data.limit), dropped: model.calls.dropped };
  });

  // Requests at the IAM endpoint, oldest first: when, which door, granted or not.
  app.get('/__sim/sign-ins', async () => ({ signIns: model.signIns() }));

  app.get<{ Params: { id: string } }>('/__sim/instances/:id', async (request, reply) => {
    const index = model.fleet.indexOf(request.params.id);
    if (index < 0)
      return reply.code(404).send(badRequest(`unknown instance id ${JSON.stringify(request.params.id)}`));
    return instanceJson(model.instanceView(index, Date.now()));
  });

  app.post<{ Params: { id: string } }>('/__sim/instances/:id', async (request, reply) => {
    const index = model.fleet.indexOf(request.params.id);
    if (index < 0)
      return reply.code(404).send(badRequest(`unknown instance id ${JSON.stringify(request.params.id)}`));
    const patch = instancePatchSchema.safeParse(parseJson(request.body));
    if (!patch.success)
      return reply.code(400).send(badRequest(`invalid instance patch: ${formatIssues(patch.error.issues)}`));
    return instanceJson(model.setInstance(index, patch.data, Date.now()));
  });

  app.get('/__sim/ids', async (request, reply) => {
    const query = idsQuerySchema.safeParse(request.query);
    if (!query.success)
      return reply.code(400).send(badRequest(`invalid ids query: ${formatIssues(query.error.issues)}`));
    const { offset, limit } = query.data;
    const end = Math.min(model.fleet.size, offset + limit);
    const ids: string[] = [];
    for (let i = offset; i < end; i += 1) ids.push(model.fleet.idAt(i));
    return { total: model.fleet.size, offset, ids };
  });

  // Per pool: its size, the phones with a reset job running at the last sample, and the peak.
  app.get('/__sim/pools', async () => model.poolSamples());

  app.get('/__sim/faults', async () => model.faults);

  app.post('/__sim/faults', async (request, reply) => {
    try {
      const body = parseJson(request.body);
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new Error('expected a JSON object');
      return model.setFaults(parseSimulatorFaults(body as Record<string, unknown>));
    } catch (error) {
      return reply.code(400).send(badRequest(error instanceof Error ? error.message : String(error)));
    }
  });

  app.post('/__sim/inject', async (request, reply) => {
    const parsed = injectedResponseSchema.safeParse(parseJson(request.body));
    if (!parsed.success)
      return reply.code(400).send(badRequest(`invalid injection: ${formatIssues(parsed.error.issues)}`));
    context.injections.push(parsed.data);
    return { ok: true };
  });

  app.post('/__sim/tokens/revoke', async () => {
    context.tokens.revokeIssued();
    return { ok: true };
  });

  app.post('/__sim/tokens/expire', async () => {
    context.tokens.expireIssued(Date.now());
    return { ok: true };
  });

  app.post('/__sim/reset', async () => {
    context.reset();
    return { ok: true };
  });
}
