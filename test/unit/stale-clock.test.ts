import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertTimerReached, StaleClockError } from '../../src/workflows/engine/stale-clock';

// The chaos history c-ee237ea1 (seed 7): idle() waited 2 s from 23:18:27.149; a worker that
// replayed the history for a status query applied the fired timer at that same time and planned
// again on it (another 2 s timer), where any replay plans at 23:18:39.522 (a lane).
const started = Date.parse('2026-12-07T23:18:27.149Z');
const wait = 2000;

describe('a fired timer on a clock that lags it', () => {
  it('fails the activation when the clock is still before the timer end (query replay)', () => {
    assert.throws(() => assertTimerReached(started + wait, started), StaleClockError);
    assert.throws(() => assertTimerReached(started + wait, started + wait - 1), /fired while the workflow clock says/);
  });

  it('lets every recorded wake-up through: its task starts at or after the timer end', () => {
    assert.doesNotThrow(() => assertTimerReached(started + wait, started + wait));
    assert.doesNotThrow(() => assertTimerReached(started + wait, Date.parse('2026-12-07T23:18:39.522Z')));
  });
});
