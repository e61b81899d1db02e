import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LanePacer } from '../../src/activities/lane-pacer';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(new Error('aborted'))), { once: true });
  });

// Calls 50 ms apart (rate 20), as Date.now() sees them: timers fire to the millisecond, and a
// busy machine's clock reads round either way, so a few ms of slack; a burst would be ~0 ms.
const SPACED = 45;
// A late call's slot moves to a quarter interval before it: the next goes 37.5 ms after it.
const MOVED = 33;

describe('lane pacer', () => {
  it('spaces calls by 1/rate from when the previous one really went', async () => {
    const pacer = new LanePacer({ notBefore: Date.now(), until: Infinity, stallMs: 5000 }, () => 20, sleep, new AbortController().signal);
    const at: number[] = [];
    for (let i = 0; i < 5; i++) {
      assert.equal(await pacer.turn().next(), 'go');
      pacer.sent();
      at.push(Date.now());
    }
    for (let i = 1; i < at.length; i++) assert.ok(at[i]! - at[i - 1]! >= SPACED, `gap ${at[i]! - at[i - 1]!}`);
  });

  it('after a stall sends later, never a burst to catch up', async () => {
    const pacer = new LanePacer({ notBefore: Date.now(), until: Infinity, stallMs: 5000 }, () => 20, sleep, new AbortController().signal);
    await pacer.turn().next();
    pacer.sent();
    const busyUntil = Date.now() + 300; // the event loop blocked: six slots' worth
    while (Date.now() < busyUntil);
    const at = [];
    for (let i = 0; i < 3; i++) {
      await pacer.turn().next();
      pacer.sent();
      at.push(Date.now());
    }
    // The late call's slot moves to a quarter interval before it: the next goes three quarters of
    // an interval after it, the one after that a whole interval later. The six passed stay unused.
    assert.ok(at[1]! - at[0]! >= MOVED && at[2]! - at[1]! >= SPACED, `${at[1]! - at[0]!} ${at[2]! - at[1]!}`);
  });

  it('serves concurrent callers one at a time, in order', async () => {
    const pacer = new LanePacer({ notBefore: Date.now(), until: Infinity, stallMs: 5000 }, () => 50, sleep, new AbortController().signal);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map(async (i) => (await pacer.turn().next(), order.push(i), pacer.sent())));
    assert.deepEqual(order, [0, 1, 2, 3]);
  });

  it('serves places in the order they were taken, not the order their callers come to ask', async () => {
    const pacer = new LanePacer({ notBefore: Date.now(), until: Infinity, stallMs: 5000 }, () => 50, sleep, new AbortController().signal);
    const [slow, tracked, fresh] = [pacer.turn(), pacer.turn(), pacer.turn()];
    const order: string[] = [];
    const ask = async (name: string, turn: typeof slow) => {
      assert.equal(await turn.next(), 'go');
      order.push(name);
      pacer.sent();
    };
    // The fresh item asks first; the slow one (its journal read took a while) asks last; the
    // tracked one needs no call and gives its place up.
    const asked = [ask('fresh', fresh)];
    await new Promise((r) => setTimeout(r, 30));
    tracked.pass();
    asked.push(ask('slow', slow));
    await Promise.all(asked);
    assert.deepEqual(order, ['slow', 'fresh']);
  });

  it('a place given up after its go frees the line at once; a place asked after it was given up is told to stop', async () => {
    const pacer = new LanePacer({ notBefore: Date.now(), until: Infinity, stallMs: 5000 }, () => 50, sleep, new AbortController().signal);
    const [failing, next] = [pacer.turn(), pacer.turn()];
    assert.equal(await failing.next(), 'go');
    const started = Date.now();
    failing.pass(); // its mark could not be written: it never sends
    assert.equal(await next.next(), 'go');
    pacer.sent();
    assert.ok(Date.now() - started < 1000, 'not held for the 5 s a silent caller gets');
    const given = pacer.turn();
    given.pass();
    assert.equal(await given.next(), 'stop');
  });

  it('a slow journal write makes its own call late: the next one goes three quarters of an interval after it', async () => {
    const pacer = new LanePacer({ notBefore: Date.now(), until: Infinity, stallMs: 5000 }, () => 20, sleep, new AbortController().signal);
    assert.equal(await pacer.turn().next(), 'go');
    const second = pacer.turn().next();
    await new Promise((r) => setTimeout(r, 200)); // the mark's write took 200 ms
    pacer.sent();
    const sentAt = Date.now();
    await second;
    assert.ok(Date.now() - sentAt >= MOVED, `only ${Date.now() - sentAt} ms after the call went`);
  });

  it('holds share + 1 calls in any second, whatever its writes and stalls take', async () => {
    // Rate 20 for 45 calls, each mark's write taking 0 to 1.5 intervals, and two stalls.
    const pacer = new LanePacer({ notBefore: Date.now(), until: Infinity, stallMs: 5000 }, () => 20, sleep, new AbortController().signal);
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const at: number[] = [];
    for (let i = 0; i < 45; i++) {
      assert.equal(await pacer.turn().next(), 'go');
      await new Promise((r) => setTimeout(r, Math.floor(random() * 75)));
      if (i === 10 || i === 30) {
        const busyUntil = Date.now() + 170;
        while (Date.now() < busyUntil);
      }
      pacer.sent();
      at.push(Date.now());
    }
    const most = Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 1000).length));
    assert.ok(most <= 21, `${most} calls in one second`);
  });

  it('stops at the end of its term, when stopped, and when its process stalled past the limit', async () => {
    const ended = new LanePacer({ notBefore: Date.now(), until: Date.now() + 80, stallMs: 5000 }, () => 10, sleep, new AbortController().signal);
    assert.equal(await ended.turn().next(), 'go');
    ended.sent();
    assert.equal(await ended.turn().next(), 'stop');
    assert.equal(ended.stopped, 'term ended');

    const stopped = new LanePacer({ notBefore: Date.now(), until: Infinity, stallMs: 5000 }, () => 10, sleep, new AbortController().signal);
    stopped.stop('budget');
    assert.equal(await stopped.turn().next(), 'stop');

    const aborted = new AbortController();
    const canceled = new LanePacer({ notBefore: Date.now() + 10_000, until: Infinity, stallMs: 5000 }, () => 10, sleep, aborted.signal);
    const pending = canceled.turn().next();
    aborted.abort();
    assert.equal(await pending, 'stop');

    const stalling = new LanePacer(
      { notBefore: Date.now() + 20, until: Infinity, stallMs: 50 },
      () => 10,
      async (ms) => {
        await new Promise((r) => setTimeout(r, ms + 200)); // wakes 200 ms late
      },
      new AbortController().signal,
    );
    assert.equal(await stalling.turn().next(), 'stop');
    assert.match(stalling.stopped!, /stalled/);
  });
});
