import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  KoophoneClient,
  StaticTokenProvider,
  validateInstanceId,
  validateInstanceIds,
} from '../../src/koophone';
import { expectKoophoneError } from '../simulator/fixture';

const ids = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `phone${String(i).padStart(3, '0')}`);

/** A client whose fetch fails the test if it is ever called: validation must come first. */
function offlineClient(): { client: KoophoneClient; calls: () => number } {
  let calls = 0;
  const fetchSpy: typeof fetch = async () => {
    calls += 1;
    throw new Error('no request may be sent');
  };
  return {
    client: new KoophoneClient({
      endpoint: 'http://127.0.0.1:9',
      tokenProvider: new StaticTokenProvider('t'),
      fetch: fetchSpy,
    }),
    calls: () => calls,
  };
}

void describe('instance id validation before any call', () => {
  void it('101 ids for a batch reset', async () => {
    const { client, calls } = offlineClient();
    const error = await expectKoophoneError(client.batchReset(ids(101)), {
      code: 'INVALID_INPUT',
      errorClass: 'non_retryable',
    });
    assert.match(error.message, /101 instance ids \(max 100 per call\)/);
    assert.match(error.message, /^POST \/v1\/instances\/batch-reset failed with INVALID_INPUT/);
    assert.equal(calls(), 0);
  });

  void it('a 33-character id names its position and value', async () => {
    const { client, calls } = offlineClient();
    const list = ids(5);
    list[3] = 'a'.repeat(33);
    const error = await expectKoophoneError(client.batchReset(list), { code: 'INVALID_INPUT' });
    assert.match(error.message, /instance id at position 3 is 33 characters \(max 32\): "a{33}"/);
    assert.equal(calls(), 0);
  });

  void it('an empty id', async () => {
    const { client } = offlineClient();
    const error = await expectKoophoneError(client.batchReset(['phone1', '']), { code: 'INVALID_INPUT' });
    assert.match(error.message, /instance id at position 1 is empty: ""/);
  });

  void it('duplicates name both positions', async () => {
    const { client } = offlineClient();
    const error = await expectKoophoneError(client.batchReset(['a1', 'b2', 'c3', 'd4', 'b2']), {
      code: 'INVALID_INPUT',
    });
    assert.match(error.message, /instance id at position 4 duplicates position 1: "b2"/);
  });

  void it('no ids, and more than 32 for a status query', async () => {
    const { client, calls } = offlineClient();
    await expectKoophoneError(client.batchReset([]), { code: 'INVALID_INPUT' });
    const error = await expectKoophoneError(client.queryStatus(ids(33)), { code: 'INVALID_INPUT' });
    assert.match(error.message, /33 instance ids \(max 32 per call\)/);
    assert.equal(calls(), 0);
  });

  void it('non-string values (from untyped callers)', () => {
    assert.throws(
      () => validateInstanceIds(['ok', 7], { max: 100 }),
      /position 1 is not a string \(number\): 7/,
    );
    assert.throws(() => validateInstanceIds('abc', { max: 100 }), /must be an array, got "abc"/);
  });

  void it('long values are cut in messages', () => {
    assert.throws(
      () => validateInstanceIds(['x'.repeat(5000)], { max: 100 }),
      (error: Error) => error.message.length < 300,
    );
  });

  void it('validateInstanceId gives a reason or undefined', () => {
    assert.equal(validateInstanceId('a44uhlf7'), undefined);
    assert.equal(validateInstanceId('x'.repeat(32)), undefined);
    assert.equal(validateInstanceId('x'.repeat(33)), 'is 33 characters (max 32)');
    assert.equal(validateInstanceId(''), 'is empty');
    assert.equal(validateInstanceId(null), 'is not a string (null)');
  });

  void it('bad list queries and task ids are refused before any call', async () => {
    const { client, calls } = offlineClient();
    const error = await expectKoophoneError(client.listInstances({ pageNo: 1, pageSize: 5000 }), {
      code: 'INVALID_INPUT',
    });
    assert.match(error.message, /page_size/);
    await expectKoophoneError(
      client.listInstances({ pageNo: 1, pageSize: 10, queryStartTime: '15/08/2023' }),
      {
        code: 'INVALID_INPUT',
      },
    );
    await expectKoophoneError(client.getTask(''), { code: 'INVALID_INPUT' });
    assert.equal(calls(), 0);
  });
});
