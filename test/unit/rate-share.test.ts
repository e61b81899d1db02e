import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allocatable,
  divideLimits,
  fairShares,
  sameShare,
  shareCeiling,
} from '../../src/campaign/rate-share';
import { initialRate, onShareChanged } from '../../src/campaign/rate-slots';

describe('account rate shares', () => {
  it('divides the limit equally when every campaign could use more', () => {
    assert.deepEqual(fairShares(10, [10, 10]), [5, 5]);
    assert.deepEqual(fairShares(9, [50, 50, 50]), [3, 3, 3]);
  });

  it('never gives a campaign more than its own --rate, and hands what it leaves to the others', () => {
    assert.deepEqual(fairShares(10, [2, 20, 20]), [2, 4, 4]);
    assert.deepEqual(fairShares(10, [1, 2, 20]), [1, 2, 7]);
    assert.deepEqual(fairShares(10, [3, 3]), [3, 3], 'an unused remainder is not forced on anyone');
  });

  it('keeps a call per second per extra campaign unallocated, within the 10 % the limit allows', () => {
    assert.equal(allocatable(10, 1), 10);
    assert.equal(allocatable(10, 2), 9);
    assert.equal(allocatable(10, 5), 6);
    assert.equal(allocatable(10, 50), 5, 'never less than half the limit');
    assert.equal(allocatable(100, 3), 100, 'a limit of 100 allows 10 calls over: room for 10 campaigns');
    assert.equal(allocatable(100, 12), 98);
  });

  it('splits the query limit equally and leaves absent limits absent', () => {
    const members = [
      { campaignId: 'a', rate: 5, joinedAt: 0 },
      { campaignId: 'b', rate: 50, joinedAt: 0 },
    ];
    assert.deepEqual(
      [...divideLimits({ rate: 20, queryRate: 30 }, members)],
      [
        ['a', { rate: 5, queryRate: 15 }],
        ['b', { rate: 15, queryRate: 15 }],
      ],
    );
    assert.deepEqual(
      [...divideLimits({}, members)],
      [
        ['a', {}],
        ['b', {}],
      ],
    );
    assert.equal(sameShare({ rate: 5 }, { rate: 5 }), true);
    assert.equal(sameShare({ rate: 5 }, { rate: 5, queryRate: 1 }), false);
  });

  it('a share caps the campaign’s own rate; no share, no cap', () => {
    assert.equal(shareCeiling(10, { rate: 4 }), 4);
    assert.equal(shareCeiling(3, { rate: 4 }), 3);
    assert.equal(shareCeiling(10, undefined), 10);
    assert.equal(shareCeiling(10, {}), 10);
  });

  it('a campaign at its ceiling follows the ceiling at once; one slowed by 429s only stays under it', () => {
    const atCeiling = initialRate(10);
    onShareChanged(atCeiling, 10, 5);
    assert.equal(atCeiling.current, 5);
    onShareChanged(atCeiling, 5, 10);
    assert.equal(atCeiling.current, 10, 'a share given back is used at once');
    const slowed = { ...initialRate(10), current: 3 };
    onShareChanged(slowed, 10, 5);
    assert.equal(slowed.current, 3);
    onShareChanged(slowed, 5, 2);
    assert.equal(slowed.current, 2);
    const adaptive = initialRate(50, true);
    adaptive.current = 8;
    onShareChanged(adaptive, 50, 20);
    assert.equal(adaptive.current, 8, 'an adaptive campaign keeps probing under the new ceiling');
  });
});
