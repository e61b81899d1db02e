import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { recordEvents } from '../../src/account/coordinator';
import {
  coordinatorFault,
  foldRecord,
  NO_ANSWER,
  NO_WORKER,
  NOT_RECREATED,
  orphaned,
  recreates,
  type RecordEvent,
} from '../../src/account/record';
import { ACCOUNT_TASK_QUEUE } from '../../src/campaign/account-names';
import { describeBlocking, fixFor, noteBlocked } from '../../src/campaign/blocking';
import { loadTemporalSettings } from '../../src/temporal/connection-config';
import { applyChange, hasLimits } from '../../src/campaign/rate-share';
import { HISTORY_DIR } from '../helpers/histories';

const started = (input: unknown, at = 1): RecordEvent => ({ kind: 'started', at, input });
const update = (name: string, arg: unknown, at = 2): RecordEvent => ({ kind: 'update', at, name, arg });
const signal = (name: string, arg: unknown, at = 3): RecordEvent => ({ kind: 'signal', at, name, arg });

describe("the account coordinator's record, folded from its history", () => {
  it('starts from the start input (limits and members carried over by an earlier run)', () => {
    const members = [{ campaignId: 'c-1', rate: 10, joinedAt: 5 }];
    assert.deepEqual(foldRecord([started({ limits: { rate: 4 }, members })]), {
      limits: { rate: 4 },
      members,
    });
  });

  it('applies every accepted setLimits update as the coordinator does: a value replaces, null removes, absent keeps', () => {
    const record = foldRecord([
      started({ limits: {} }),
      update('setLimits', { rate: 10 }),
      update('setLimits', { queryRate: 50 }),
      update('setLimits', { rate: 4 }),
    ]);
    assert.deepEqual(record.limits, { rate: 4, queryRate: 50 });
    const cleared = foldRecord([
      started({ limits: { rate: 4, queryRate: 50 } }),
      update('setLimits', { rate: null, queryRate: null }),
    ]);
    assert.deepEqual(cleared.limits, {});
    assert.equal(recreates(cleared), false, 'a cleared limit is not re-created after a terminate');
    assert.equal(recreates(record), true);
  });

  it('knows every campaign that joined and did not leave, joined at the update time', () => {
    const record = foldRecord([
      started({ limits: { rate: 4 } }),
      update('join', { campaignId: 'a', rate: 10 }, 100),
      update('join', { campaignId: 'b', rate: 3 }, 200),
      update('join', { campaignId: 'c', rate: 5 }, 300),
      signal('leave', 'b'),
      signal('accountShare', { rate: 1 }),
    ]);
    assert.deepEqual(record.members, [
      { campaignId: 'a', rate: 10, joinedAt: 100 },
      { campaignId: 'c', rate: 5, joinedAt: 300 },
    ]);
  });

  it('a re-join replaces the member; a continued run starts from its own input only', () => {
    const record = foldRecord([
      started({ limits: { rate: 4 }, members: [{ campaignId: 'a', rate: 10, joinedAt: 1 }] }),
      update('join', { campaignId: 'a', rate: 6 }, 50),
    ]);
    assert.deepEqual(record.members, [{ campaignId: 'a', rate: 6, joinedAt: 50 }]);
    const next = foldRecord([
      started({ limits: { rate: 4 }, members: [{ campaignId: 'x', rate: 1, joinedAt: 1 }] }),
      started({ limits: { rate: 8 } }),
    ]);
    assert.deepEqual(next, { limits: { rate: 8 }, members: [] });
  });

  it('ignores what is not well formed (any client can start a workflow with this id)', () => {
    const record = foldRecord([
      started({
        limits: { rate: -1, queryRate: 'x' },
        members: [{ campaignId: '', rate: 1 }, { rate: 2 }, 'junk'],
      }),
      update('setLimits', { rate: Number.POSITIVE_INFINITY }),
      update('setLimits', undefined),
      update('join', { campaignId: 'a' }),
      signal('leave', 42),
    ]);
    assert.deepEqual(record, { limits: {}, members: [] });
    assert.deepEqual(foldRecord([]), { limits: {}, members: [] });
    assert.deepEqual(foldRecord([started(undefined)]), { limits: {}, members: [] });
  });
});

describe('what to do about a coordinator', () => {
  const running = (taskQueue: string) => ({ status: 'running' as const, runId: 'r', taskQueue });

  it('moves one on another task queue only when the server says no worker polls it', () => {
    assert.equal(orphaned(running('koophone-reset'), 0), true);
    assert.equal(
      orphaned(running('koophone-reset'), 1),
      false,
      'served where it is: it moves itself at continue-as-new',
    );
    assert.equal(
      orphaned(running('koophone-reset'), undefined),
      false,
      'the server did not say: nothing is moved',
    );
    assert.equal(orphaned(running(ACCOUNT_TASK_QUEUE), 0), false, 'already where every worker polls');
    assert.equal(orphaned({ status: 'none' }, 0), false);
  });

  it('limits: a change applies as the coordinator applies it; none set means none', () => {
    assert.deepEqual(applyChange({ rate: 4 }, { queryRate: 9 }), { rate: 4, queryRate: 9 });
    assert.equal(hasLimits({}), false);
    assert.equal(hasLimits({ queryRate: 3 }), true);
  });
});

describe('the coordinator as a blocking part', () => {
  it('names the task queue no worker polls, and says it was re-created after a terminate', () => {
    const f = coordinatorFault({ code: NO_WORKER, taskQueue: ACCOUNT_TASK_QUEUE, recreated: 'TERMINATED' });
    assert.equal(f.part, 'coordinator');
    assert.match(
      f.message,
      /^coordinator: no worker polls task queue koophone-account, where the account coordinator \(koophone-account\) runs \(re-created after it was terminated\)$/,
    );
    assert.match(
      fixFor(f),
      /start a worker \(koophone-reset worker\): every worker serves the account coordinator on task queue koophone-account/,
    );
    assert.match(fixFor(f), /resumes by itself/);
    const cause = noteBlocked(undefined, f, Date.UTC(2025, 0, 1, 8, 12));
    assert.match(describeBlocking(cause), /after it was terminated\) \(since 08:12 UTC\) — start a worker/);
  });

  it('tells a coordinator that does not answer although polled from one nobody polls', () => {
    const f = coordinatorFault({
      code: NO_ANSWER,
      taskQueue: ACCOUNT_TASK_QUEUE,
      pollers: 2,
      waitedMs: 15_000,
    });
    assert.match(
      f.message,
      /did not answer within 15 s although 2 worker\(s\) poll its task queue koophone-account/,
    );
    assert.match(fixFor(f), /temporal workflow describe --workflow-id koophone-account/);
  });

  it('an ended coordinator that could not be re-created names its recorded limits', () => {
    const f = coordinatorFault({
      code: NOT_RECREATED,
      endedAs: 'TERMINATED',
      limits: { rate: 4, queryRate: 20 },
      error: 'boom',
    });
    assert.match(
      f.message,
      /was terminated and could not be re-created with the recorded limits \(4 batch-reset calls\/s, 20 other calls\/s\): boom/,
    );
    assert.match(fixFor(f), /koophone-reset account --rate N/);
  });
});

describe('the record of a real coordinator history (recorded from the code before this branch)', () => {
  it('folds test/histories/account-coordinator.json: limits set, changed and cleared; two campaigns left, the terminated one still held', () => {
    const json: unknown = JSON.parse(readFileSync(join(HISTORY_DIR, 'account-coordinator.json'), 'utf8'));
    const events = recordEvents(historyFromJSON(json), defaultPayloadConverter);
    const updates = events.filter((e) => e.kind === 'update').map((e) => (e as { name: string }).name);
    assert.deepEqual(updates, ['setLimits', 'join', 'join', 'setLimits', 'join', 'setLimits']);
    const upToChange = foldRecord(
      events.slice(0, 1 + events.findIndex((e, i) => i > 2 && e.kind === 'update' && e.name === 'setLimits')),
    );
    assert.deepEqual(upToChange.limits, { rate: 6, queryRate: 50 });
    assert.equal(upToChange.members.length, 2);
    const record = foldRecord(events);
    assert.deepEqual(record.limits, {}, 'account --clear before the terminate');
    assert.equal(record.members.length, 1, 'the campaign terminated while holding a share never left');
    assert.equal(recreates(record), false);
  });
});

describe("the account's task queue is no campaign's", () => {
  it('TEMPORAL_TASK_QUEUE=koophone-account is refused (the CLI and the worker read it here), naming why', () => {
    assert.throws(
      () => loadTemporalSettings({ TEMPORAL_TASK_QUEUE: ACCOUNT_TASK_QUEUE }),
      /TEMPORAL_TASK_QUEUE "koophone-account" is the account coordinator's, which every worker polls beside its own: choose another/,
    );
    assert.equal(loadTemporalSettings({ TEMPORAL_TASK_QUEUE: 'koophone-reset' }).taskQueue, 'koophone-reset');
  });
});
