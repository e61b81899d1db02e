// What the simulator answers to requests the client would never send.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { rawRequest, useSimulator } from './fixture';

interface Envelope {
  error_code: string;
  error_msg: string;
  request_id?: string;
}

void describe('simulator input checks', () => {
  const fx = useSimulator({ instances: 300 });
  beforeEach(() => fx.sim.reset());

  const reset = (body: string | undefined, init: Parameters<typeof rawRequest>[3] = {}) =>
    rawRequest(fx.sim, 'POST', '/v1/instances/batch-reset', { ...init, body });

  const badBodies: [string, string | undefined, RegExp][] = [
    [
      'a non-array instance_ids',
      '{"instance_ids": "a44uhlf7"}',
      /instance_ids must be an array, got "a44uhlf7"/,
    ],
    ['a non-JSON body', 'instance_ids=a44uhlf7', /request body is not valid JSON: "instance_ids=a44uhlf7"/],
    ['no body', undefined, /request body is empty/],
    ['a JSON array body', '["a44uhlf7"]', /request body must be an object/],
    ['no instance_ids', '{"ids": ["a44uhlf7"]}', /instance_ids is required/],
    ['an empty list', '{"instance_ids": []}', /instance_ids must not be empty/],
    [
      '101 ids',
      JSON.stringify({ instance_ids: Array.from({ length: 101 }, (_, i) => `p${i}`) }),
      /instance_ids has 101 ids \(max 100\)/,
    ],
    [
      'a 33-character id',
      JSON.stringify({ instance_ids: ['ok1', 'b'.repeat(33)] }),
      /instance_ids\[1\] is 33 characters \(max 32\): "b{33}"/,
    ],
    ['an empty id', JSON.stringify({ instance_ids: ['ok1', 'ok2', ''] }), /instance_ids\[2\] is empty: ""/],
    [
      'a non-string id',
      JSON.stringify({ instance_ids: ['ok1', 42] }),
      /instance_ids\[1\] is not a string \(number\): 42/,
    ],
    [
      'a duplicate id',
      JSON.stringify({ instance_ids: ['ok1', 'ok2', 'ok1'] }),
      /instance_ids\[2\] duplicates instance_ids\[0\]: "ok1"/,
    ],
  ];
  for (const [name, body, message] of badBodies) {
    void it(`batch-reset with ${name}: HTTP 400 KOOPHONE.API.1000 naming the value`, async () => {
      const response = await reset(body);
      assert.equal(response.status, 400);
      const envelope = response.json as Envelope;
      assert.equal(envelope.error_code, 'KOOPHONE.API.1000');
      assert.match(envelope.error_msg, message);
      assert.equal(fx.sim.stats().resets.total, 0);
    });
  }

  void it('status query: at most 32 ids, same checks', async () => {
    const response = await rawRequest(fx.sim, 'POST', '/v1/instances/batch-query-status', {
      body: JSON.stringify({ instance_ids: fx.ids(33) }),
    });
    assert.equal(response.status, 400);
    assert.match((response.json as Envelope).error_msg, /instance_ids has 33 ids \(max 32\)/);
  });

  void it('missing x-request-id: HTTP 200 with KOOPHONE.API.0002, nothing applied', async () => {
    const response = await reset(JSON.stringify({ instance_ids: fx.ids(1) }), { requestId: null });
    assert.equal(response.status, 200);
    assert.equal((response.json as Envelope).error_code, 'KOOPHONE.API.0002');
    assert.equal(fx.sim.stats().resets.total, 0);
  });

  for (const [name, token] of [
    ['missing', null],
    ['wrong', 'not-the-token'],
  ] as const) {
    void it(`${name} X-Auth-Token: HTTP 401 APIGW.0301 from the gateway`, async () => {
      const response = await reset(JSON.stringify({ instance_ids: fx.ids(1) }), { token });
      assert.equal(response.status, 401);
      const envelope = response.json as Envelope;
      assert.equal(envelope.error_code, 'APIGW.0301');
      assert.equal(envelope.request_id, 'raw-request');
      assert.equal(fx.sim.stats().resets.total, 0);
    });
  }

  void it('task query of an unknown task: HTTP 400 KOOPHONE.API.1000', async () => {
    const response = await rawRequest(fx.sim, 'GET', '/v1/instances/tasks/RM_nope');
    assert.equal(response.status, 400);
    assert.match((response.json as Envelope).error_msg, /task_id "RM_nope" does not exist/);
  });

  void it('instance list: page_size above 1000 and a missing page_no are named', async () => {
    const big = await rawRequest(fx.sim, 'GET', '/v1/instances/batch-query?page_no=1&page_size=1001');
    assert.equal(big.status, 400);
    assert.match((big.json as Envelope).error_msg, /page_size: .*1000/);
    const missing = await rawRequest(fx.sim, 'GET', '/v1/instances/batch-query?page_size=10');
    assert.match((missing.json as Envelope).error_msg, /page_no/);
    const tag = await rawRequest(
      fx.sim,
      'GET',
      '/v1/instances/batch-query?page_no=1&page_size=10&pool_scene_tag=GAMES',
    );
    assert.match((tag.json as Envelope).error_msg, /pool_scene_tag/);
  });

  void it('an unknown API path: HTTP 404 from the gateway', async () => {
    const response = await rawRequest(fx.sim, 'GET', '/v1/instances/nowhere');
    assert.equal(response.status, 404);
    assert.equal((response.json as Envelope).error_code, 'APIGW.0101');
  });

  void describe('IAM token endpoint', () => {
    const grant = (name: string, password: string) =>
      JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name, password, domain: { name: 'acme' } } },
          },
          scope: { project: { name: 'cn-north-4' } },
        },
      });

    void it('issues a token in X-Subject-Token with expires_at, status 201', async () => {
      const response = await rawRequest(fx.sim, 'POST', '/v3/auth/tokens', {
        body: grant('sim-user', 'sim-password'),
        token: null,
        requestId: null,
      });
      assert.equal(response.status, 201);
      const token = response.headers.get('x-subject-token');
      assert.ok(token);
      const expiresAt = Date.parse((response.json as { token: { expires_at: string } }).token.expires_at);
      assert.ok(Math.abs(expiresAt - (Date.now() + 86_400_000)) < 60_000);
      const accepted = await reset(JSON.stringify({ instance_ids: fx.ids(1) }), { token });
      assert.equal((accepted.json as Envelope).error_code, '0');
    });

    void it('refuses a wrong password (401) and a malformed grant (400)', async () => {
      const wrong = await rawRequest(fx.sim, 'POST', '/v3/auth/tokens', {
        body: grant('sim-user', 'nope'),
        token: null,
      });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers.get('x-subject-token'), null);
      const malformed = await rawRequest(fx.sim, 'POST', '/v3/auth/tokens', {
        body: '{"auth":{}}',
        token: null,
      });
      assert.equal(malformed.status, 400);
      assert.equal(fx.sim.stats().calls.iamToken, 2);
    });
  });
});
