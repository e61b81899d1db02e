import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import {
  buildNotification,
  idempotencyKey,
  notifyEventOf,
  type NotificationFacts,
} from '../../src/campaign/notification';
import { emptyCounts } from '../../src/campaign/outcome';
import type { CampaignState } from '../../src/campaign/status';
import { flagsOf, parseCampaignFlags } from '../../src/cli/campaign-options';
import { CliError } from '../../src/cli/exit-codes';
import { readNotifyTarget } from '../../src/cli/notify-target';
import { projectRoot } from '../../src/project-root';

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(
  JSON.parse(
    readFileSync(join(projectRoot, 'docs', 'schemas', 'notification.schema.json'), 'utf8'),
  ) as object,
);
function assertValid(payload: unknown): void {
  assert.ok(validate(payload), `${ajv.errorsText(validate.errors)}\n${JSON.stringify(payload)}`);
}

const facts = (over: Partial<NotificationFacts> = {}): NotificationFacts => ({
  event: 'completed',
  campaignId: 'nightly-42',
  seq: 3,
  state: 'completed',
  at: '2026-12-08T02:00:00.000Z',
  total: 1200,
  counts: { ...emptyCounts(), succeeded: 1180, failed: 15, skipped: 5 },
  resetsSent: 1212,
  report: '/srv/reports/nightly-42',
  ...over,
});

describe('--notify events', () => {
  it('one event per state change: blocked on entering blocked, unblocked on leaving it alive, each ending once', () => {
    const walk = (states: CampaignState[]) => {
      let before: CampaignState | undefined;
      return states.flatMap((s) => {
        const e = notifyEventOf(before, s);
        before = s;
        return e ? [e] : [];
      });
    };
    assert.deepEqual(
      walk(['running', 'blocked', 'blocked', 'running', 'paused', 'blocked', 'paused', 'completed']),
      ['blocked', 'unblocked', 'blocked', 'unblocked', 'completed'],
    );
    assert.deepEqual(walk(['running', 'canceling', 'canceled']), ['canceled']);
    assert.deepEqual(walk(['running', 'blocked', 'aborted']), ['blocked', 'aborted']);
    assert.deepEqual(walk(['running', 'blocked', 'canceling', 'canceled']), [
      'blocked',
      'unblocked',
      'canceled',
    ]);
    assert.deepEqual(walk(['failed']), ['failed']);
    assert.deepEqual(walk(['completed', 'completed']), ['completed']);
    assert.deepEqual(walk(['running', 'paused', 'running']), []);
  });

  it('the payload: valid against docs/schemas/notification.schema.json, its key per campaign and event number, a one-line text', () => {
    const done = buildNotification(facts());
    assertValid(done);
    assert.equal(done.idempotencyKey, 'nightly-42/3/completed');
    assert.equal(done.idempotencyKey, idempotencyKey('nightly-42', 3, 'completed'));
    assert.notEqual(idempotencyKey('nightly-42', 4, 'completed'), done.idempotencyKey);
    assert.deepEqual(done.counts, {
      succeeded: 1180,
      failed: 15,
      timedOut: 0,
      rejected: 0,
      missingJob: 0,
      skipped: 5,
      canceled: 0,
    });
    assert.equal(
      done.text,
      'koophone-reset campaign nightly-42 :white_check_mark: completed: 1,180 succeeded, 15 failed, 5 skipped of 1,200 (1,212 resets sent); report /srv/reports/nightly-42',
    );

    const aborted = buildNotification(
      facts({ event: 'aborted', state: 'aborted', reason: 'error budget exceeded:\n 13 errors of 10%' }),
    );
    assertValid(aborted);
    assert.equal(aborted.reason, 'error budget exceeded: 13 errors of 10%');
    assert.match(
      aborted.text,
      /^koophone-reset campaign nightly-42 :octagonal_sign: aborted: .*; error budget exceeded: 13 errors of 10%; report \S+$/,
    );

    // A status's counts (as blocked events take them) read the same as a result's.
    const status = {
      succeeded: 2,
      failed: 0,
      timedOut: 0,
      rejected: 1,
      missingJob: 0,
      skipped: 0,
      canceled: 0,
      pending: 9,
    };
    const blocked = buildNotification(
      facts({
        event: 'blocked',
        state: 'blocked',
        seq: 1,
        counts: status,
        report: undefined,
        blockedBy: 'store: ENOSPC — free space',
      }),
    );
    assertValid(blocked);
    assert.equal(
      blocked.text,
      'koophone-reset campaign nightly-42 :warning: blocked: 2 succeeded, 1 rejected of 1,200 (1,212 resets sent); store: ENOSPC — free space',
    );
    const unblocked = buildNotification(
      facts({ event: 'unblocked', state: 'running', seq: 2, counts: emptyCounts(), report: undefined }),
    );
    assertValid(unblocked);
    assert.match(unblocked.text, /unblocked: none finished of 1,200/);
    for (const n of [done, aborted, blocked, unblocked]) assert.doesNotMatch(n.text, /\n/);
  });

  it('a --notify URL: http(s) only; the options keep a reference and the host, never its path or token', () => {
    const url = 'https://hooks.example.com/services/T0/B0/s3cretpath?token=s3cret';
    const { target, url: kept } = readNotifyTarget(url);
    assert.equal(kept, url);
    assert.deepEqual(target, { to: 'https://hooks.example.com/…', ref: target.ref });
    assert.match(target.ref, /^[0-9a-f]{32}$/);
    assert.equal(readNotifyTarget(url).target.ref, target.ref, 'the same URL, the same ref');

    const options = parseCampaignFlags({ notify: url, notifyRetryFor: '2m' });
    assert.deepEqual(options.notify, target);
    assert.equal(options.notifyRetryForMs, 120_000);
    assert.doesNotMatch(JSON.stringify(options), /s3cret/);
    // rerun and schedule update start from the old options' flags: the same target comes back.
    assert.deepEqual(parseCampaignFlags(flagsOf(options)).notify, target);
    assert.equal(parseCampaignFlags({}).notify, undefined);
    assert.equal(parseCampaignFlags({}).notifyRetryForMs, 600_000);

    for (const [bad, why] of [
      ['ftp://example.com/x', /^--notify: must be an http:\/\/ or https:\/\/ URL \(got a ftp: URL\)$/],
      ['hooks.example.com/x', /^--notify: must be an http:\/\/ or https:\/\/ URL$/],
      ['file:///etc/passwd', /^--notify: must be an http:\/\/ or https:\/\/ URL \(got a file: URL\)$/],
    ] as const) {
      assert.throws(
        () => parseCampaignFlags({ notify: bad }),
        (e: unknown) => e instanceof CliError && e.exitCode === 2 && why.test(e.message),
        bad,
      );
    }
    assert.throws(
      () => parseCampaignFlags({ notify: 'https://x.example/', notifyRetryFor: '0s' }),
      (e: unknown) =>
        e instanceof CliError && e.exitCode === 2 && /--notify-retry-for must be at least 1s/.test(e.message),
    );
  });
});
