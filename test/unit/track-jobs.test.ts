import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { trackJobs, type TrackedJobs } from '../../src/activities/track-jobs';
import type { KoophoneClient } from '../../src/koophone';

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
});
