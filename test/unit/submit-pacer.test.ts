import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { SubmitPacer, type MissedSlot } from '../../src/activities/submit-pacer';

/** How long one pacer.wait takes, run inside an activity context (the pacer sleeps through it). */
async function timed(
  pacer: SubmitPacer,
  slotAt: number,
  intervalMs: number,
  scheduledAt?: number,
): Promise<number> {
  const env = new MockActivityEnvironment();
  const t0 = Date.now();
  await env.run(() => pacer.wait('c1', slotAt, intervalMs, scheduledAt));
  return Date.now() - t0;
}

describe('submit pacer', { timeout: 20_000 }, () => {
  it('waits for a slot that is still ahead', async () => {
    const now = Date.now();
    const waited = await timed(new SubmitPacer(), now + 300, 50, now);
    assert.ok(waited >= 250, `waited ${waited} ms for a slot 300 ms ahead`);
  });

  it('never waits longer than the lead the workflow gave, whatever the clocks say', async () => {
    // The server's clock (slotAt, scheduledAt) is an hour ahead of this worker's, as on a time-
    // skipping test server or a worker with a slow clock: the lead is 200 ms, so is the wait.
    const serverNow = Date.now() + 3_600_000;
    const waited = await timed(new SubmitPacer(), serverNow + 200, 50, serverNow);
    assert.ok(waited >= 150 && waited < 5_000, `waited ${waited} ms, lead was 200 ms`);
  });

  it('spaces overdue calls from the last one it sent instead of bursting them', async () => {
    const pacer = new SubmitPacer();
    const past = Date.now() - 10_000;
    const t0 = Date.now();
    for (let i = 0; i < 4; i += 1) await timed(pacer, past + i, 150, past - 1000);
    const total = Date.now() - t0;
    // The first goes at once, the three after it 150 ms apart.
    assert.ok(
      total >= 400,
      `4 overdue calls took ${total} ms, expected 3 × 150 ms of spacing (less timer slack)`,
    );
  });

  it('hands back a call later than the tolerance, at once and without holding a slot', async () => {
    const pacer = new SubmitPacer();
    const env = new MockActivityEnvironment();
    const now = Date.now();
    const t0 = Date.now();
    const missed: MissedSlot | undefined = await env.run(() =>
      pacer.wait('c1', now - 1000, 100, now - 2000, 100),
    );
    assert.ok(missed && missed.lateMs >= 1000, `missed: ${JSON.stringify(missed)}`);
    assert.ok(Date.now() - t0 < 50, 'a missed slot is not waited for');
    // Within the tolerance a late call still goes, and the missed one did not push it back.
    const late = await env.run(() => pacer.wait('c1', Date.now() - 40, 100, now - 2000, 100));
    assert.equal(late, undefined);
  });

  it('hands back a call whose wait ended too late because the process stalled', async () => {
    const pacer = new SubmitPacer();
    const env = new MockActivityEnvironment();
    const now = Date.now();
    const waiting: Promise<MissedSlot | undefined> = env.run(() => pacer.wait('c1', now + 50, 100, now, 100));
    // The event loop blocked past the slot, as a CPU-starved or SIGSTOPped worker would be.
    while (Date.now() < now + 400);
    const missed: MissedSlot | undefined = await waiting;
    assert.ok(missed && missed.lateMs >= 250, `missed: ${JSON.stringify(missed)}`);
  });
});
