import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { credentialsFault, Credentials } from '../../src/activities/credentials';
import { OwnPartError, WRONG_ACCOUNT, WRONG_KOOPHONE_ACCOUNT } from '../../src/campaign/blocking';
import {
  IamPasswordTokenProvider,
  KoophoneClient,
  KoophoneError,
  koophoneAccount,
  StaticTokenProvider,
  type KoophoneAccount,
} from '../../src/koophone';
import { FolderStore, storeIdentity } from '../../src/report';

// The worker's credentials as one of our own parts: the campaign's KooPhone account (recorded in its
// prepared record) against the worker's, and IAM's verdict on the sign-in. The store is a real
// folder store; IAM's answer is the one function faked (the simulator's is in the reliability tests).

async function* each(ids: string[]) {
  yield* ids;
}

/** A folder store holding campaign c-1, prepared for `account` (none: prepared by an earlier version). */
async function preparedFor(account?: KoophoneAccount): Promise<FolderStore & { reads: number }> {
  const store = Object.assign(new FolderStore(mkdtempSync(join(tmpdir(), 'koophone-creds-'))), { reads: 0 });
  await storeIdentity(store, true); // as a worker's start makes it
  await store.createCampaign('c-1');
  await store.writeSpool('c-1', each(['p1', 'p2']), (total) => ({
    total,
    duplicates: 0,
    skipped: 0,
    sha256: 'x',
    owner: 'run-1',
    ...(account ? { account } : {}),
  }));
  const read = store.readPrepared.bind(store);
  store.readPrepared = (id: string) => {
    store.reads++;
    return read(id);
  };
  return store;
}

const A = 'http://koophone-a.test';
const staticClient = (endpoint: string) =>
  new KoophoneClient({ endpoint, tokenProvider: new StaticTokenProvider('tok-Secret') });
const inRun = (runId = 'run-1') => new MockActivityEnvironment({ workflowExecution: { workflowId: 'c-1', runId } });

/** A client whose IAM answers `status` to every sign-in, counting them. */
function iamClient(status: number): { client: KoophoneClient; asked: () => number } {
  let asked = 0;
  const tokenProvider = new IamPasswordTokenProvider({
    iamEndpoint: 'http://iam.test',
    username: 'ops',
    password: 'pw-Secret',
    domainName: 'acme',
    fetch: () => {
      asked++;
      return Promise.resolve(
        status === 0
          ? Promise.reject(new TypeError('fetch failed'))
          : new Response('{"error":{"code":"401","message":"The username or password is wrong."}}', { status }),
      );
    },
  });
  return { client: new KoophoneClient({ endpoint: A, tokenProvider }), asked: () => asked };
}

describe('credentials: one campaign, one KooPhone account; IAM refusals block', () => {
  it("passes on the campaign's account, reading its record once per campaign run", async () => {
    const store = await preparedFor(koophoneAccount(`${A}/`));
    const creds = new Credentials(staticClient(A), store);
    for (let i = 0; i < 5; i++) {
      await inRun().run(() => creds.refuse('c-1'));
      await inRun().run(() => creds.probe('c-1'));
    }
    assert.equal(store.reads, 1);
    await inRun('run-2').run(() => creds.refuse('c-1'));
    assert.equal(store.reads, 2, 'a new run (continue-as-new) is judged again');
  });

  it('a worker of another account: refused with a retryable failure, and its probe names the mismatch', async () => {
    const store = await preparedFor(koophoneAccount(A));
    const creds = new Credentials(staticClient('http://koophone-b.test'), store);
    const message =
      'this worker talks to the KooPhone account http://koophone-b.test; campaign c-1 was prepared for ' +
      "http://koophone-a.test, and another account's answers must never reach its phones";
    await assert.rejects(inRun().run(() => creds.refuse('c-1')), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, WRONG_KOOPHONE_ACCOUNT);
      assert.equal(err.nonRetryable, false, 'a retry may reach a worker of the campaign account');
      assert.equal(err.message, message);
      return true;
    });
    await assert.rejects(inRun().run(() => creds.probe('c-1')), (err: unknown) => {
      assert.ok(err instanceof OwnPartError);
      assert.deepEqual(err.fault, { part: 'credentials', code: WRONG_ACCOUNT, message: `credentials: ${message}` });
      return true;
    });
    assert.ok(!message.includes('Secret'));
  });

  it('a campaign prepared before accounts were recorded runs on any worker, as before', async () => {
    const store = await preparedFor(undefined);
    const creds = new Credentials(staticClient('http://koophone-b.test'), store);
    await inRun().run(() => creds.refuse('c-1'));
    await inRun().run(() => creds.probe('c-1'));
  });

  it("IAM refusing the credentials is the probe's fault (IAM_401), asked once a minute; IAM unreachable is no verdict", async () => {
    const store = await preparedFor(koophoneAccount(A, { domain: 'acme' }));
    const refused = iamClient(401);
    const creds = new Credentials(refused.client, store);
    for (let i = 0; i < 3; i++) {
      await assert.rejects(inRun().run(() => creds.probe('c-1')), (err: unknown) => {
        assert.ok(err instanceof OwnPartError);
        assert.equal(err.fault.part, 'credentials');
        assert.equal(err.fault.code, 'IAM_401');
        assert.match(
          err.fault.message,
          /^credentials: IAM refused the credentials \(HTTP 401\) of user "ops" in domain "acme": The username or password is wrong\./,
        );
        assert.ok(!err.fault.message.includes('pw-Secret'));
        return true;
      });
    }
    assert.equal(refused.asked(), 1, 'IAM asked once for three probes');
    // The account check passes for it (refuse is about the account only).
    await inRun().run(() => creds.refuse('c-1'));

    const unreachable = iamClient(0);
    await inRun().run(() => new Credentials(unreachable.client, store).probe('c-1'));
    assert.equal(unreachable.asked(), 1);
  });

  it('credentialsFault names only IAM refusals', () => {
    const refusal = new KoophoneError({
      code: 'HTTP_403',
      detail: 'IAM refused the credentials (HTTP 403) of user "ops" in domain "acme": The user is locked.',
      errorClass: 'credentials',
      method: 'POST',
      url: '/v3/auth/tokens',
      httpStatus: 403,
    });
    assert.deepEqual(credentialsFault(refusal), {
      part: 'credentials',
      code: 'IAM_403',
      message: 'credentials: IAM refused the credentials (HTTP 403) of user "ops" in domain "acme": The user is locked.',
    });
    const gateway401 = new KoophoneError({ code: 'APIGW.0301', detail: 'bad token', method: 'POST', url: '/v1/x', httpStatus: 401 });
    assert.equal(gateway401.errorClass, 'auth');
    assert.equal(credentialsFault(gateway401), undefined, "the gateway refusing a token is KooPhone's answer, a trouble");
    assert.equal(credentialsFault(new Error('x')), undefined);
  });
});
