import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  createKoophoneClient,
  KoophoneClient,
  loadKoophoneConfig,
  StaticTokenProvider,
} from '../../src/koophone';
import { useSimulator } from '../simulator/fixture';

void describe('loadKoophoneConfig', () => {
  void it('defaults the endpoint and timeout; a static token is enough', () => {
    const config = loadKoophoneConfig({ KOOPHONE_TOKEN: 'tok-123' });
    assert.equal(config.endpoint, 'https://koophone.myhuaweicloud.com');
    assert.equal(config.timeoutMs, 15_000);
    assert.equal(config.auth.kind, 'static');
    assert.equal(config.auth.kind === 'static' && config.auth.token.reveal(), 'tok-123');
  });

  void it('reads the IAM settings, with the default IAM endpoint', () => {
    const config = loadKoophoneConfig({
      KOOPHONE_ENDPOINT: 'http://127.0.0.1:8787',
      KOOPHONE_TIMEOUT_MS: '2500',
      KOOPHONE_IAM_USERNAME: 'ops',
      KOOPHONE_IAM_PASSWORD: 'pw-secret',
      KOOPHONE_IAM_DOMAIN: 'acme',
      KOOPHONE_IAM_PROJECT: 'cn-north-4',
    });
    assert.equal(config.endpoint, 'http://127.0.0.1:8787');
    assert.equal(config.timeoutMs, 2500);
    assert.ok(config.auth.kind === 'iam');
    assert.equal(config.auth.iamEndpoint, 'https://iam.myhuaweicloud.com');
    assert.equal(config.auth.projectName, 'cn-north-4');
    assert.equal(config.auth.password.reveal(), 'pw-secret');
  });

  void it('lists every bad variable in one error and never echoes a secret', () => {
    assert.throws(
      () =>
        loadKoophoneConfig({
          KOOPHONE_ENDPOINT: 'not a url',
          KOOPHONE_TIMEOUT_MS: 'soon',
          KOOPHONE_IAM_PASSWORD: 'pw-never-printed',
        }),
      (error: Error) => {
        assert.match(error.message, /KOOPHONE_ENDPOINT: .*\(got "not a url"\)/);
        assert.match(error.message, /KOOPHONE_TIMEOUT_MS: .*\(got "soon"\)/);
        assert.match(error.message, /missing: KOOPHONE_IAM_USERNAME, KOOPHONE_IAM_DOMAIN/);
        assert.ok(!error.message.includes('pw-never-printed'));
        return true;
      },
    );
  });

  void it('refuses endpoints with credentials in the URL, never echoing them', () => {
    for (const name of ['KOOPHONE_ENDPOINT', 'KOOPHONE_IAM_ENDPOINT']) {
      assert.throws(
        () =>
          loadKoophoneConfig({
            KOOPHONE_TOKEN: 't',
            [name]: 'https://ops:url-pass-never-printed@koophone.example.com',
          }),
        (error: Error) => {
          assert.match(error.message, new RegExp(`${name}: must not carry credentials`));
          assert.match(error.message, /https:\/\/\*\*\*@koophone\.example\.com/);
          assert.ok(!error.message.includes('url-pass-never-printed'), error.message);
          assert.ok(!error.message.includes('ops:'), error.message);
          return true;
        },
      );
    }
    // A user alone is a credential too.
    assert.throws(
      () =>
        loadKoophoneConfig({ KOOPHONE_TOKEN: 't', KOOPHONE_ENDPOINT: 'https://ops@koophone.example.com' }),
      /must not carry credentials/,
    );
  });

  void it('the client itself refuses an endpoint with credentials, whoever builds it', () => {
    assert.throws(
      () =>
        new KoophoneClient({
          endpoint: 'http://u:client-pass@127.0.0.1:1',
          tokenProvider: new StaticTokenProvider('t'),
        }),
      (error: Error) =>
        /must not carry credentials/.test(error.message) && !error.message.includes('client-pass'),
    );
  });

  void it('treats blank variables as unset', () => {
    assert.throws(() => loadKoophoneConfig({ KOOPHONE_TOKEN: '  ' }), /set KOOPHONE_TOKEN, or all of/);
  });

  void it('keeps secrets out of String, JSON and util.inspect of the config', () => {
    const config = loadKoophoneConfig({ KOOPHONE_TOKEN: 'tok-very-secret' });
    for (const printed of [
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
      `${String(config.auth.kind === 'static' && config.auth.token)}`,
    ]) {
      assert.ok(!printed.includes('tok-very-secret'), printed);
    }
  });

  void describe('createKoophoneClient', () => {
    const fx = useSimulator({ instances: 100 });

    void it('builds an IAM-authenticated client that works against the simulator', async () => {
      const config = loadKoophoneConfig({
        KOOPHONE_ENDPOINT: fx.sim.url,
        KOOPHONE_IAM_ENDPOINT: fx.sim.url,
        KOOPHONE_IAM_USERNAME: fx.sim.options.iamUser,
        KOOPHONE_IAM_PASSWORD: fx.sim.options.iamPassword,
        KOOPHONE_IAM_DOMAIN: 'acme',
      });
      const client = createKoophoneClient(config);
      const result = await client.batchReset(fx.ids(2));
      assert.equal(result.jobs.length, 2);
      assert.equal(fx.sim.stats().calls.iamToken, 1);
    });
  });
});
