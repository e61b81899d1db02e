import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { beforeEach, describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  IAM_REFUSAL_PAUSE_MS,
  IamPasswordTokenProvider,
  KoophoneClient,
  KoophoneError,
  StaticTokenProvider,
} from '../../src/koophone';
import type { IamPasswordTokenProviderOptions } from '../../src/koophone';
import { expectKoophoneError, useSimulator } from '../simulator/fixture';

const PASSWORD = 'correct-horse-battery-staple';

void describe('IAM password token provider against the simulator', () => {
  const fx = useSimulator({ instances: 500, iamUser: 'ops', iamPassword: PASSWORD });
  beforeEach(() => {
    fx.sim.reset();
    fx.sim.revokeTokens();
  });

  const provider = (overrides: Partial<IamPasswordTokenProviderOptions> = {}): IamPasswordTokenProvider =>
    new IamPasswordTokenProvider({
      iamEndpoint: fx.sim.url,
      username: 'ops',
      password: PASSWORD,
      domainName: 'tenant-domain',
      projectName: 'cn-north-4',
      ...overrides,
    });

  void it('fetches one token for many calls, concurrent or not', async () => {
    const client = new KoophoneClient({ endpoint: fx.sim.url, tokenProvider: provider() });
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.queryStatus(fx.ids(1, i))));
    for (let i = 0; i < 5; i += 1) await client.batchReset(fx.ids(1, 100 + i));
    const stats = fx.sim.stats();
    assert.equal(stats.calls.iamToken, 1);
    assert.equal(stats.calls.queryStatus, 10);
    assert.equal(stats.resets.total, 5);
  });

  void it('reads the token from X-Subject-Token; the API accepts it', async () => {
    const token = await provider().getToken();
    assert.match(token, /^sim-iam-/);
    const client = new KoophoneClient({
      endpoint: fx.sim.url,
      tokenProvider: new StaticTokenProvider(token),
    });
    await client.batchReset(fx.ids(1));
  });

  void it('on a 401 it invalidates the token, fetches a new one and retries the call once', async () => {
    const tokens = provider();
    const client = new KoophoneClient({ endpoint: fx.sim.url, tokenProvider: tokens });
    await client.batchReset(fx.ids(1, 0));
    const first = await tokens.getToken();
    fx.sim.revokeTokens();
    const result = await client.batchReset(fx.ids(1, 1));
    assert.equal(result.jobs.length, 1);
    const stats = fx.sim.stats();
    assert.equal(stats.calls.iamToken, 2, 'one refresh');
    assert.equal(stats.calls.batchReset, 3, 'first call, refused call, its single retry');
    assert.equal(stats.errorCodes['APIGW.0301'], 1);
    assert.notEqual(await tokens.getToken(), first);
  });

  void it('an expired token (401 APIGW.0307) is renewed once like a refused one, and the call goes through', async () => {
    const tokens = provider();
    const client = new KoophoneClient({ endpoint: fx.sim.url, tokenProvider: tokens });
    await client.batchReset(fx.ids(1, 0));
    const first = await tokens.getToken();
    fx.sim.expireTokens();
    const result = await client.batchReset(fx.ids(1, 1));
    assert.equal(result.jobs.length, 1);
    const stats = fx.sim.stats();
    assert.equal(stats.errorCodes['APIGW.0307'], 1, 'the simulator said the token expired');
    assert.equal(stats.calls.iamToken, 2, 'one refresh');
    assert.equal(stats.calls.batchReset, 3, 'first call, refused call, its single retry');
    assert.notEqual(await tokens.getToken(), first);
  });

  void it('refreshes 5 minutes before expires_at, not earlier', async () => {
    let now = Date.now();
    const tokens = provider({ now: () => now });
    const first = await tokens.getToken();
    now += 24 * 3600_000 - 6 * 60_000; // 6 minutes before a 24 h expiry: still cached
    assert.equal(await tokens.getToken(), first);
    now += 2 * 60_000; // 4 minutes before: refresh
    assert.notEqual(await tokens.getToken(), first);
    assert.equal(fx.sim.stats().calls.iamToken, 2);
  });

  void it('invalidate() forgets only the token it names', async () => {
    const tokens = provider();
    const first = await tokens.getToken();
    tokens.invalidate('some-other-token');
    assert.equal(await tokens.getToken(), first);
    tokens.invalidate(first);
    assert.notEqual(await tokens.getToken(), first);
    assert.equal(fx.sim.stats().calls.iamToken, 2);
  });

  void it('concurrent callers share one in-flight IAM request; one caller aborting does not fail the others', async () => {
    const tokens = provider();
    const controller = new AbortController();
    const aborted = tokens.getToken(controller.signal);
    const others = Promise.all(Array.from({ length: 5 }, () => tokens.getToken()));
    controller.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    const values = await others;
    assert.equal(new Set(values).size, 1);
    assert.equal(fx.sim.stats().calls.iamToken, 1);
  });

  void it('a wrong password is a credentials refusal, not retryable, that never shows the password', async () => {
    const wrong = 'wrong-password-do-not-print';
    const tokens = provider({ password: wrong });
    const error = await expectKoophoneError(tokens.getToken(), {
      code: 'HTTP_401',
      httpStatus: 401,
      errorClass: 'credentials',
    });
    assert.equal(error.retryable, false);
    assert.match(
      error.message,
      /POST \/v3\/auth\/tokens failed with HTTP_401.*IAM refused the credentials \(HTTP 401\) of user "ops" in domain "tenant-domain": The username or password is wrong/,
    );
    for (const printed of [
      error.message,
      JSON.stringify(error),
      inspect(error, { depth: 5 }),
      error.stack ?? '',
    ]) {
      assert.ok(!printed.includes(wrong));
    }
  });

  void it('remembers a refusal: for a minute no caller makes IAM ask again, however many; then one request', async () => {
    let now = Date.now();
    const tokens = provider({ password: 'wrong-password', now: () => now });
    const client = new KoophoneClient({ endpoint: fx.sim.url, tokenProvider: tokens });
    await expectKoophoneError(tokens.getToken(), { code: 'HTTP_401', errorClass: 'credentials' });
    const refusedAgain = async (n: number) => {
      const answers = await Promise.allSettled([
        ...Array.from({ length: n }, () => tokens.getToken()),
        ...Array.from({ length: n }, (_, i) => client.batchReset(fx.ids(1, i))),
        client.signIn(),
      ]);
      for (const a of answers) {
        assert.equal(a.status, 'rejected');
        const e = (a as PromiseRejectedResult).reason as KoophoneError;
        assert.ok(e instanceof KoophoneError && e.errorClass === 'credentials', String(e));
        assert.match(e.message, /IAM refused the credentials \(HTTP 401\)/);
      }
      return (answers[0] as PromiseRejectedResult).reason as KoophoneError;
    };
    const first = await refusedAgain(20);
    assert.match(first.message, /IAM is not asked again before \d\d:\d\d:\d\d UTC: it locks users after repeated failed sign-ins/);
    now += IAM_REFUSAL_PAUSE_MS - 1;
    await refusedAgain(5);
    assert.equal(fx.sim.stats().calls.iamToken, 1, 'IAM asked once in the minute');
    assert.equal(fx.sim.stats().calls.batchReset, 0, 'no call left without a token');
    // The minute is over: the next callers share one request, which IAM refuses again.
    now += 1;
    await refusedAgain(5);
    assert.equal(fx.sim.stats().calls.iamToken, 2);
    assert.deepEqual(
      fx.sim.signIns().map((s) => s.granted),
      [false, false],
      'the simulator saw two refused sign-ins',
    );
  });

  void it('a refusal is forgotten once IAM grants (the user fixed at IAM): the next minute\'s request signs in', async () => {
    let now = Date.now();
    let fixedAtIam = false;
    // IAM's side of the fix: until it is made, the password the worker sends is not the user's.
    const iamFetch: typeof fetch = (url, init) =>
      fetch(url, fixedAtIam ? init : { ...init, body: String(init?.body).replace(PASSWORD, 'not-the-users-password') });
    const tokens = provider({ now: () => now, fetch: iamFetch });
    await expectKoophoneError(tokens.getToken(), { errorClass: 'credentials' });
    fixedAtIam = true;
    await expectKoophoneError(tokens.getToken(), { errorClass: 'credentials' });
    now += IAM_REFUSAL_PAUSE_MS;
    const token = await tokens.getToken();
    assert.match(token, /^sim-iam-/);
    assert.equal(await tokens.getToken(), token);
    assert.deepEqual(fx.sim.signIns().map((s) => s.granted), [false, true]);
  });

  void it('403 and 400 from IAM are refusals too; 429 and 5xx are asked again at once', async () => {
    const answers: [number, string][] = [
      [403, '{"error":{"code":"IAM.0004","message":"The user is locked."}}'],
      [400, '{"error":{"code":"400","message":"The request body is invalid."}}'],
    ];
    for (const [status, body] of answers) {
      let asked = 0;
      const tokens = provider({
        fetch: () => {
          asked += 1;
          return Promise.resolve(new Response(body, { status }));
        },
      });
      const e = await expectKoophoneError(tokens.getToken(), { httpStatus: status, errorClass: 'credentials' });
      assert.match(e.message, new RegExp(`IAM refused the credentials \\(HTTP ${status}\\)`));
      await expectKoophoneError(tokens.getToken(), { errorClass: 'credentials' });
      assert.equal(asked, 1, `HTTP ${status}: IAM asked once`);
    }
    for (const [status, errorClass] of [
      [429, 'throttled'],
      [500, 'retryable'],
      [503, 'retryable'],
    ] as const) {
      let asked = 0;
      const tokens = provider({
        fetch: () => {
          asked += 1;
          return Promise.resolve(new Response('{"error":{"code":"x","message":"busy"}}', { status }));
        },
      });
      await expectKoophoneError(tokens.getToken(), { httpStatus: status, errorClass });
      await expectKoophoneError(tokens.getToken(), { httpStatus: status, errorClass });
      assert.equal(asked, 2, `HTTP ${status} is not a refusal: asked again`);
    }
  });

  void it('names the account its tokens are for (never a secret); a static token names the one declared', () => {
    assert.deepEqual(provider().scope, { domain: 'tenant-domain', project: { name: 'cn-north-4' } });
    assert.deepEqual(provider({ projectName: undefined, projectId: 'p-1' }).scope, {
      domain: 'tenant-domain',
      project: { id: 'p-1' },
    });
    assert.equal(new StaticTokenProvider('tok').scope, undefined);
    assert.deepEqual(new StaticTokenProvider('tok', { domain: 'acme' }).scope, { domain: 'acme' });
    const client = new KoophoneClient({ endpoint: `${fx.sim.url}/`, tokenProvider: provider() });
    assert.equal(client.account.id, `${fx.sim.url} domain tenant-domain project cn-north-4`);
  });

  void it('an unreachable IAM endpoint is NETWORK, retryable', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
      });
    });
    await expectKoophoneError(provider({ iamEndpoint: `http://127.0.0.1:${port}` }).getToken(), {
      code: 'NETWORK',
      errorClass: 'retryable',
    });
  });

  void it('prints no secret: String, JSON and util.inspect of providers', () => {
    const iam = provider();
    const fixed = new StaticTokenProvider('static-secret-token');
    for (const printed of [String(iam), JSON.stringify(iam), inspect(iam, { depth: 10, showHidden: true })]) {
      assert.ok(!printed.includes(PASSWORD), printed);
      assert.match(printed, /REDACTED/);
    }
    for (const printed of [
      String(fixed),
      JSON.stringify(fixed),
      inspect(fixed, { depth: 10, showHidden: true }),
    ]) {
      assert.ok(!printed.includes('static-secret-token'), printed);
    }
    assert.deepEqual(Object.keys(iam), [], 'no enumerable field holds a credential');
  });
});
