import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { trackJobs, type TrackedJobs } from '../../src/activities/track-jobs';
import { CLIENT_ERROR_CODES, KoophoneError, type KoophoneClient } from '../../src/koophone';

describe('tracking jobs', { timeout: 20_000 }, () => {
  it('an attempt resuming after the job deadline asks once before judging the jobs timed out', async () => {
    let asked = 0;
    const client = {
      async getTask() {
        asked += 1;
        const done = { status: 2 as const, errorCode: '', errorMsg: '', executeMsg: '' };
        return {
          jobs: [
            { jobId: 'j1', ...done },
            { jobId: 'j2', ...done, status: 1 as const },
          ],
          requestId: 'r',
        };
      },
    } as unknown as KoophoneClient;
    // Submitted a minute ago with a 25 s job timeout: the worker that tracked it died meanwhile.
    const journal = {
      taskId: 't1',
      jobs: [
        { instanceId: 'aaaa0001', jobId: 'j1' },
        { instanceId: 'aaaa0002', jobId: 'j2' },
      ],
      submittedAt: Date.now() - 60_000,
    };
    const t0 = Date.now();
    let tracked: TrackedJobs | undefined;
    await new MockActivityEnvironment().run(async () => {
      tracked = await trackJobs(client, journal, { jobTimeoutMs: 25_000, heartbeatTimeoutMs: 60_000 });
    });
    assert.equal(asked, 1);
    assert.ok(Date.now() - t0 < 1000, 'it asks at once, without a poll interval first');
    assert.equal(tracked?.ended.get('j1')?.status, 2);
    assert.deepEqual(tracked?.timedOut, ['aaaa0002']);
  });

  it('an outage across the job deadline: it keeps asking past the deadline until KooPhone answers', async () => {
    const t0 = Date.now();
    let asked = 0;
    const client = {
      async getTask() {
        asked += 1;
        // KooPhone unreachable for the first 8 s; the jobs ended long before it came back.
        if (Date.now() - t0 < 8000) {
          throw new KoophoneError({
            code: CLIENT_ERROR_CODES.network,
            detail: 'ECONNREFUSED',
            method: 'GET',
            url: '/x',
          });
        }
        const done = { status: 2 as const, errorCode: '', errorMsg: '', executeMsg: '' };
        return { jobs: [{ jobId: 'j1', ...done }], requestId: 'r' };
      },
    } as unknown as KoophoneClient;
    const journal = { taskId: 't1', jobs: [{ instanceId: 'aaaa0001', jobId: 'j1' }], submittedAt: t0 };
    let tracked: TrackedJobs | undefined;
    await new MockActivityEnvironment().run(async () => {
      tracked = await trackJobs(client, journal, { jobTimeoutMs: 1000, heartbeatTimeoutMs: 60_000 });
    });
    assert.equal(tracked?.ended.get('j1')?.status, 2, `ended after ${asked} queries`);
    assert.deepEqual(tracked?.timedOut, []);
    assert.equal(tracked?.unanswered, undefined);
  });

  it('heartbeats through the wait between polls, however short the heartbeat timeout', async () => {
    const t0 = Date.now();
    const client = {
      async getTask() {
        const status = Date.now() - t0 < 4000 ? (1 as const) : (2 as const);
        return {
          jobs: [{ jobId: 'j1', status, errorCode: '', errorMsg: '', executeMsg: '' }],
          requestId: 'r',
        };
      },
    } as unknown as KoophoneClient;
    const journal = { taskId: 't1', jobs: [{ instanceId: 'aaaa0001', jobId: 'j1' }], submittedAt: t0 };
    const env = new MockActivityEnvironment();
    const beats: number[] = [t0];
    env.on('heartbeat', () => beats.push(Date.now()));
    await env.run(() => trackJobs(client, journal, { jobTimeoutMs: 60_000, heartbeatTimeoutMs: 1000 }));
    // Polls at 2 s and 5 s: without beats in between, a 1 s heartbeat timeout would fire.
    const gaps = beats.slice(1).map((t, i) => t - beats[i]!);
    assert.ok(Math.max(...gaps) < 900, `heartbeat gaps ${gaps.join(', ')} ms`);
  });
});
