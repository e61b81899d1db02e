// Every row of the error table in koophone-api.md, produced by the simulator over real HTTP and
// read back through the real client.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  isConfigurationError,
  isInstanceRejection,
  KoophoneClient,
  StaticTokenProvider,
} from '../../src/koophone';
import { expectKoophoneError, rawRequest, sleep, useSimulator } from '../simulator/fixture';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

void describe('KooPhone error table through the client', () => {
  const fx = useSimulator({ instances: 2000 });
  beforeEach(() => fx.sim.reset());

  void it('200 "0": success carries the task and one job per instance', async () => {
    const ids = fx.ids(3);
    const result = await fx.client().batchReset(ids);
    assert.match(result.taskId, /^RM_[0-9a-f]{32}$/);
    assert.deepEqual(
      result.jobs.map((j) => j.instanceId),
      ids,
    );
    assert.match(result.requestId, UUID);
  });

  void it('400 KOOPHONE.API.1000: invalid parameters (unknown task) is non-retryable and names the call', async () => {
    const error = await expectKoophoneError(fx.client().getTask('RM_00000000000000000000000000000000'), {
      code: 'KOOPHONE.API.1000',
      httpStatus: 400,
      errorClass: 'non_retryable',
    });
    assert.match(error.message, /GET \/v1\/instances\/tasks\/RM_0+ failed with KOOPHONE\.API\.1000/);
    assert.match(error.requestId ?? '', UUID);
    assert.ok(error.message.includes(error.requestId ?? '?'), 'the request id is in the message');
  });

  void it('401 KOOPHONE.API.1001: no permission is non-retryable, not an auth retry', async () => {
    const ids = fx.ids(4);
    fx.sim.setInstance(ids[2]!, { denied: true });
    const error = await expectKoophoneError(fx.client().batchReset(ids), {
      code: 'KOOPHONE.API.1001',
      httpStatus: 401,
      errorClass: 'non_retryable',
    });
    assert.ok(isInstanceRejection(error.code));
    assert.equal(fx.sim.stats().calls.batchReset, 1, 'a KooPhone 401 is not retried with a new token');
    assert.equal(fx.sim.instance(ids[0]!)?.resets, 0);
  });

  void it('500 KOOPHONE.API.9999: internal error is retryable and nothing is reset', async () => {
    fx.sim.setFaults({ fault9999Rate: 1 });
    const ids = fx.ids(2);
    await expectKoophoneError(fx.client().batchReset(ids), {
      code: 'KOOPHONE.API.9999',
      httpStatus: 500,
      errorClass: 'retryable',
    });
    assert.equal(fx.sim.stats().resets.total, 0);
    assert.equal(fx.sim.stats().faults.fault9999, 1);
  });

  for (const [code, meaning] of [
    ['KOOPHONE.API.0000', 'tenant does not exist'],
    ['KOOPHONE.API.1004', 'service not subscribed'],
  ] as const) {
    void it(`200 ${code}: ${meaning} is a configuration error`, async () => {
      fx.sim.inject({ status: 200, body: { error_code: code, error_msg: meaning } });
      const error = await expectKoophoneError(fx.client().batchReset(fx.ids(1)), {
        code,
        httpStatus: 200,
        errorClass: 'non_retryable',
      });
      assert.ok(isConfigurationError(error.code));
      assert.ok(!isInstanceRejection(error.code));
      assert.match(error.message, new RegExp(meaning));
    });
  }

  void it('200 KOOPHONE.API.0002: a missing x-request-id is refused with HTTP 200', async () => {
    const raw = await rawRequest(fx.sim, 'POST', '/v1/instances/batch-reset', {
      body: JSON.stringify({ instance_ids: fx.ids(1) }),
      requestId: null,
    });
    assert.equal(raw.status, 200);
    assert.equal((raw.json as { error_code: string }).error_code, 'KOOPHONE.API.0002');
    // The client reads the same answer (here through a fetch that loses the header) as a configuration error.
    const stripping: typeof fetch = (input, init) => {
      const headers = { ...(init?.headers as Record<string, string>) };
      delete headers['x-request-id'];
      return fetch(input, { ...init, headers });
    };
    const error = await expectKoophoneError(fx.client({ fetch: stripping }).batchReset(fx.ids(1)), {
      code: 'KOOPHONE.API.0002',
      httpStatus: 200,
      errorClass: 'non_retryable',
    });
    assert.ok(isConfigurationError(error.code));
    assert.equal(fx.sim.stats().resets.total, 0);
  });

  void it('200 KOOPHONE.API.1012: an id outside the tenant refuses the whole call', async () => {
    const ids = [...fx.ids(3), 'zz9notme'];
    const error = await expectKoophoneError(fx.client().batchReset(ids), {
      code: 'KOOPHONE.API.1012',
      httpStatus: 200,
      errorClass: 'non_retryable',
    });
    assert.ok(isInstanceRejection(error.code));
    assert.match(error.message, /zz9notme/);
    assert.equal(fx.sim.stats().resets.total, 0);
  });

  void it('200 KOOPHONE.API.2004: a frozen instance refuses the call; non-retryable, an instance rejection', async () => {
    const ids = fx.ids(5, 10);
    fx.sim.setInstance(ids[3]!, { frozen: true });
    const error = await expectKoophoneError(fx.client().batchReset(ids), {
      code: 'KOOPHONE.API.2004',
      httpStatus: 200,
      errorClass: 'non_retryable',
    });
    assert.ok(isInstanceRejection(error.code));
    assert.equal(fx.sim.stats().resets.total, 0);
    await fx.client().batchReset(ids.filter((_, i) => i !== 3));
    assert.equal(fx.sim.stats().resets.total, 4);
  });

  void it('200 KOOPHONE.API.2005: recovery is transient and ends', async () => {
    const ids = fx.ids(2, 20);
    fx.sim.setInstance(ids[1]!, { recoveringForMs: 150 });
    const error = await expectKoophoneError(fx.client().batchReset(ids), {
      code: 'KOOPHONE.API.2005',
      httpStatus: 200,
      errorClass: 'transient_instance',
    });
    assert.ok(!isInstanceRejection(error.code));
    await sleep(200);
    const result = await fx.client().batchReset(ids);
    assert.equal(result.jobs.length, 2);
  });

  void it('200 KOOPHONE.API.2006: backup is transient, from an instance or an injected HTTP-200 error', async () => {
    const ids = fx.ids(2, 30);
    fx.sim.setInstance(ids[0]!, { backingUpForMs: 10_000 });
    await expectKoophoneError(fx.client().batchReset(ids), {
      code: 'KOOPHONE.API.2006',
      errorClass: 'transient_instance',
    });
    fx.sim.setInstance(ids[0]!, { backingUpForMs: 0 });
    fx.sim.setFaults({ http200ErrorRate: 1 });
    await expectKoophoneError(fx.client().batchReset(ids), {
      code: 'KOOPHONE.API.2006',
      httpStatus: 200,
      errorClass: 'transient_instance',
    });
    assert.equal(fx.sim.stats().resets.total, 0, 'an HTTP-200 error applies nothing');
    assert.equal(fx.sim.stats().faults.http200Error, 1);
  });

  void it('429 APIGW.0308 without Retry-After (the real gateway): throttled, no wait invented', async () => {
    fx.sim.setFaults({ rateLimit: 1 });
    const client = fx.client();
    await client.batchReset(fx.ids(1, 30));
    const error = await expectKoophoneError(client.batchReset(fx.ids(1, 31)), {
      code: 'APIGW.0308',
      httpStatus: 429,
      errorClass: 'throttled',
    });
    assert.equal(error.retryAfterMs, undefined);
  });

  void it('429 APIGW.0308: throttling carries Retry-After as retryAfterMs', async () => {
    fx.sim.setFaults({ rateLimit: 1, retryAfter: true });
    const client = fx.client();
    await client.batchReset(fx.ids(1, 40));
    const error = await expectKoophoneError(client.batchReset(fx.ids(1, 41)), {
      code: 'APIGW.0308',
      httpStatus: 429,
      errorClass: 'throttled',
    });
    assert.equal(error.retryAfterMs, 1000);
    assert.match(
      error.message,
      /throttling threshold has been reached: policy user over ratelimit,limit:1,time:1 second/,
    );
    assert.equal(fx.sim.instance(fx.ids(1, 41)[0]!)?.resets, 0);
  });

  void it('429 with an HTTP-date Retry-After is converted to milliseconds', async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    fx.sim.inject({
      status: 429,
      body: { error_code: 'APIGW.0308', error_msg: 'throttled' },
      headers: { 'retry-after': at },
    });
    const error = await expectKoophoneError(fx.client().queryStatus(fx.ids(1)), { errorClass: 'throttled' });
    assert.ok(
      error.retryAfterMs !== undefined && error.retryAfterMs > 25_000 && error.retryAfterMs <= 30_000,
    );
  });

  void it('401 APIGW.0301: a refused static token is retried exactly once, then reported as auth', async () => {
    const secret = 'tenant-token-that-must-not-leak';
    const client = new KoophoneClient({
      endpoint: fx.sim.url,
      tokenProvider: new StaticTokenProvider(secret),
    });
    const error = await expectKoophoneError(client.batchReset(fx.ids(1)), {
      code: 'APIGW.0301',
      httpStatus: 401,
      errorClass: 'auth',
    });
    assert.equal(fx.sim.stats().calls.batchReset, 2, 'one call plus one retry');
    for (const printed of [
      error.message,
      error.stack ?? '',
      JSON.stringify(error),
      inspect(error, { depth: 5 }),
    ]) {
      assert.ok(!printed.includes(secret), 'the token never appears in the error');
    }
  });

  void it('5xx without an envelope becomes HTTP_<status>, retryable', async () => {
    fx.sim.setFaults({ fault5xxRate: 1 });
    const error = await expectKoophoneError(fx.client().getTask('RM_x'), {
      code: 'HTTP_502',
      httpStatus: 502,
      errorClass: 'retryable',
    });
    assert.match(error.message, /502 Bad Gateway/);
  });

  void it('a slow response becomes TIMEOUT (retryable) at the client timeout', async () => {
    fx.sim.setFaults({ latencyMs: 400 });
    const started = Date.now();
    const error = await expectKoophoneError(fx.client({ timeoutMs: 60 }).queryStatus(fx.ids(1)), {
      code: 'TIMEOUT',
      errorClass: 'retryable',
    });
    assert.ok(Date.now() - started < 350, 'gave up at the timeout, not at the response');
    assert.match(error.message, /no complete response within 60 ms/);
    assert.equal(error.httpStatus, undefined);
  });

  void it('a caller abort is a cancellation, not a TIMEOUT', async () => {
    fx.sim.setFaults({ latencyMs: 400 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 40);
    await assert.rejects(
      fx.client().queryStatus(fx.ids(1), { signal: controller.signal }),
      (error: Error) => {
        assert.equal(error.name, 'AbortError');
        assert.ok(!('code' in error && error.code === 'TIMEOUT'));
        return true;
      },
    );
  });

  void it('a dropped connection becomes NETWORK (retryable) and nothing is reset', async () => {
    fx.sim.setFaults({ dropRate: 1 });
    const ids = fx.ids(3, 50);
    const error = await expectKoophoneError(fx.client().batchReset(ids), {
      code: 'NETWORK',
      errorClass: 'retryable',
    });
    assert.match(error.message, /connection failed/);
    assert.equal(fx.sim.stats().resets.total, 0);
    assert.equal(fx.sim.stats().faults.drop, 1);
  });

  void it('a lost response is NETWORK too, but the reset was applied and is counted', async () => {
    fx.sim.setFaults({ lostResponseRate: 1 });
    const ids = fx.ids(3, 60);
    await expectKoophoneError(fx.client().batchReset(ids), { code: 'NETWORK', errorClass: 'retryable' });
    fx.sim.setFaults({ lostResponseRate: 0 });
    await fx.client().batchReset(ids);
    for (const id of ids)
      assert.equal(fx.sim.instance(id)?.resets, 2, 'the lost reset and the resend both count');
    const stats = fx.sim.stats();
    assert.equal(stats.faults.lostResponse, 1);
    assert.deepEqual(stats.resets, { total: 6, instances: 3, max: 2, histogram: { '2': 3 } });
  });

  void it('malformed JSON with HTTP 200 becomes BAD_RESPONSE (retryable)', async () => {
    fx.sim.setFaults({ malformedRate: 1 });
    const error = await expectKoophoneError(fx.client().batchReset(fx.ids(1)), {
      code: 'BAD_RESPONSE',
      httpStatus: 200,
      errorClass: 'retryable',
    });
    assert.match(error.message, /body is not JSON/);
    assert.equal(fx.sim.stats().resets.total, 0);
  });

  void it('a body that breaks the documented shape becomes BAD_RESPONSE naming the field', async () => {
    fx.sim.inject({
      endpoint: 'batchReset',
      status: 200,
      body: {
        error_code: '0',
        error_msg: 'ok',
        data: { task_id: 'RM_1', cmd_jobs: [{ instance_id: 'a', job_id: 7 }] },
      },
    });
    const error = await expectKoophoneError(fx.client().batchReset(fx.ids(1)), { code: 'BAD_RESPONSE' });
    assert.match(error.message, /data\.cmd_jobs\[0\]\.job_id/);
    assert.deepEqual(error.issues?.[0]?.path, ['data', 'cmd_jobs', 0, 'job_id']);
  });

  void it('unknown codes are kept verbatim: non-retryable, unless the status is 5xx', async () => {
    fx.sim.inject({ status: 200, body: { error_code: 'KOOPHONE.API.7777', error_msg: 'something new' } });
    const plain = await expectKoophoneError(fx.client().batchReset(fx.ids(1)), {
      code: 'KOOPHONE.API.7777',
      errorClass: 'non_retryable',
    });
    assert.ok(isInstanceRejection(plain.code, plain.httpStatus), 'bisected like any whole-call refusal');
    fx.sim.inject({ status: 503, body: { error_code: 'KOOPHONE.API.7778', error_msg: 'busy' } });
    await expectKoophoneError(fx.client().batchReset(fx.ids(1)), {
      code: 'KOOPHONE.API.7778',
      httpStatus: 503,
      errorClass: 'retryable',
    });
  });
});

void describe('gateway limits', () => {
  const fx = useSimulator({ instances: 500, bodyLimitBytes: 1024 });

  void it('413 APIGW.0201: a body over the gateway limit is refused as sent, a rejection to split', async () => {
    const error = await expectKoophoneError(fx.client().batchReset(fx.ids(100)), {
      code: 'APIGW.0201',
      httpStatus: 413,
      errorClass: 'non_retryable',
    });
    assert.ok(isInstanceRejection(error.code, error.httpStatus), 'halves are smaller bodies');
    assert.equal(fx.sim.stats().resets.total, 0);
    const half = await fx.client().batchReset(fx.ids(50));
    assert.equal(half.jobs.length, 50);
  });
});

void describe('regions', () => {
  const fx = useSimulator({ instances: 500, regions: 2 });

  void it('400 KOOPHONE.API.1002: instances from two regions in one call', async () => {
    const ids = fx.ids(40);
    const regionOf = (id: string): string => fx.sim.instance(id)?.region ?? '?';
    const first = ids.find((id) => regionOf(id) === 'cn-north-4');
    const second = ids.find((id) => regionOf(id) === 'cn-east-3');
    assert.ok(first && second, 'both regions are present among 40 instances');
    const error = await expectKoophoneError(fx.client().batchReset([first, second]), {
      code: 'KOOPHONE.API.1002',
      httpStatus: 400,
      errorClass: 'non_retryable',
    });
    assert.ok(isInstanceRejection(error.code));
    const sameRegion = ids.filter((id) => regionOf(id) === 'cn-east-3');
    const result = await fx.client().batchReset(sameRegion);
    assert.equal(result.jobs.length, sameRegion.length);
  });
});
