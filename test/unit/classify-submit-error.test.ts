import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifySubmitError } from '../../src/activities/classify-submit-error';
import { KoophoneError } from '../../src/koophone';

const refused = (code: string, httpStatus: number, retryAfterMs?: number): KoophoneError =>
  new KoophoneError({
    code,
    httpStatus,
    detail: 'refused',
    method: 'POST',
    url: '/v1/instances/batch-reset',
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });

void describe('classifySubmitError: what the workflow does next, in any spelling', () => {
  void it('KooPhone.API.2005 and KOOPHONE.API.2005 both wait as busy instances; the code is kept as sent', () => {
    for (const code of ['KooPhone.API.2005', 'KOOPHONE.API.2005', 'KooPhone.API.2006']) {
      assert.deepEqual(classifySubmitError(refused(code, 200)), {
        kind: 'rejected',
        code,
        message: refused(code, 200).message,
        transient: true,
        calls: 1,
      });
    }
  });

  void it('configuration codes stop the campaign in either spelling', () => {
    assert.equal(classifySubmitError(refused('KooPhone.API.1004', 200)).kind, 'fatal');
    assert.equal(classifySubmitError(refused('KOOPHONE.API.1004', 200)).kind, 'fatal');
  });

  void it('413 APIGW.0201 is a non-transient rejection, which the workflow bisects', () => {
    const r = classifySubmitError(refused('APIGW.0201', 413));
    assert.equal(r.kind, 'rejected');
    assert.equal(r.kind === 'rejected' && r.transient, false);
  });

  void it('a 429 without Retry-After carries no wait of its own: the workflow backs off from its own schedule', () => {
    const r = classifySubmitError(refused('APIGW.0308', 429));
    assert.equal(r.kind, 'retry');
    assert.equal(r.kind === 'retry' && r.retryAfterMs, undefined);
    const told = classifySubmitError(refused('APIGW.0308', 429, 1000));
    assert.equal(told.kind === 'retry' && told.retryAfterMs, 1000);
  });

  void it('an expired token (401 APIGW.0307) retries like a refused one', () => {
    const r = classifySubmitError(refused('APIGW.0307', 401));
    assert.equal(r.kind, 'retry');
    assert.equal(r.kind === 'retry' && r.throttled, false);
  });
});
