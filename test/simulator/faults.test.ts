import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import { KoophoneClient, KoophoneError, StaticTokenProvider } from '../../src/koophone';
import { startSimulator } from '../../src/simulator';
import type { RunningSimulator, SimulatorOptionsInput } from '../../src/simulator';
import { expectKoophoneError, rawRequest, sleep, useSimulator } from './fixture';

void describe('fault injection is deterministic under a seed', () => {
  const sims: RunningSimulator[] = [];
  after(async () => {
    await Promise.all(sims.map((s) => s.close()));
  });

  const chaos: SimulatorOptionsInput = {
    port: 0,
    instances: 5000,
    jobDurationMs: '0..0',
    jobFailureRate: 0.3,
    fault9999Rate: 0.15,
    fault5xxRate: 0.1,
    dropRate: 0.1,
    lostResponseRate: 0.1,
    http200ErrorRate: 0.1,
    malformedRate: 0.1,
  };

  /** The same request sequence; what each call saw, and the simulator's own account. */
  async function run(seed: number): Promise<{ outcomes: string[]; taskIds: string[]; stats: unknown }> {
    const sim = await startSimulator({ ...chaos, seed });
    sims.push(sim);
    const client = new KoophoneClient({
      endpoint: sim.url,
      tokenProvider: new StaticTokenProvider('sim-token'),
    });
    const outcomes: string[] = [];
    const taskIds: string[] = [];
    for (let n = 0; n < 60; n += 1) {
      try {
        const result = await client.batchReset(sim.fleet.ids(n * 10, 10));
        const task = await client.getTask(result.taskId);
        taskIds.push(result.taskId, ...task.jobs.map((j) => j.jobId));
        // Ids differ per process (below); everything else is the seed's.
        outcomes.push(`ok ${task.jobs.map((j) => j.status).join(',')}`);
      } catch (error) {
        outcomes.push(error instanceof KoophoneError ? error.code : String(error));
      }
    }
    const { calls, faults, resets, jobs } = sim.stats();
    return { outcomes, taskIds, stats: { calls, faults, resets, jobs } };
  }

  void it('same seed, same requests: same faults and job outcomes, but new task and job ids; another seed differs', async () => {
    const first = await run(42);
    const second = await run(42);
    const other = await run(43);
    assert.deepEqual(second.outcomes, first.outcomes);
    assert.deepEqual(second.stats, first.stats);
    // A restarted simulator must not hand out a task id a client may still be tracking.
    const reused = second.taskIds.filter((id) => first.taskIds.includes(id));
    assert.ok(first.taskIds.length > 20, `enough ids to compare: ${first.taskIds.length}`);
    assert.deepEqual(reused, [], 'no task or job id repeats across simulator processes');
    assert.notDeepEqual(other.outcomes, first.outcomes);
    const kinds = new Set(first.outcomes.map((o) => o.split(' ')[0]));
    for (const kind of [
      'ok',
      'KOOPHONE.API.9999',
      'HTTP_502',
      'NETWORK',
      'BAD_RESPONSE',
      'KOOPHONE.API.2006',
    ]) {
      assert.ok(kinds.has(kind), `the mix includes ${kind}: ${[...kinds].join(' ')}`);
    }
  });
});

void describe('faults, rate limits and counters', () => {
  const fx = useSimulator({ instances: 1000, jobDurationMs: '0..0' });
  beforeEach(() => fx.sim.reset());

  void it('the read endpoints get transport faults too', async () => {
    const client = fx.client();
    const { taskId } = await client.batchReset(fx.ids(1));
    const expectations = [
      ['dropRate', 'NETWORK'],
      ['fault5xxRate', 'HTTP_502'],
      ['fault9999Rate', 'KOOPHONE.API.9999'],
      ['malformedRate', 'BAD_RESPONSE'],
    ] as const;
    for (const [fault, code] of expectations) {
      fx.sim.setFaults({ [fault]: 1 });
      await expectKoophoneError(client.getTask(taskId), { code });
      await expectKoophoneError(client.listInstances({ pageNo: 1, pageSize: 5 }), { code });
      await expectKoophoneError(client.queryStatus(fx.ids(1)), { code });
      fx.sim.setFaults({ [fault]: 0 });
    }
    const faults = fx.sim.stats().faults;
    assert.deepEqual([faults.drop, faults.fault5xx, faults.fault9999, faults.malformed], [3, 3, 3, 3]);
  });

  void it('rate limit: the (limit+1)-th batch-reset in a second gets 429, with Retry-After: 1 only when asked', async () => {
    fx.sim.setFaults({ rateLimit: 3, retryAfter: true });
    const send = (n: number) =>
      rawRequest(fx.sim, 'POST', '/v1/instances/batch-reset', {
        body: JSON.stringify({ instance_ids: fx.ids(1, n) }),
      });
    const responses = await Promise.all([0, 1, 2, 3, 4].map(send));
    const statuses = responses.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const throttled = responses.find((r) => r.status === 429);
    assert.equal(throttled?.headers.get('retry-after'), '1');
    assert.equal((throttled?.json as { error_code: string }).error_code, 'APIGW.0308');
    let stats = fx.sim.stats();
    assert.equal(stats.faults.throttled, 2);
    assert.equal(stats.resets.total, 3, 'throttled calls apply nothing');
    assert.equal(stats.peakRequestsPerSecond, 5, 'the peak counts every request received');
    // Other endpoints are limited separately.
    assert.equal(
      (
        await rawRequest(fx.sim, 'POST', '/v1/instances/batch-query-status', {
          body: JSON.stringify({ instance_ids: fx.ids(1) }),
        })
      ).status,
      200,
    );
    await sleep(1050);
    assert.equal((await send(10)).status, 200, 'the window slides');
    fx.sim.setFaults({ retryAfter: false });
    const quiet = (await Promise.all([20, 21, 22, 23].map(send))).find((r) => r.status === 429);
    assert.ok(quiet, 'one of four calls in a second over a limit of 3 is throttled');
    assert.equal(quiet.headers.get('retry-after'), null, 'the real gateway sends no Retry-After');
    stats = fx.sim.stats();
    assert.equal(stats.peakRequestsPerSecondByEndpoint.batchReset, 5);
    assert.equal(stats.peakRequestsPerSecondByEndpoint.queryStatus, 1);
  });

  void it('query rate limit applies to the other endpoints only', async () => {
    fx.sim.setFaults({ queryRateLimit: 2 });
    const client = fx.client();
    await client.queryStatus(fx.ids(1));
    await client.listInstances({ pageNo: 1, pageSize: 1 });
    await expectKoophoneError(client.queryStatus(fx.ids(1)), { code: 'APIGW.0308', errorClass: 'throttled' });
    await client.batchReset(fx.ids(1));
  });

  void it('latency delays every response by the drawn amount', async () => {
    fx.sim.setFaults({ latencyMs: '120..150' });
    const started = performance.now();
    await fx.client().queryStatus(fx.ids(1));
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 115 && elapsed < 1000, String(elapsed));
  });

  void it('counts every applied reset per instance, with a histogram', async () => {
    const client = fx.client();
    const ids = fx.ids(10, 500);
    await client.batchReset(ids);
    await client.batchReset(ids.slice(0, 4));
    await client.batchReset(ids.slice(0, 1));
    fx.sim.setFaults({ dropRate: 1 });
    await expectKoophoneError(client.batchReset(ids), { code: 'NETWORK' });
    const stats = fx.sim.stats();
    assert.deepEqual(stats.resets, {
      total: 15,
      instances: 10,
      max: 3,
      histogram: { '1': 6, '2': 3, '3': 1 },
    });
    assert.equal(stats.calls.batchReset, 4);
    assert.equal(stats.tasks, 3);
    assert.equal(stats.jobs.total, 15);
    assert.deepEqual(
      ids.slice(0, 5).map((id) => fx.sim.instance(id)?.resets),
      [3, 2, 2, 2, 1],
    );
  });
});

void describe('answers to applied resets, and odd cmd_jobs', () => {
  const fx = useSimulator({ instances: 1000, jobDurationMs: '0..0' });
  beforeEach(() => fx.sim.reset());

  void it('applies the reset, then answers a 502 page, 500 9999, 200 9999 or JSON cut off', async () => {
    const client = fx.client();
    const cases = [
      ['appliedBadGatewayRate', 'HTTP_502', 502],
      ['applied9999Rate', 'KOOPHONE.API.9999', 500],
      ['applied9999Http200Rate', 'KOOPHONE.API.9999', 200],
      ['appliedTruncatedRate', 'BAD_RESPONSE', 200],
    ] as const;
    for (const [n, [fault, code, httpStatus]] of cases.entries()) {
      fx.sim.setFaults({ [fault]: 1 });
      const ids = fx.ids(3, n * 10);
      await expectKoophoneError(client.batchReset(ids), { code, httpStatus });
      fx.sim.setFaults({ [fault]: 0 });
      assert.deepEqual(ids.map((id) => fx.sim.instance(id)?.resets), [1, 1, 1], fault);
    }
    fx.sim.setFaults({ appliedTruncatedRate: 1 });
    const truncated = await rawRequest(fx.sim, 'POST', '/v1/instances/batch-reset', {
      body: JSON.stringify({ instance_ids: fx.ids(1, 90) }),
    });
    assert.equal(truncated.text, '{"error_code":"0","data":{"task_id":"RM_');
    const { faults, resets } = fx.sim.stats();
    const applied = [faults.appliedBadGateway, faults.applied9999, faults.applied9999Http200, faults.appliedTruncated];
    assert.deepEqual([...applied, resets.total], [1, 1, 1, 2, 13]);
  });

  void it('--applied-missing-job-rate resets the ids it leaves out of cmd_jobs; --missing-job-rate does not', async () => {
    const client = fx.client();
    fx.sim.setFaults({ appliedMissingJobRate: 1 });
    const hidden = await client.batchReset(fx.ids(4, 100));
    assert.deepEqual(hidden.jobs, []);
    assert.deepEqual(fx.ids(4, 100).map((id) => fx.sim.instance(id)?.resets), [1, 1, 1, 1]);
    fx.sim.setFaults({ appliedMissingJobRate: 0, missingJobRate: 1 });
    assert.deepEqual((await client.batchReset(fx.ids(4, 200))).jobs, []);
    assert.deepEqual(fx.ids(4, 200).map((id) => fx.sim.instance(id)?.resets), [0, 0, 0, 0]);
    assert.deepEqual([fx.sim.stats().faults.appliedMissingJob, fx.sim.stats().faults.missingJob], [4, 4]);
  });

  void it('names ids not asked, and one asked id twice: the same job, then a second job applied', async () => {
    const client = fx.client();
    fx.sim.setFaults({ foreignJobRate: 1, duplicateJobRate: 1 });
    const ids = fx.ids(3, 300);
    const even = await client.batchReset(ids); // task 0: the same job twice
    const odd = await client.batchReset(ids); // task 1: a second job on the first phone
    for (const answer of [even, odd]) {
      const foreign = answer.jobs.filter((j) => !ids.includes(j.instanceId)).map((j) => j.instanceId);
      assert.equal(foreign.length, 2);
      assert.ok(foreign.some((id) => id.length === 40), 'a 40-character id');
      assert.ok(foreign.some((id) => fx.sim.instance(id) !== undefined), 'a fleet id');
      for (const id of foreign.filter((x) => x.length < 40)) assert.equal(fx.sim.instance(id)?.resets, 0);
    }
    const first = (answer: typeof even) =>
      answer.jobs.filter((j) => j.instanceId === ids[0]).map((j) => j.jobId);
    assert.equal(new Set(first(even)).size, 1);
    assert.equal(first(even).length, 2);
    assert.equal(new Set(first(odd)).size, 2);
    // Two calls, and the second job of the odd one: the first phone reset three times.
    assert.deepEqual(ids.map((id) => fx.sim.instance(id)?.resets), [3, 2, 2]);
    // The task lists the real jobs only: a foreign job never ends, because it never existed.
    const task = await client.getTask(odd.taskId);
    assert.equal(task.jobs.length, 4);
  });
});

void describe('the real gateway and service quirks, on request', () => {
  const fx = useSimulator({ instances: 1000, jobDurationMs: '0..0', bodyLimitBytes: 2048 });
  beforeEach(() => fx.sim.reset());

  void it('--mixed-case-codes spells KOOPHONE.API codes both ways, alternately; stats count one spelling', async () => {
    fx.sim.setFaults({ fault9999Rate: 1, mixedCaseCodes: true });
    const codes: unknown[] = [];
    for (let n = 0; n < 4; n += 1) {
      const r = await rawRequest(fx.sim, 'POST', '/v1/instances/batch-reset', {
        body: JSON.stringify({ instance_ids: fx.ids(1, n) }),
      });
      codes.push((r.json as { error_code: string }).error_code);
    }
    assert.deepEqual(codes, [
      'KOOPHONE.API.9999',
      'KooPhone.API.9999',
      'KOOPHONE.API.9999',
      'KooPhone.API.9999',
    ]);
    assert.deepEqual(fx.sim.stats().errorCodes, { 'KOOPHONE.API.9999': 4 });
    fx.sim.setFaults({ mixedCaseCodes: false });
    await expectKoophoneError(fx.client().batchReset(fx.ids(1)), { code: 'KOOPHONE.API.9999' });
    await expectKoophoneError(fx.client().batchReset(fx.ids(1)), { code: 'KOOPHONE.API.9999' });
  });

  void it('a real KooPhone.API.2005 (mixed case) is transient for the client', async () => {
    fx.sim.setFaults({ mixedCaseCodes: true });
    const id = fx.ids(1, 7)[0]!;
    fx.sim.setInstance(id, { recoveringForMs: 60_000 });
    const seen = [
      await expectKoophoneError(fx.client().batchReset([id]), { errorClass: 'transient_instance' }),
      await expectKoophoneError(fx.client().batchReset([id]), { errorClass: 'transient_instance' }),
    ].map((e) => e.code);
    assert.deepEqual(seen.sort(), ['KOOPHONE.API.2005', 'KooPhone.API.2005'], 'codes are kept as sent');
  });

  void it('a body over --body-limit-bytes gets 413 APIGW.0201, naming the limit; nothing applied', async () => {
    const ids = fx.ids(100);
    const r = await rawRequest(fx.sim, 'POST', '/v1/instances/batch-reset', {
      body: JSON.stringify({ instance_ids: ids, padding: 'x'.repeat(2048) }),
    });
    assert.equal(r.status, 413);
    const body = r.json as { error_code: string; error_msg: string };
    assert.equal(body.error_code, 'APIGW.0201');
    assert.match(body.error_msg, /over 2048 bytes/);
    assert.equal(fx.sim.stats().resets.total, 0);
    // The client's own call with 100 ids (~1.2 KB) fits; the classification is a rejection to split.
    const small = await fx.client().batchReset(fx.ids(100));
    assert.equal(small.jobs.length, 100);
  });

  void it('an expired IAM token gets 401 APIGW.0307; an unknown one APIGW.0301', async () => {
    const issued = await fetch(`${fx.sim.url}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'sim-user', password: 'sim-password', domain: { name: 'd' } } },
          },
          scope: { domain: { name: 'd' } },
        },
      }),
    });
    const token = issued.headers.get('x-subject-token');
    assert.ok(token);
    const call = (t: string) =>
      rawRequest(fx.sim, 'POST', '/v1/instances/batch-query-status', {
        token: t,
        body: JSON.stringify({ instance_ids: fx.ids(1) }),
      });
    assert.equal((await call(token)).status, 200);
    fx.sim.expireTokens();
    const expired = await call(token);
    assert.equal(expired.status, 401);
    assert.equal((expired.json as { error_code: string }).error_code, 'APIGW.0307');
    const unknown = await call('sim-iam-never-issued');
    assert.equal((unknown.json as { error_code: string }).error_code, 'APIGW.0301');
  });
});
