import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  blockedBy,
  describeTrouble,
  mergeTroubles,
  noteTrouble,
  troubleKindOf,
  troublesSeen,
  TROUBLE_SHOWN_MS,
  type Trouble,
} from '../../src/campaign/troubles';

const MIN = 60_000;
const T0 = Date.parse('2026-12-01T08:12:00Z');

describe('troubles: what keeps the calls from succeeding', () => {
  it('kinds come from the codes in any spelling; answers about phones are none', () => {
    assert.equal(troubleKindOf('APIGW.0301'), 'auth');
    assert.equal(troubleKindOf('apigw.0307'), 'auth');
    assert.equal(troubleKindOf('HTTP_401'), 'auth');
    assert.equal(troubleKindOf('APIGW.0308'), 'throttled');
    assert.equal(troubleKindOf('NETWORK'), 'network');
    assert.equal(troubleKindOf('TIMEOUT'), 'network');
    assert.equal(troubleKindOf('KooPhone.API.9999'), 'server');
    assert.equal(troubleKindOf('HTTP_503'), 'server');
    assert.equal(troubleKindOf('KooPhone.API.2005'), 'busy');
    assert.equal(troubleKindOf('KOOPHONE.API.1000'), undefined);
    assert.equal(troubleKindOf('SLOT_MISSED'), undefined);
  });

  it('one entry per kind: the latest code and message, every call counted, the first time kept', () => {
    const t: Trouble[] = [];
    noteTrouble(t, 'auth', 'APIGW.0301', 'invalid token', T0);
    noteTrouble(t, 'auth', 'APIGW.0307', 'expired', T0 + 5000);
    noteTrouble(t, 'auth', 'APIGW.0301', 'older answer', T0 + 1000);
    noteTrouble(t, 'network', 'NETWORK', 'ECONNRESET', T0 + 2000, 3);
    assert.deepEqual(t, [
      { kind: 'auth', code: 'APIGW.0307', message: 'expired', calls: 3, firstAt: T0, lastAt: T0 + 5000 },
      { kind: 'network', code: 'NETWORK', message: 'ECONNRESET', calls: 3, firstAt: T0 + 2000, lastAt: T0 + 2000 },
    ]);
    noteTrouble(t, 'server', 'KOOPHONE.API.9999', 'x'.repeat(5000), T0);
    assert.ok(t[2]!.message.length <= 200, 'messages are bounded: they are carried in workflow state');
  });

  it("a lane's ages become the workflow's times, whatever the lane's clock; over troubles drop out", () => {
    const laneClock = T0 + 3_600_000; // an hour ahead of the server
    const lane: Trouble[] = [];
    noteTrouble(lane, 'auth', 'APIGW.0301', 'invalid token', laneClock - 20_000);
    noteTrouble(lane, 'auth', 'APIGW.0301', 'invalid token', laneClock - 2000);
    const seen = troublesSeen(lane, laneClock);
    const now = T0 + 10 * MIN;
    const campaign: Trouble[] = [
      { kind: 'auth', code: 'APIGW.0301', message: 'invalid token', calls: 4, firstAt: T0, lastAt: T0 + MIN },
      { kind: 'throttled', code: 'APIGW.0308', message: 'limit', calls: 1, firstAt: T0 - 30 * MIN, lastAt: now - TROUBLE_SHOWN_MS },
    ];
    const merged = mergeTroubles(campaign, seen, now);
    assert.deepEqual(merged, [
      { kind: 'auth', code: 'APIGW.0301', message: 'invalid token', calls: 6, firstAt: T0, lastAt: now - 2000 },
    ]);
    assert.equal(campaign[0]!.calls, 4, 'the campaign state is not changed in place');
  });

  it('blocked: auth errors for the whole deadline with nothing answered since they began', () => {
    const auth: Trouble = { kind: 'auth', code: 'APIGW.0301', message: 'invalid', calls: 50, firstAt: T0, lastAt: T0 + 5 * MIN };
    const after = 5 * MIN;
    assert.equal(blockedBy([auth], undefined, T0 + 4 * MIN, after), undefined, 'not yet');
    assert.equal(blockedBy([auth], undefined, T0 + 5 * MIN, after), auth);
    // Answered after the errors began: a good worker among bad ones, or a token fixed.
    assert.equal(blockedBy([auth], T0 + 3 * MIN, T0 + 5 * MIN, after), undefined);
    assert.equal(blockedBy([auth], T0 + 3 * MIN, T0 + 8 * MIN, after), auth, 'then refused for 5 min again');
    // Answered after the last error: the campaign resumes by itself.
    assert.equal(blockedBy([auth], T0 + 5 * MIN + 1, T0 + 11 * MIN, after), undefined);
    // Other kinds retry by themselves: never blocked.
    const net: Trouble = { ...auth, kind: 'network', code: 'NETWORK' };
    assert.equal(blockedBy([net], undefined, T0 + 60 * MIN, after), undefined);
  });

  it('the line says what, how often, since when and what to do', () => {
    assert.equal(
      describeTrouble({ kind: 'auth', code: 'APIGW.0301', message: 'Incorrect IAM authentication information', calls: 57, firstAt: T0 }),
      'KooPhone rejects the token (APIGW.0301: Incorrect IAM authentication information) on 57 calls since 08:12 UTC — ' +
        'fix KOOPHONE_TOKEN (or the IAM credentials) on the workers; the campaign resumes by itself',
    );
    assert.match(describeTrouble({ kind: 'network', code: 'NETWORK', message: 'ECONNREFUSED', calls: 1, firstAt: T0 }), /on 1 call since/);
  });
});
