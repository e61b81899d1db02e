import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API_PATHS, KoophoneError, possiblyApplied, requestLeft, type FailedCall } from '../../src/koophone';

/**
 * The table of the README's "Possibly applied", row by row: what a failed batch-reset call's
 * answer proves about its phones.
 */
const TABLE: { answer: string; call: FailedCall; possibly: boolean; why?: string }[] = [
  // Proven not applied: a well-formed business refusal, in any spelling.
  {
    answer: '400 1000 invalid parameters',
    call: { code: 'KOOPHONE.API.1000', httpStatus: 400, sent: true },
    possibly: false,
  },
  {
    answer: '401 1001 no permission',
    call: { code: 'KooPhone.API.1001', httpStatus: 401, sent: true },
    possibly: false,
  },
  {
    answer: '400 1002 mixed regions',
    call: { code: 'KOOPHONE.API.1002', httpStatus: 400, sent: true },
    possibly: false,
  },
  {
    answer: '200 1012 not in tenant',
    call: { code: 'KOOPHONE.API.1012', httpStatus: 200, sent: true },
    possibly: false,
  },
  {
    answer: '200 2004 frozen',
    call: { code: 'KOOPHONE.API.2004', httpStatus: 200, sent: true },
    possibly: false,
  },
  {
    answer: '200 2005 recovering',
    call: { code: 'KooPhone.API.2005', httpStatus: 200, sent: true },
    possibly: false,
  },
  {
    answer: '200 2006 backing up',
    call: { code: 'KOOPHONE.API.2006', httpStatus: 200, sent: true },
    possibly: false,
  },
  {
    answer: '200 0000 tenant not found',
    call: { code: 'KOOPHONE.API.0000', httpStatus: 200, sent: true },
    possibly: false,
  },
  {
    answer: '200 0002 no request id',
    call: { code: 'KOOPHONE.API.0002', httpStatus: 200, sent: true },
    possibly: false,
  },
  {
    answer: '200 1004 not subscribed',
    call: { code: 'KOOPHONE.API.1004', httpStatus: 200, sent: true },
    possibly: false,
  },
  // Proven not applied: the gateway refused it before the service.
  {
    answer: '429 APIGW.0308 throttled',
    call: { code: 'APIGW.0308', httpStatus: 429, sent: true },
    possibly: false,
  },
  { answer: '429 without a body', call: { code: 'HTTP_429', httpStatus: 429, sent: true }, possibly: false },
  {
    answer: '401 APIGW.0301 token invalid',
    call: { code: 'APIGW.0301', httpStatus: 401, sent: true },
    possibly: false,
  },
  {
    answer: '401 APIGW.0307 token expired',
    call: { code: 'APIGW.0307', httpStatus: 401, sent: true },
    possibly: false,
  },
  { answer: '401 without a body', call: { code: 'HTTP_401', httpStatus: 401, sent: true }, possibly: false },
  {
    answer: '413 APIGW.0201 body too large',
    call: { code: 'APIGW.0201', httpStatus: 413, sent: true },
    possibly: false,
  },
  { answer: '413 without a body', call: { code: 'HTTP_413', httpStatus: 413, sent: true }, possibly: false },
  // Proven not applied: the request never left.
  { answer: 'connection refused before sending', call: { code: 'NETWORK', sent: false }, possibly: false },
  { answer: 'the IAM token call failed first', call: { code: 'TIMEOUT', sent: false }, possibly: false },
  {
    answer: 'refused by the client (invalid ids)',
    call: { code: 'INVALID_INPUT', sent: true },
    possibly: false,
  },
  // Possibly applied: any 5xx, whatever its body says.
  {
    answer: '502 gateway HTML page',
    call: { code: 'HTTP_502', httpStatus: 502, sent: true },
    possibly: true,
    why: 'HTTP 502 after the call was sent',
  },
  {
    answer: '503 gateway page',
    call: { code: 'HTTP_503', httpStatus: 503, sent: true },
    possibly: true,
    why: 'HTTP 503 after the call was sent',
  },
  {
    answer: '504 gateway page',
    call: { code: 'HTTP_504', httpStatus: 504, sent: true },
    possibly: true,
    why: 'HTTP 504 after the call was sent',
  },
  {
    answer: '500 9999',
    call: { code: 'KOOPHONE.API.9999', httpStatus: 500, sent: true },
    possibly: true,
    why: 'KOOPHONE.API.9999 (HTTP 500) after the call was sent',
  },
  {
    answer: '503 naming a refusal code',
    call: { code: 'KOOPHONE.API.2006', httpStatus: 503, sent: true },
    possibly: true,
  },
  { answer: '500 gateway code', call: { code: 'APIGW.0101', httpStatus: 500, sent: true }, possibly: true },
  // Possibly applied: 9999 with HTTP 200, an unreadable body, a broken connection, a timeout.
  {
    answer: '200 9999',
    call: { code: 'KooPhone.API.9999', httpStatus: 200, sent: true },
    possibly: true,
    why: 'KooPhone.API.9999 (HTTP 200) after the call was sent',
  },
  {
    answer: '200 with JSON cut off mid-way',
    call: { code: 'BAD_RESPONSE', httpStatus: 200, sent: true },
    possibly: true,
    why: 'an unreadable answer (HTTP 200) after the call was sent',
  },
  {
    answer: '200 whose JSON fails the schema',
    call: { code: 'BAD_RESPONSE', httpStatus: 200, sent: true },
    possibly: true,
  },
  {
    answer: 'connection reset after sending',
    call: { code: 'NETWORK', sent: true },
    possibly: true,
    why: 'the connection broke after the call was sent',
  },
  {
    answer: 'timeout',
    call: { code: 'TIMEOUT', sent: true },
    possibly: true,
    why: 'no answer within the timeout after the call was sent',
  },
  // Possibly applied: whatever nobody documented.
  {
    answer: '200 unknown KooPhone code',
    call: { code: 'KOOPHONE.API.3001', httpStatus: 200, sent: true },
    possibly: true,
  },
  { answer: '404 gateway code', call: { code: 'APIGW.0101', httpStatus: 404, sent: true }, possibly: true },
  {
    answer: '404 HTML page',
    call: { code: 'HTTP_404', httpStatus: 404, sent: true },
    possibly: true,
    why: 'HTTP 404 after the call was sent',
  },
  {
    answer: '403 without a KooPhone body',
    call: { code: 'HTTP_403', httpStatus: 403, sent: true },
    possibly: true,
  },
  {
    answer: '401 with an unknown KooPhone code',
    call: { code: 'KOOPHONE.API.1099', httpStatus: 401, sent: true },
    possibly: true,
  },
];

void describe('possiblyApplied: what a failed batch-reset answer proves about its phones', () => {
  for (const row of TABLE) {
    void it(`${row.answer}: ${row.possibly ? 'possibly applied' : 'not applied'}`, () => {
      const verdict = possiblyApplied(row.call);
      assert.equal(verdict.possiblyApplied, row.possibly, verdict.why);
      if (row.why !== undefined) assert.equal(verdict.why, row.why);
      assert.ok(verdict.why.length > 0 && verdict.why.length < 120, verdict.why);
    });
  }

  void it('an upstream code of any length is cut in the reason', () => {
    const verdict = possiblyApplied({ code: `X${'9'.repeat(500)}`, httpStatus: 200, sent: true });
    assert.equal(verdict.possiblyApplied, true);
    assert.ok(verdict.why.length < 100, verdict.why);
  });
});

void describe('requestLeft: whether the batch-reset request left this process', () => {
  const error = (code: string, url: string, cause?: unknown) =>
    new KoophoneError({ code, detail: 'x', method: 'POST', url, ...(cause === undefined ? {} : { cause }) });
  const withCode = (code: string) => Object.assign(new Error(code), { code });
  const reset = API_PATHS.batchReset;

  void it('a connection refused or never resolved did not carry it', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']) {
      const cause = new TypeError('fetch failed', { cause: withCode(code) });
      assert.equal(requestLeft(error('NETWORK', reset, cause), reset), false, code);
    }
  });

  void it('a connection reset after connecting did', () => {
    const cause = new TypeError('fetch failed', { cause: withCode('ECONNRESET') });
    assert.equal(requestLeft(error('NETWORK', reset, cause), reset), true);
    assert.equal(requestLeft(error('TIMEOUT', reset), reset), true);
    assert.equal(requestLeft(error('HTTP_502', reset), reset), true);
  });

  void it('an IAM token call that failed first, or input the client refused, did not', () => {
    assert.equal(requestLeft(error('TIMEOUT', '/v3/auth/tokens'), reset), false);
    assert.equal(requestLeft(error('INVALID_INPUT', reset), reset), false);
  });
});
