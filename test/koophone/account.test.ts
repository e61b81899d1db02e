import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKoophoneClient, koophoneAccount, loadKoophoneConfig, sameAccount } from '../../src/koophone';

// Which KooPhone account a worker talks to: what a campaign records at prepare and every worker
// compares with its own (src/activities/credentials.ts). Made of the endpoint, the tenant and the
// project as configured; never of a secret.

const accountOf = (env: Record<string, string>) => createKoophoneClient(loadKoophoneConfig(env)).account;

void describe('the KooPhone account of a worker', () => {
  void it('is the endpoint, the IAM domain and the project, as text a person can read', () => {
    const account = accountOf({
      KOOPHONE_ENDPOINT: 'https://koophone.myhuaweicloud.com',
      KOOPHONE_IAM_USERNAME: 'ops',
      KOOPHONE_IAM_PASSWORD: 'pw-never-in-an-account',
      KOOPHONE_IAM_DOMAIN: 'acme',
      KOOPHONE_IAM_PROJECT: 'cn-north-4',
    });
    assert.equal(account.id, 'https://koophone.myhuaweicloud.com domain acme project cn-north-4');
  });

  void it('holds no secret and nothing that changes when a secret rotates: not the token, not the password, not the user', () => {
    const withToken = (token: string) => accountOf({ KOOPHONE_ENDPOINT: 'http://127.0.0.1:8787', KOOPHONE_TOKEN: token });
    assert.deepEqual(withToken('tok-old-Secret-1'), withToken('tok-new-Secret-2'), 'a rotated token is the same account');
    assert.equal(withToken('tok-old-Secret-1').id, 'http://127.0.0.1:8787');
    assert.ok(!JSON.stringify(withToken('tok-old-Secret-1')).includes('Secret'));
    const iam = (user: string, password: string) =>
      accountOf({
        KOOPHONE_ENDPOINT: 'http://127.0.0.1:8787',
        KOOPHONE_IAM_USERNAME: user,
        KOOPHONE_IAM_PASSWORD: password,
        KOOPHONE_IAM_DOMAIN: 'acme',
      });
    assert.deepEqual(iam('ops', 'pw-1-Secret'), iam('deployer', 'pw-2-Secret'), 'users of one tenant share its account');
    assert.ok(!JSON.stringify(iam('ops', 'pw-1-Secret')).includes('Secret'));
    assert.ok(!iam('ops', 'pw-1-Secret').id.includes('ops'));
  });

  void it('a static token is known by its endpoint, and by the domain and project its operator declares', () => {
    const base = { KOOPHONE_ENDPOINT: 'https://koophone.myhuaweicloud.com', KOOPHONE_TOKEN: 'tok' };
    assert.equal(accountOf(base).id, 'https://koophone.myhuaweicloud.com');
    const declared = accountOf({ ...base, KOOPHONE_IAM_DOMAIN: 'acme', KOOPHONE_IAM_PROJECT_ID: '0a1b2c' });
    assert.equal(declared.id, 'https://koophone.myhuaweicloud.com domain acme project id 0a1b2c');
    // The same account as an IAM worker's with the same settings: such workers share campaigns.
    const iam = accountOf({
      KOOPHONE_ENDPOINT: 'https://koophone.myhuaweicloud.com/',
      KOOPHONE_IAM_USERNAME: 'ops',
      KOOPHONE_IAM_PASSWORD: 'pw',
      KOOPHONE_IAM_DOMAIN: 'acme',
      KOOPHONE_IAM_PROJECT_ID: '0a1b2c',
    });
    assert.ok(sameAccount(declared, iam));
    assert.throws(
      () => loadKoophoneConfig({ ...base, KOOPHONE_IAM_PROJECT: 'cn-north-4', KOOPHONE_IAM_PROJECT_ID: '0a1b2c' }),
      /KOOPHONE_IAM_PROJECT_ID: set KOOPHONE_IAM_PROJECT or KOOPHONE_IAM_PROJECT_ID, not both/,
    );
  });

  void it('tells endpoints, tenants and projects apart, and not the spelling of one URL', () => {
    const a = koophoneAccount('https://KooPhone.MyHuaweiCloud.com:443/', { domain: 'acme' });
    assert.ok(sameAccount(a, koophoneAccount('https://koophone.myhuaweicloud.com', { domain: 'acme' })));
    const others = [
      koophoneAccount('https://koophone.myhuaweicloud.com', { domain: 'other' }),
      koophoneAccount('https://koophone.myhuaweicloud.com', { domain: 'acme', project: { name: 'cn-north-4' } }),
      koophoneAccount('https://koophone.myhuaweicloud.com'),
      koophoneAccount('http://127.0.0.1:8787', { domain: 'acme' }),
      koophoneAccount('http://127.0.0.1:8788', { domain: 'acme' }),
    ];
    for (const o of others) assert.ok(!sameAccount(a, o), o.id);
    assert.ok(
      !sameAccount(
        koophoneAccount('http://127.0.0.1:8787', { project: { name: 'p' } }),
        koophoneAccount('http://127.0.0.1:8787', { project: { id: 'p' } }),
      ),
      'a project named by its name is not taken for one named by its id',
    );
  });
});
