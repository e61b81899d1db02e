import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import Fastify from 'fastify';
import type { FastifyError } from 'fastify';
import { KOOPHONE_CODES } from '../koophone/errors';
import { InjectionQueue } from './faults';
import type { InjectedResponse } from './faults';
import { registerAdminRoutes } from './http-admin';
import { registerApiRoutes } from './http-api';
import { registerIamRoutes } from './http-iam';
import { POOL_SAMPLE_MS, SimulatorModel } from './model';
import type { CurrentFaults, IamSignIn, InstancePatch, InstanceView, PoolSamples } from './model';
import { DEFAULT_SIM_TOKEN, simulatorOptionsSchema } from './options';
import type { SimulatorFaultsInput, SimulatorOptions, SimulatorOptionsInput } from './options';
import { instancePatchSchema } from './http-admin';
import type { SimulatorCall, SimulatorTimeline } from './call-log';
import type { SimulatorStats } from './stats';
import { TokenRegistry } from './tokens';

export interface FleetView {
  size: number;
  seed: number;
  /** The id of the index-th instance (0-based), stable for a seed. */
  idAt(index: number): string;
  /** -1 when the id is not in the fleet. */
  indexOf(id: string): number;
  /** `limit` ids from `offset`, in index order. */
  ids(offset: number, limit: number): string[];
}

export interface RunningSimulator {
  /** `http://127.0.0.1:PORT`, the client's endpoint and the IAM endpoint. */
  url: string;
  port: number;
  options: SimulatorOptions;
  fleet: FleetView;
  close(): Promise<void>;
  stats(): SimulatorStats;
  /** Per endpoint: calls in each calendar second that saw one, the most in one, the most in a sliding second. */
  timeline(): SimulatorTimeline;
  /** Recent calls from `since` (epoch ms), oldest first (bounded journal; see src/simulator/call-log.ts). */
  calls(since?: number): SimulatorCall[];
  /** Requests at the IAM endpoint from `since` (epoch ms), oldest first: when, through which door, granted or not. */
  signIns(since?: number): IamSignIn[];
  /** Instance ids whose jobs a task holds ([] for an unknown task id). */
  instancesOfTask(taskId: string): string[];
  /**
   * Another port onto the same simulator: calls that come through it are logged with its port as
   * their `door`, so a benchmark can tell its clients apart (e.g. one door per worker process).
   */
  openDoor(): Promise<{ url: string; port: number }>;
  /** Per pool: size, phones with a reset job running (sampled every POOL_SAMPLE_MS) and the peak. */
  pools(): PoolSamples;
  faults(): CurrentFaults;
  /** Changes runtime faults (rates, latency, job durations, rate limits); validated, partial. */
  setFaults(partial: SimulatorFaultsInput): CurrentFaults;
  /** Clears counts, jobs, stats, injections and faults back to the start options. */
  reset(): void;
  instance(id: string): InstanceView | undefined;
  /** Throws on an unknown id or a bad patch. */
  setInstance(id: string, patch: InstancePatch): InstanceView;
  /** The next matching API call gets this answer (nothing is applied). */
  inject(response: InjectedResponse): void;
  /** IAM-issued tokens stop working (the static token keeps working). */
  revokeTokens(): void;
  /** IAM-issued tokens lapse now: calls with them get 401 APIGW.0307 until the client renews. */
  expireTokens(): void;
}

/** The one thing the simulator logs: where it listens. pino's logger fits. */
export interface SimulatorLogger {
  info(object: Record<string, unknown>, message: string): void;
}

export async function startSimulator(
  input: SimulatorOptionsInput = {},
  deps: { logger?: SimulatorLogger } = {},
): Promise<RunningSimulator> {
  const options = simulatorOptionsSchema.parse(input);
  const model = new SimulatorModel(options, Date.now());
  const tokens = new TokenRegistry(options.token, options.iamTokenTtlMs);
  const injections = new InjectionQueue();
  const closing = new AbortController();

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: options.bodyLimitBytes });
  // Bodies reach handlers as text: the service's own checks decide what invalid JSON gets (400 1000).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // Admin requests fail on their input (bad JSON included); API requests keep the service's envelope.
    if (request.url.startsWith('/__sim/')) return reply.code(400).send({ error: error.message });
    if (error.statusCode === 413) {
      // The gateway refuses it before KooPhone sees it, as Huawei's APIG does.
      return reply.code(413).send({
        error_code: KOOPHONE_CODES.requestTooLarge,
        error_msg: `Request entity too large: the body is over ${options.bodyLimitBytes} bytes`,
        request_id: randomUUID().replace(/-/g, ''),
      });
    }
    const status = error.statusCode !== undefined && error.statusCode < 500 ? 400 : 500;
    const code = status === 400 ? KOOPHONE_CODES.invalidParameters : KOOPHONE_CODES.internalError;
    return reply.code(status).send({ error_code: code, error_msg: error.message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error_code: 'APIGW.0101',
      error_msg: `The API does not exist or has not been published in the environment: ${request.method} ${request.url}`,
    }),
  );

  const api = registerApiRoutes(app, { model, tokens, injections, closing: closing.signal });
  const sampler = setInterval(() => model.samplePools(Date.now()), POOL_SAMPLE_MS);
  sampler.unref();
  closing.signal.addEventListener('abort', () => clearInterval(sampler), { once: true });
  const reset = (): void => {
    model.reset(Date.now());
    api.clearLimits();
    injections.clear();
  };
  registerIamRoutes(app, { model, tokens });
  registerAdminRoutes(app, { model, tokens, injections, reset });

  await app.listen({ port: options.port, host: options.host });
  const address = app.server.address();
  if (address === null || typeof address === 'string')
    throw new Error('simulator: no TCP address after listen');
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${host}:${address.port}`;
  // docs/schemas/simulator-started.schema.json (`simulator --json`); the token is never logged.
  deps.logger?.info(
    {
      url,
      port: address.port,
      instances: options.instances,
      seed: options.seed,
      defaultToken: options.token === DEFAULT_SIM_TOKEN,
      admin: { stats: `${url}/__sim/stats`, faults: `${url}/__sim/faults` },
    },
    `KooPhone simulator listening on ${url}`,
  );

  const indexOf = (id: string): number => model.fleet.indexOf(id);
  const doors: Server[] = [];
  const openDoor = async (): Promise<{ url: string; port: number }> => {
    // The door hands its connections to the simulator's own HTTP server, so they are served and
    // force-closed like any other; only their local port differs.
    const door = createServer((socket) => app.server.emit('connection', socket));
    door.listen(0, options.host);
    await once(door, 'listening');
    doors.push(door);
    const port = (door.address() as { port: number }).port;
    return { url: `http://${host}:${port}`, port };
  };
  return {
    url,
    port: address.port,
    options,
    fleet: {
      size: model.fleet.size,
      seed: model.fleet.seed,
      idAt: (index) => model.fleet.idAt(index),
      indexOf,
      ids: (offset, limit) => {
        const end = Math.min(model.fleet.size, offset + limit);
        return Array.from({ length: Math.max(0, end - offset) }, (_, i) => model.fleet.idAt(offset + i));
      },
    },
    close: async () => {
      closing.abort();
      for (const door of doors) door.close();
      await app.close();
    },
    stats: () => model.stats.snapshot(model.fleet, model.jobs, Date.now()),
    timeline: () => model.timeline(),
    calls: (since) => model.loggedCalls(since),
    signIns: (since) => model.signIns(since),
    instancesOfTask: (taskId) => {
      const taskNo = model.taskNoOf(taskId);
      return taskNo < 0 ? [] : model.instancesOfTask(taskNo);
    },
    openDoor,
    pools: () => model.poolSamples(),
    faults: () => model.faults,
    setFaults: (partial) => model.setFaults(partial),
    reset,
    instance: (id) => {
      const index = indexOf(id);
      return index < 0 ? undefined : model.instanceView(index, Date.now());
    },
    setInstance: (id, patch) => {
      const index = indexOf(id);
      if (index < 0) throw new Error(`simulator: unknown instance id ${JSON.stringify(id)}`);
      return model.setInstance(index, instancePatchSchema.parse(patch), Date.now());
    },
    inject: (response) => injections.push(response),
    revokeTokens: () => tokens.revokeIssued(),
    expireTokens: () => tokens.expireIssued(Date.now()),
  };
}
