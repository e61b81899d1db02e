import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadWorkerConfig } from '../../src/worker-config';

describe('worker configuration', () => {
  it('parses a valid environment', () => {
    const c = loadWorkerConfig({
      KOOPHONE_TOKEN: 't0ken-value',
      TEMPORAL_ADDRESS: '10.0.0.1:7233',
      WORKER_MAX_ACTIVITIES: '50',
    });
    assert.equal(c.maxActivities, 50);
    assert.equal(c.temporal.connection.address, '10.0.0.1:7233');
    assert.equal(c.temporal.taskQueue, 'koophone-reset');
  });

  it('lists every bad variable in one error, one line each, without echoing secrets', () => {
    assert.throws(
      () =>
        loadWorkerConfig({
          KOOPHONE_IAM_PASSWORD: 'hunter2-secret',
          KOOPHONE_ENDPOINT: 'ftp://nope',
          WORKER_MAX_ACTIVITIES: '-3',
          LOG_LEVEL: 'loud',
        }),
      (e: Error) => {
        assert.match(e.message, /WORKER_MAX_ACTIVITIES: .*\(got "-3"\)/);
        assert.match(e.message, /LOG_LEVEL: /);
        assert.match(e.message, /KOOPHONE_ENDPOINT: /);
        assert.match(e.message, /KOOPHONE_IAM_USERNAME/);
        assert.doesNotMatch(e.message, /hunter2/);
        return true;
      },
    );
  });

  it('refuses a KooPhone endpoint with user:password@ at start, naming the variable, never the password', () => {
    assert.throws(
      () =>
        loadWorkerConfig({
          KOOPHONE_TOKEN: 't0ken-value',
          KOOPHONE_ENDPOINT: 'https://admin:endpoint-pass@koophone.example.com',
        }),
      (e: Error) => {
        assert.match(e.message, /KOOPHONE_ENDPOINT: must not carry credentials/);
        assert.doesNotMatch(e.message, /endpoint-pass|admin:/);
        return true;
      },
    );
  });
});
