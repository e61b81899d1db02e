import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BLOCKING_PARTS,
  describeBlocking,
  endsWithoutWriting,
  faultOfFailure,
  fixFor,
  isBlockedAnswer,
  noteBlocked,
  noteProbeFailed,
  PROBE_MAX_MS,
  probeDelayMs,
  STORE_LOST,
  WRONG_ACCOUNT,
  WRONG_KOOPHONE_ACCOUNT,
  WRONG_REPORT_STORE,
  WRONG_STORE,
  type OwnPartFault,
} from '../../src/campaign/blocking';
import { itemBack } from '../../src/activities/item-blocked';
import type { JobJournal, ResetBatchResult, WorkItem } from '../../src/campaign/work-item';

const T0 = Date.parse('2026-12-01T08:12:00Z');
const enospc: OwnPartFault = {
  part: 'store',
  code: 'ENOSPC',
  message: 'store: ENOSPC writing /srv/r/c-1/parts/b0000004.ndjson',
};

describe('blocking: a campaign held back by one of our own parts', () => {
  it('every part has a fix, and some codes a fix of their own', () => {
    for (const part of BLOCKING_PARTS) assert.ok(fixFor({ part, code: 'ANY' }).length > 20, part);
    assert.equal(
      fixFor(enospc),
      "free space on the report store's disk; nothing is sent meanwhile and the campaign resumes by itself within a minute",
    );
    assert.match(fixFor({ part: 'store', code: '53100' }), /^free space/, 'PostgreSQL: disk full');
    assert.match(fixFor({ part: 'store', code: 'EROFS' }), /^make the report store writable/);
    assert.match(
      fixFor({ part: 'store', code: 'ECONNREFUSED' }),
      /^bring the report store's PostgreSQL back/,
    );
    assert.match(fixFor({ part: 'store', code: '57P01' }), /^bring the report store's PostgreSQL back/);
    assert.match(
      fixFor({ part: 'store', code: '28P01' }),
      /^fix the database user or password in REPORT_SINK/,
    );
    assert.match(
      fixFor({ part: 'store', code: 'EMFILE' }),
      /^fix the report store \(REPORT_DIR \/ REPORT_SINK\); nothing/,
    );
    assert.match(
      fixFor({ part: 'store', code: STORE_LOST }),
      /^restore it from a backup .*cancel <campaign> --now/,
    );
    assert.match(fixFor({ part: 'store', code: WRONG_STORE }), /same REPORT_DIR \/ REPORT_SINK/);
    // IAM refused the credentials: the variables to fix, and why it asks so seldom meanwhile.
    assert.match(
      fixFor({ part: 'credentials', code: 'IAM_401' }),
      /^fix KOOPHONE_IAM_USERNAME \/ KOOPHONE_IAM_PASSWORD \/ KOOPHONE_IAM_DOMAIN \/ KOOPHONE_IAM_PROJECT on the workers and restart them; meanwhile each worker asks IAM at most once a minute/,
    );
    assert.match(fixFor({ part: 'credentials', code: WRONG_ACCOUNT }), /same KOOPHONE_ENDPOINT and KOOPHONE_IAM_DOMAIN/);
  });

  it('one line with the cause, since when, and the fix', () => {
    const cause = noteBlocked(undefined, enospc, T0);
    assert.equal(
      describeBlocking(cause),
      `store: ENOSPC writing /srv/r/c-1/parts/b0000004.ndjson (since 08:12 UTC) — ${fixFor(enospc)}`,
    );
  });

  it('a part that goes on failing keeps since and its failed probes; a new code and its message win', () => {
    const first = noteBlocked(undefined, enospc, T0);
    assert.deepEqual(first, { ...enospc, since: T0, lastAt: T0, probes: 0 });
    const probed = noteProbeFailed(noteProbeFailed(first, undefined, T0 + 2000), undefined, T0 + 6000);
    assert.deepEqual(probed, { ...first, lastAt: T0 + 6000, probes: 2 });
    const eio = {
      part: 'store' as const,
      code: 'EIO',
      message: 'store: EIO writing /srv/r/c-1/jobs/b1.json',
    };
    assert.deepEqual(noteBlocked(probed, eio, T0 + 7000), {
      ...eio,
      since: T0,
      lastAt: T0 + 7000,
      probes: 2,
    });
    assert.deepEqual(noteProbeFailed(probed, eio, T0 + 9000), {
      ...eio,
      since: T0,
      lastAt: T0 + 9000,
      probes: 3,
    });
    // A probe failing the same way keeps the message naming the file the write failed on.
    const probeMessage = { ...enospc, message: 'store: ENOSPC writing /srv/r/c-1/jobs/.probe' };
    assert.deepEqual(noteProbeFailed(first, probeMessage, T0 + 2000), {
      ...first,
      lastAt: T0 + 2000,
      probes: 1,
    });
    // Messages are bounded: the cause is carried across continue-as-new.
    assert.equal(noteBlocked(undefined, { ...enospc, message: 'x'.repeat(5000) }, T0).message.length, 300);
  });

  it('probes back off from 2 s, doubling, capped so a healed part is seen within PROBE_MAX_MS (under a minute)', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 50].map(probeDelayMs),
      [2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000],
    );
    assert.ok(PROBE_MAX_MS < 60_000);
  });

  it('only a cancel --now of a campaign whose store is lost ends without writing; a plain cancel waits for the store', () => {
    const lost = noteBlocked(
      undefined,
      { part: 'store', code: STORE_LOST, message: 'store: REPORT_DIR gone' },
      T0,
    );
    assert.equal(endsWithoutWriting(lost, { cancelNow: true }), true);
    assert.equal(endsWithoutWriting(lost, { cancelNow: false }), false);
    assert.equal(
      endsWithoutWriting(noteBlocked(undefined, enospc, T0), { cancelNow: true }),
      false,
      'a full disk heals: its lines are written',
    );
    assert.equal(endsWithoutWriting(undefined, { cancelNow: true }), false);
  });

  it('activity failures of an own part (their attempts spent) are faults; others are not', () => {
    assert.deepEqual(
      faultOfFailure(WRONG_REPORT_STORE, "this worker's report store /a holds nothing of campaign c"),
      {
        part: 'store',
        code: WRONG_STORE,
        message: "store: this worker's report store /a holds nothing of campaign c",
      },
    );
    assert.deepEqual(faultOfFailure(WRONG_KOOPHONE_ACCOUNT, 'this worker talks to the KooPhone account B'), {
      part: 'credentials',
      code: WRONG_ACCOUNT,
      message: 'credentials: this worker talks to the KooPhone account B',
    });
    assert.equal(faultOfFailure('InvalidSource', 'bad id'), undefined);
    assert.equal(faultOfFailure(undefined, 'TypeError'), undefined);
  });

  it('a blocked answer is told from a result', () => {
    assert.equal(isBlockedAnswer({ blocked: enospc }), true);
    assert.equal(isBlockedAnswer(12), false);
    assert.equal(isBlockedAnswer({ location: '/r', lines: 3, duplicates: 0 }), false);
    assert.equal(isBlockedAnswer({ blocked: 'yes' }), false);
    assert.equal(isBlockedAnswer(null), false);
  });

  it('an item its store stopped goes back so that no call is lost or sent again', () => {
    const item: WorkItem = {
      key: 'b0000004',
      batchNo: 4,
      round: 0,
      range: { start: 400, end: 500 },
      resets: 0,
      submitAttempts: 0,
      notBefore: 0,
    };
    const accepted: JobJournal = { taskId: 't1', jobs: [{ instanceId: 'p1', jobId: 'j1' }], submittedAt: T0 };
    const refused: JobJournal = {
      taskId: '',
      jobs: [],
      submittedAt: T0,
      answered: true,
      refused: true,
      uncertain: 0,
    };
    const retry: ResetBatchResult = {
      kind: 'retry',
      code: 'APIGW.0308',
      message: 'throttled',
      throttled: true,
      ambiguous: false,
      calls: 1,
      uncertain: 0,
    };
    // Nothing sent: as it came (handed over if it came so: its journal may hold an accepted call).
    assert.deepEqual(itemBack(item, {}), { to: 'unsent', item });
    assert.deepEqual(itemBack({ ...item, handedOver: true }, {}), {
      to: 'handedOver',
      item: { ...item, handedOver: true },
    });
    // Its journal an earlier store refused, refused again: it keeps travelling with the item.
    assert.deepEqual(itemBack({ ...item, journal: refused }, {}), {
      to: 'unsent',
      item: { ...item, journal: refused },
    });
    // Accepted, its journal written (its lines were not): tracked again from the store's journal.
    assert.deepEqual(itemBack(item, { accepted: true }), { to: 'handedOver', item });
    // Accepted, its journal refused: the accepted call travels with the item, written first next time.
    assert.deepEqual(itemBack(item, { accepted: true, unwritten: accepted }), {
      to: 'handedOver',
      item: { ...item, journal: accepted },
    });
    // Refused by KooPhone, its mark refused by the store: a result as usual, the mark with the item.
    assert.deepEqual(itemBack(item, { unwritten: refused, result: retry }), {
      to: 'results',
      item: { ...item, journal: refused },
      result: retry,
    });
  });
});
