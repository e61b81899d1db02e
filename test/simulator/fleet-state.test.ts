// The fleet as a campaign's pre-flight sees it: regions, phones in use, backups and restores in
// the listing, pools that tests move at run time, and the per-pool sample of running reset jobs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Instance } from '../../src/koophone';
import { POOLS } from '../../src/simulator';
import { useSimulator } from './fixture';

async function listAll(client: ReturnType<ReturnType<typeof useSimulator>['client']>, filter = {}) {
  const all: Instance[] = [];
  for await (const inst of client.iterateInstances(filter, 1000)) all.push(inst);
  return all;
}

void describe('fleet state in the listing', () => {
  const fx = useSimulator({
    instances: 3000,
    seed: 21,
    regions: 3,
    inUseRate: 0.05,
    backingUpRate: 0.01,
    recoveringDurationMs: 600_000,
    jobDurationMs: '1500..1500',
  });

  void it('in-use phones and running backups at start follow their rates; the listing shows them', async () => {
    const all = await listAll(fx.client());
    assert.equal(all.length, 3000);
    const inUse = all.filter((i) => i.loginStatus === 1 && i.assignStatus === 1 && i.assignUser);
    const backingUp = all.filter((i) => i.backupStatus === 1);
    assert.ok(inUse.length > 110 && inUse.length < 190, `in use ${inUse.length}`);
    assert.ok(backingUp.length > 15 && backingUp.length < 50, `backing up ${backingUp.length}`);
    const free = all.find((i) => i.loginStatus === 0 && i.backupStatus === undefined)!;
    assert.equal(free.assignStatus, 0);
    assert.equal(free.assignUser, undefined);
    assert.equal(free.restoreStatus, undefined);
    assert.equal(free.runningStatus, 2);
    assert.ok(POOLS.some((p) => p.name === free.poolName));
    assert.deepEqual([...new Set(all.map((i) => i.region))].sort(), ['cn-east-3', 'cn-north-4', 'cn-south-1']);
    // A backup in progress is refused by the API (2006), as the listing warned.
    await assert.rejects(fx.client().batchReset([backingUp[0]!.instanceId]), /2006/);
  });

  void it('admin patches log users in and out, assign them, and start and end backups and restores', async () => {
    const [id] = fx.ids(1, 1234) as [string];
    const before = fx.sim.setInstance(id, { loggedIn: true, assignUser: 'alice', recoveringForMs: 60_000 });
    assert.equal(before.loggedIn, true);
    assert.equal(before.assignUser, 'alice');
    let [listed] = (await fx.client().listInstances({ pageNo: 1, pageSize: 1, instanceId: id })).instances;
    assert.equal(listed?.loginStatus, 1);
    assert.equal(listed?.assignUser, 'alice');
    assert.equal(listed?.restoreStatus, 1);
    fx.sim.setInstance(id, { loggedIn: false, assignUser: null, recoveringForMs: 0 });
    [listed] = (await fx.client().listInstances({ pageNo: 1, pageSize: 1, instanceId: id })).instances;
    assert.equal(listed?.loginStatus, 0);
    assert.equal(listed?.assignStatus, 0);
    assert.equal(listed?.restoreStatus, undefined);
  });

  void it('a reset logs its user out (the phone is wiped); the assignment stays', async () => {
    const [id] = fx.ids(1, 2222) as [string];
    fx.sim.setInstance(id, { loggedIn: true, assignUser: 'bob', backingUpForMs: 0 });
    await fx.client().batchReset([id]);
    const view = fx.sim.instance(id)!;
    assert.equal(view.loggedIn, false);
    assert.equal(view.assignUser, 'bob');
  });

  void it('pools move at run time: listing filters, sizes and the per-pool samples follow', async () => {
    const ids = fx.ids(30, 600);
    for (const id of ids) fx.sim.setInstance(id, { pool: 'kiosk-pool', backingUpForMs: 0, loggedIn: false });
    const kiosk = await listAll(fx.client(), { poolName: 'kiosk-pool' });
    assert.deepEqual(
      kiosk.map((i) => i.instanceId),
      ids,
    );
    const pools = fx.sim.pools();
    assert.deepEqual(
      pools.pools.map((p) => [p.name, p.size]),
      [
        ['phone-pool-1', 990],
        ['phone-pool-2', 990],
        ['app-pool-1', 990],
        ['kiosk-pool', 30],
      ],
    );
    const phonePool = await listAll(fx.client(), { poolName: 'phone-pool-1' });
    assert.equal(phonePool.length, 990);
    // Ten of the pool's phones reset at once: the sampler sees them running, then done.
    const batch = ids.slice(0, 10);
    const regionOf = new Map(kiosk.map((i) => [i.instanceId, i.region]));
    for (const region of new Set(batch.map((id) => regionOf.get(id)))) {
      await fx.client().batchReset(batch.filter((id) => regionOf.get(id) === region));
    }
    await new Promise((resolve) => setTimeout(resolve, 600));
    const during = fx.sim.pools().pools.find((p) => p.name === 'kiosk-pool')!;
    assert.equal(during.peakRunning, 10);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = fx.sim.pools();
    assert.equal(after.pools.find((p) => p.name === 'kiosk-pool')!.running, 0);
    assert.equal(after.pools.find((p) => p.name === 'kiosk-pool')!.peakRunning, 10);
    assert.ok(after.samples >= 3, `samples ${after.samples}`);
    const http = (await (await fetch(`${fx.sim.url}/__sim/pools`)).json()) as typeof after;
    assert.equal(http.pools.length, 4);
    fx.sim.reset();
    assert.equal(fx.sim.pools().pools.length, 3, 'a reset forgets pools made at run time');
  });
});
