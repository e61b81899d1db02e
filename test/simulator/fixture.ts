import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { KoophoneClient, KoophoneError, StaticTokenProvider } from '../../src/koophone';
import type { KoophoneClientOptions } from '../../src/koophone';
import { startSimulator } from '../../src/simulator';
import type { RunningSimulator, SimulatorOptionsInput } from '../../src/simulator';

export interface SimulatorFixture {
  readonly sim: RunningSimulator;
  /** A client on the simulator with the static token (overridable). */
  client(options?: Partial<KoophoneClientOptions>): KoophoneClient;
  ids(count: number, offset?: number): string[];
}

/** One real simulator on a random port for the whole test file. */
export function useSimulator(options: SimulatorOptionsInput = {}): SimulatorFixture {
  let sim: RunningSimulator | undefined;
  before(async () => {
    sim = await startSimulator({ port: 0, instances: 1000, jobDurationMs: '50..100', ...options });
  });
  after(async () => {
    await sim?.close();
  });
  const running = (): RunningSimulator => {
    assert.ok(sim, 'simulator not started');
    return sim;
  };
  return {
    get sim() {
      return running();
    },
    client: (overrides = {}) =>
      new KoophoneClient({
        endpoint: running().url,
        tokenProvider: new StaticTokenProvider(running().options.token),
        timeoutMs: 5000,
        ...overrides,
      }),
    ids: (count, offset = 0) => running().fleet.ids(offset, count),
  };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** A request the client would never send (bad bodies, missing headers). */
export async function rawRequest(
  sim: RunningSimulator,
  method: string,
  path: string,
  init: {
    headers?: Record<string, string>;
    body?: string;
    token?: string | null;
    requestId?: string | null;
  } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
  const token = init.token === undefined ? sim.options.token : init.token;
  const requestId = init.requestId === undefined ? 'raw-request' : init.requestId;
  if (token !== null) headers['x-auth-token'] = token;
  if (requestId !== null) headers['x-request-id'] = requestId;
  const response = await fetch(`${sim.url}${path}`, { method, headers, body: init.body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Awaits a rejection that must be a KoophoneError with the expected fields; returns it for more checks. */
export async function expectKoophoneError(
  promise: Promise<unknown>,
  expected: Partial<Pick<KoophoneError, 'code' | 'errorClass' | 'httpStatus'>>,
): Promise<KoophoneError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof KoophoneError, `expected a KoophoneError, got ${String(caught)}`);
  for (const [key, value] of Object.entries(expected)) {
    assert.equal(caught[key as keyof KoophoneError], value, `${key} of: ${caught.message}`);
  }
  return caught;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}
