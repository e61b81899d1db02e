// The pure decisions of the pre-flight, the batch layout, the pool budget and rerun's defaults.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  batchCount,
  batchesRange,
  batchLayout,
  batchRange,
  segmentOf,
  spoolStartOf,
} from '../../src/campaign/batch-layout';
import {
  FleetFacts,
  listingMethod,
  planPreflight,
  UNKNOWN_POOL,
  verdictOf,
  type FleetFact,
} from '../../src/campaign/fleet-facts';
import { poolLimitOf, PoolGate } from '../../src/campaign/pool-budget';
import { LeftOut, rerunTakes } from '../../src/campaign/rerun-selection';
import { campaignOptionsSchema } from '../../src/campaign/options';
import type { CampaignView } from '../../src/campaign/status';
import { nextStep } from '../../src/cli/next-step';
import { listingDue, listingStale, listingUntil } from '../../src/workflows/engine/listing-age';

const fact = (region: string, extra: Partial<FleetFact> = {}): FleetFact => ({
  region,
  frozen: false,
  loginStatus: 0,
  assignStatus: 0,
  ...extra,
});

void describe('pre-flight verdicts', () => {
  void it('not in the fleet and frozen are refused for good; in use, backup, restore skipped unless asked', () => {
    assert.equal(verdictOf(undefined, false)?.code, 'NOT_IN_FLEET');
    assert.equal(verdictOf(undefined, true)?.outcome, 'rejected');
    assert.deepEqual(
      [
        verdictOf(fact('r', { frozen: true }), true)?.outcome,
        verdictOf(fact('r', { frozen: true }), true)?.code,
      ],
      ['rejected', 'KOOPHONE.API.2004'],
    );
    assert.equal(verdictOf(fact('r', { loginStatus: 1 }), false)?.code, 'IN_USE');
    assert.equal(verdictOf(fact('r', { assignStatus: 2 }), false)?.code, 'IN_USE');
    assert.match(verdictOf(fact('r', { assignStatus: 1, assignUser: 'alice' }), false)!.message, /by alice/);
    assert.equal(verdictOf(fact('r', { backupStatus: 1 }), false)?.code, 'BACKUP_RUNNING');
    assert.equal(verdictOf(fact('r', { backupStatus: 0 }), false)?.code, 'BACKUP_RUNNING');
    assert.equal(verdictOf(fact('r', { restoreStatus: 1 }), false)?.code, 'RESTORE_RUNNING');
    // Ended backups (2 succeeded, 3 failed, 4 other) do not stop a reset.
    for (const backupStatus of [2, 3, 4])
      assert.equal(verdictOf(fact('r', { backupStatus }), false), undefined);
    assert.equal(verdictOf(fact('r', { loginStatus: 1, backupStatus: 1 }), true), undefined);
    assert.equal(verdictOf(fact('r'), false), undefined);
  });

  void it('holds a listing compactly: region and pool for every phone, the whole fact for notable ones', () => {
    const facts = new FleetFacts();
    facts.set('a', fact('cn-north-4', { pool: 'p', backupStatus: 2 }));
    facts.set('b', fact('cn-north-4', { pool: 'p', loginStatus: 1, assignUser: 'eve' }));
    assert.deepEqual(facts.get('a'), fact('cn-north-4', { pool: 'p' }), 'an ended backup says nothing');
    assert.deepEqual(facts.get('b'), fact('cn-north-4', { pool: 'p', loginStatus: 1, assignUser: 'eve' }));
    assert.equal(facts.get('c'), undefined);
    facts.set('b', fact('cn-east-3'));
    assert.deepEqual(facts.get('b'), fact('cn-east-3'), 'a later listing replaces the fact');
    assert.equal(facts.size, 2);
  });

  void it('lists each id when that is fewer calls than the fleet pages, else the fleet', () => {
    assert.equal(listingMethod(5, 1_000_000), 'ids');
    assert.equal(listingMethod(999, 1_000_000), 'ids');
    assert.equal(listingMethod(1000, 1_000_000), 'fleet');
    assert.equal(listingMethod(3, 3000), 'fleet');
    assert.equal(listingMethod(2, 3000), 'ids');
  });

  void it('groups by region (then pool with a budget), keeps the source order inside, and cuts batches at the edges', () => {
    const facts = new FleetFacts();
    const ids: string[] = [];
    for (let i = 0; i < 250; i++) {
      const id = `p${i}`;
      ids.push(id);
      facts.set(id, fact(['cn-south-1', 'cn-east-3'][i % 2]!, { pool: `pool-${i % 5}` }));
    }
    ids.push('ghost', 'busy', 'cold');
    facts.set('busy', fact('cn-east-3', { loginStatus: 1 }));
    facts.set('cold', fact('cn-east-3', { frozen: true }));
    const plan = planPreflight({ ids, facts, includeInUse: false, batchSize: 100, poolSizes: new Map() });
    assert.deepEqual(plan.counts.regions, [
      { region: 'cn-east-3', phones: 125 },
      { region: 'cn-south-1', phones: 125 },
    ]);
    assert.deepEqual(
      plan.answered.map((a) => [a.id, a.verdict.code]),
      [
        ['ghost', 'NOT_IN_FLEET'],
        ['busy', 'IN_USE'],
        ['cold', 'KOOPHONE.API.2004'],
      ],
    );
    assert.deepEqual(plan.order.slice(0, 3), ['p1', 'p3', 'p5']);
    assert.deepEqual(
      plan.segments.map((s) => [s.start, s.end, s.size, s.region]),
      [
        [0, 125, 100, 'cn-east-3'],
        [125, 250, 100, 'cn-south-1'],
      ],
    );
    // 250 phones in two regions of 125: four batches, none crossing a region.
    const layout = batchLayout(plan.segments, 250, 100);
    assert.equal(batchCount(layout), 4);
    assert.deepEqual(
      [0, 1, 2, 3].map((b) => batchRange(layout, b)),
      [
        { start: 0, end: 100 },
        { start: 100, end: 125 },
        { start: 125, end: 225 },
        { start: 225, end: 250 },
      ],
    );
    for (let b = 0; b < 4; b++) {
      const { start, end } = batchRange(layout, b);
      const regions = new Set(plan.order.slice(start, end).map((id) => facts.get(id)!.region));
      assert.equal(regions.size, 1);
      assert.equal(segmentOf(layout, b).region, [...regions][0]);
    }
    assert.deepEqual(batchesRange(layout, 1, 3), { start: 100, end: 225 });
    assert.equal(spoolStartOf(layout, 4), 250);
  });

  void it('with a pool budget: segments per region and pool, batches no larger than the pool limit', () => {
    const facts = new Map<string, FleetFact>();
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) {
      ids.push(`p${i}`);
      facts.set(`p${i}`, fact('cn-north-4', { pool: i < 200 ? 'big' : 'small' }));
    }
    ids.push('nopool');
    facts.set('nopool', fact('cn-north-4'));
    const plan = planPreflight({
      ids,
      facts,
      includeInUse: false,
      batchSize: 100,
      maxPerPool: { kind: 'percent', value: 10 },
      poolSizes: new Map([
        ['big', 2000],
        ['small', 150],
        [UNKNOWN_POOL, 5000],
      ]),
    });
    assert.deepEqual(plan.pools, [
      { name: UNKNOWN_POOL, size: 5000, limit: 500 },
      { name: 'big', size: 2000, limit: 200 },
      { name: 'small', size: 150, limit: 15 },
    ]);
    assert.deepEqual(
      plan.segments.map((s) => [s.pool, s.end - s.start, s.size]),
      [
        [UNKNOWN_POOL, 1, 100],
        ['big', 200, 100],
        ['small', 100, 15],
      ],
    );
    assert.equal(batchCount(batchLayout(plan.segments, 301, 100)), 1 + 2 + 7);
  });

  void it('refuses more region × pool groups than a layout may carry', () => {
    const facts = new Map<string, FleetFact>();
    const ids = Array.from({ length: 600 }, (_, i) => `p${i}`);
    for (const [i, id] of ids.entries()) facts.set(id, fact('r', { pool: `pool-${i}` }));
    assert.throws(
      () =>
        planPreflight({
          ids,
          facts,
          includeInUse: false,
          batchSize: 100,
          maxPerPool: { kind: 'count', value: 5 },
          poolSizes: new Map(),
        }),
      /600 region × pool groups, more than 500: split the campaign/,
    );
  });

  void it('a layout-less campaign (earlier versions) has batches of batchSize over the spool', () => {
    const layout = batchLayout(undefined, 1050, 100);
    assert.equal(batchCount(layout), 11);
    assert.deepEqual(batchRange(layout, 10), { start: 1000, end: 1050 });
    assert.equal(spoolStartOf(layout, 3), 300);
  });
});

void describe('pool budget', () => {
  void it('N phones, or P % of the pool rounded down, at least one', () => {
    assert.equal(poolLimitOf({ kind: 'percent', value: 10 }, 1000), 100);
    assert.equal(poolLimitOf({ kind: 'percent', value: 10 }, 99), 9);
    assert.equal(poolLimitOf({ kind: 'percent', value: 10 }, 5), 1);
    assert.equal(poolLimitOf({ kind: 'count', value: 20 }, 5), 20);
    assert.deepEqual(campaignOptionsSchema.parse({ maxPerPool: '10%' }).maxPerPool, {
      kind: 'percent',
      value: 10,
    });
    assert.equal(campaignOptionsSchema.safeParse({ maxPerPool: '0' }).success, false);
    assert.equal(campaignOptionsSchema.safeParse({ maxPerPool: '0%' }).success, false);
  });

  void it('takes phones while they fit, forced ones always, and wakes waiters when phones are given back', async () => {
    const gate = new PoolGate([{ name: 'a', size: 100, limit: 10 }]);
    assert.equal(gate.take('a', 6), true);
    assert.equal(gate.take('a', 6), false);
    assert.equal(gate.take('a', 4), true);
    assert.equal(gate.fits('a', 1), false);
    assert.equal(gate.take('a', 3, true), true, 'a hand-over is counted whatever the budget');
    assert.equal(gate.running('a'), 13);
    assert.equal(gate.take('other', 500), true, 'a pool the budget does not know has no limit');
    let woke = false;
    const waiting = gate.changed().then(() => (woke = true));
    gate.give('a', 7);
    await waiting;
    assert.equal(woke, true);
    assert.equal(gate.fits('a', 4), true);
    assert.equal(gate.fits('a', 5), false);
  });
});

void describe('rerun selection', () => {
  const line = (outcome: string, error_code = '') =>
    ({ instance_id: `id-${outcome}-${error_code}`, outcome, error_code }) as Parameters<
      typeof rerunTakes
    >[0] & { instance_id: string };

  void it('by default: everything not reset that can still be; refused for good and held elsewhere left out', () => {
    const take = (o: string, c = '') => rerunTakes(line(o, c));
    assert.equal(take('succeeded'), false);
    for (const o of ['failed', 'timed_out', 'missing_job', 'canceled']) assert.equal(take(o), true, o);
    assert.equal(take('rejected', 'KOOPHONE.API.2006'), true);
    assert.equal(take('rejected', 'KooPhone.API.2005'), true);
    assert.equal(take('rejected', 'APIGW.0308'), true);
    for (const c of ['KOOPHONE.API.2004', 'KooPhone.API.1012', 'KOOPHONE.API.1001', 'NOT_IN_FLEET'])
      assert.equal(take('rejected', c), false, c);
    for (const c of ['IN_USE', 'BACKUP_RUNNING', 'RESTORE_RUNNING'])
      assert.equal(take('skipped', c), true, c);
    for (const c of ['FROZEN', 'LEASED_BY']) assert.equal(take('skipped', c), false, c);
  });

  void it('--outcome names exactly the outcomes taken, refused ones included', () => {
    const named = new Set(['rejected', 'missing_job'] as const);
    assert.equal(rerunTakes(line('rejected', 'KOOPHONE.API.2004'), named), true);
    assert.equal(rerunTakes(line('failed'), named), false);
  });

  void it('says what it left out, by reason, with examples', () => {
    const left = new LeftOut();
    for (let i = 0; i < 17; i++)
      left.add({ instance_id: `f${i}`, outcome: 'rejected', error_code: 'KOOPHONE.API.2004' });
    left.add({ instance_id: 'x', outcome: 'failed', error_code: 'CPS0005' });
    assert.equal(left.count, 17);
    assert.deepEqual(left.lines(), ['17 refused for good (KOOPHONE.API.2004), e.g. f0, f1, f2, f3, f4, …']);
  });
});

void describe('next step of an ended campaign', () => {
  const view = (over: Partial<CampaignView>): CampaignView => ({
    campaignId: 'c1',
    state: 'completed',
    total: 23,
    pending: 0,
    inFlight: 0,
    succeeded: 23,
    failed: 0,
    timedOut: 0,
    rejected: 0,
    missingJob: 0,
    skipped: 0,
    canceled: 0,
    resetsSent: 23,
    startedAt: '',
    updatedAt: '',
    ...over,
  });

  void it('an aborted campaign names the exact rerun and --max-errors commands', () => {
    const steps = nextStep(view({ state: 'aborted', succeeded: 6, failed: 17, total: 23 }));
    assert.deepEqual(steps, [
      'see why: koophone-reset report c1 --format html --out c1.html',
      'then reset what was not: koophone-reset rerun c1',
      'or, if these failures are expected: koophone-reset rerun c1 --max-errors 75%',
    ]);
  });

  void it('a completed campaign with phones left says how many a rerun resets; a clean one says nothing', () => {
    assert.deepEqual(nextStep(view({ succeeded: 17, missingJob: 6 })), [
      'reset the 6 phones not reset: koophone-reset rerun c1',
    ]);
    assert.deepEqual(nextStep(view({})), []);
  });
});

void describe('how old the listing calls are screened against may grow', () => {
  const MIN = 60_000;
  void it('sends until the bound, lists again when less than a term (or half the bound) is left', () => {
    const until = listingUntil(0, 10 * MIN)!;
    assert.equal(until, 10 * MIN);
    assert.equal(listingUntil(undefined, 10 * MIN), undefined, 'no pre-flight: no bound');
    // Default 30 s terms: listed again 9.5 min in, sending stops 1 s before the bound.
    assert.equal(listingDue(until, 9 * MIN, 30_000, 10 * MIN), false);
    assert.equal(listingDue(until, 9.6 * MIN, 30_000, 10 * MIN), true);
    assert.equal(listingStale(until, 9.9 * MIN), false);
    assert.equal(listingStale(until, 10 * MIN - 500), true);
    // A term as long as the bound: listed again half-way, not before every term.
    assert.equal(listingDue(until, 1000, 10 * MIN, 10 * MIN), false);
    assert.equal(listingDue(until, 5.5 * MIN, 10 * MIN, 10 * MIN), true);
    assert.equal(listingDue(undefined, 99 * MIN, 30_000, 10 * MIN), false);
  });
});
