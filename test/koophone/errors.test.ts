import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classifyKoophoneError,
  isConfigurationError,
  isInstanceRejection,
  KoophoneError,
  parseRetryAfter,
} from '../../src/koophone';
import type { KoophoneErrorClass } from '../../src/koophone';

void describe('classifyKoophoneError follows the table of koophone-api.md', () => {
  const table: [string, number | undefined, KoophoneErrorClass][] = [
    ['KOOPHONE.API.1000', 400, 'non_retryable'],
    ['KOOPHONE.API.1002', 400, 'non_retryable'],
    ['KOOPHONE.API.1001', 401, 'non_retryable'],
    ['KOOPHONE.API.9999', 500, 'retryable'],
    ['KOOPHONE.API.9999', 200, 'retryable'],
    ['KOOPHONE.API.0000', 200, 'non_retryable'],
    ['KOOPHONE.API.0002', 200, 'non_retryable'],
    ['KOOPHONE.API.1004', 200, 'non_retryable'],
    ['KOOPHONE.API.1012', 200, 'non_retryable'],
    ['KOOPHONE.API.2004', 200, 'non_retryable'],
    ['KOOPHONE.API.2005', 200, 'transient_instance'],
    ['KOOPHONE.API.2006', 200, 'transient_instance'],
    ['APIGW.0308', 429, 'throttled'],
    ['APIGW.0308', undefined, 'throttled'],
    ['HTTP_429', 429, 'throttled'],
    ['APIGW.0301', 401, 'auth'],
    ['APIGW.0302', 401, 'auth'],
    ['HTTP_401', 401, 'auth'],
    ['HTTP_502', 502, 'retryable'],
    ['HTTP_503', 503, 'retryable'],
    ['HTTP_404', 404, 'non_retryable'],
    ['NETWORK', undefined, 'retryable'],
    ['TIMEOUT', undefined, 'retryable'],
    ['BAD_RESPONSE', 200, 'retryable'],
    ['INVALID_INPUT', undefined, 'non_retryable'],
    ['KOOPHONE.API.4242', 200, 'non_retryable'],
    ['KOOPHONE.API.4242', 400, 'non_retryable'],
    ['KOOPHONE.API.4242', 503, 'retryable'],
    ['KOOPHONE.API.4242', 429, 'throttled'],
    ['APIGW.0101', 404, 'non_retryable'],
    // Spelled as Huawei's own pages do: the same codes, the same classes.
    ['KooPhone.API.2005', 200, 'transient_instance'],
    ['KooPhone.API.2006', 200, 'transient_instance'],
    ['KooPhone.API.9999', 200, 'retryable'],
    ['KooPhone.API.1001', 401, 'non_retryable'],
    ['apigw.0308', undefined, 'throttled'],
    ['APIGW.0307', 401, 'auth'],
    ['APIGW.0201', 413, 'non_retryable'],
    ['HTTP_413', 413, 'non_retryable'],
  ];
  for (const [code, status, expected] of table) {
    void it(`${code} with HTTP ${status ?? '-'} is ${expected}`, () => {
      assert.equal(classifyKoophoneError(code, status), expected);
    });
  }
});

void describe('what the orchestrator does with a refusal', () => {
  void it('configuration errors stop a campaign', () => {
    for (const code of ['KOOPHONE.API.0000', 'KOOPHONE.API.0002', 'KOOPHONE.API.1004'])
      assert.ok(isConfigurationError(code));
    for (const code of ['KooPhone.API.0000', 'KooPhone.API.1004', ' kooPhone.api.0002'])
      assert.ok(isConfigurationError(code), code);
    for (const code of ['KOOPHONE.API.1012', 'KOOPHONE.API.9999', 'APIGW.0301'])
      assert.ok(!isConfigurationError(code));
  });

  void it('whole-call refusals for some instances are bisected; transient and transport ones are not', () => {
    for (const code of [
      'KOOPHONE.API.1000',
      'KOOPHONE.API.1001',
      'KOOPHONE.API.1002',
      'KOOPHONE.API.1012',
      'KOOPHONE.API.2004',
    ]) {
      assert.ok(isInstanceRejection(code), code);
    }
    assert.ok(isInstanceRejection('KOOPHONE.API.4242', 200), 'unknown non-retryable code');
    assert.ok(isInstanceRejection('KooPhone.API.2004', 200), 'in any spelling');
    // Too large as sent: halves are smaller bodies.
    assert.ok(isInstanceRejection('APIGW.0201', 413));
    assert.ok(isInstanceRejection('HTTP_413', 413));
    for (const [code, status] of [
      ['KOOPHONE.API.4242', 503],
      ['KOOPHONE.API.2005', 200],
      ['KooPhone.API.2005', 200],
      ['KOOPHONE.API.9999', 500],
      ['KOOPHONE.API.0000', 200],
      ['APIGW.0308', 429],
      ['APIGW.0101', 404],
      ['HTTP_404', 404],
      ['NETWORK', undefined],
      ['INVALID_INPUT', undefined],
    ] as const) {
      assert.ok(!isInstanceRejection(code, status), code);
    }
  });
});

void describe('KoophoneError', () => {
  void it('names method, URL, code, HTTP status and request id, and keeps them as fields', () => {
    const error = new KoophoneError({
      code: 'KOOPHONE.API.2004',
      detail: 'instance is frozen',
      method: 'POST',
      url: '/v1/instances/batch-reset',
      httpStatus: 200,
      requestId: 'req-1',
    });
    assert.equal(
      error.message,
      'POST /v1/instances/batch-reset failed with KOOPHONE.API.2004 (HTTP 200, request id req-1): instance is frozen',
    );
    assert.equal(error.errorClass, 'non_retryable');
    assert.equal(error.retryable, false);
    assert.equal(error.name, 'KoophoneError');
    assert.ok(error instanceof Error);
    assert.equal((JSON.parse(JSON.stringify(error)) as { code: string }).code, 'KOOPHONE.API.2004');
  });

  void it('an explicit class overrides the table', () => {
    const error = new KoophoneError({
      code: 'HTTP_401',
      detail: 'bad password',
      method: 'POST',
      url: '/v3/auth/tokens',
      httpStatus: 401,
      errorClass: 'non_retryable',
    });
    assert.equal(error.errorClass, 'non_retryable');
  });
});

void describe('parseRetryAfter', () => {
  void it('reads seconds and HTTP dates; ignores junk', () => {
    assert.equal(parseRetryAfter('1'), 1000);
    assert.equal(parseRetryAfter('2.5'), 2500);
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
  });
});
