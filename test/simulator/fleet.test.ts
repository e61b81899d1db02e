import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startSimulator } from '../../src/simulator';
import type { RunningSimulator } from '../../src/simulator';

const started: RunningSimulator[] = [];
async function sim(options: Parameters<typeof startSimulator>[0]): Promise<RunningSimulator> {
  const running = await startSimulator({ port: 0, ...options });
  started.push(running);
  return running;
}
after(async () => {
  await Promise.all(started.map((s) => s.close()));
});

void describe('seeded fleet', () => {
  void it('ids look like KooPhone ids (8 lowercase alphanumerics), are unique and map back to their index', async () => {
    const s = await sim({ instances: 200_000, seed: 7 });
    const ids = s.fleet.ids(0, s.fleet.size);
    assert.equal(ids.length, 200_000);
    assert.equal(new Set(ids).size, 200_000);
    for (const [index, id] of ids.entries()) {
      if (!/^[0-9a-z]{8}$/.test(id)) assert.fail(`id ${id} at ${index}`);
      if (index % 997 === 0) assert.equal(s.fleet.indexOf(id), index);
    }
    assert.equal(s.fleet.indexOf('not-an-id'), -1);
    assert.equal(s.fleet.indexOf('A44UHLF7'), -1);
  });

  void it('the same seed gives the same fleet; another seed another', async () => {
    const [a, b, c] = await Promise.all([
      sim({ instances: 500, seed: 3 }),
      sim({ instances: 500, seed: 3 }),
      sim({ instances: 500, seed: 4 }),
    ]);
    assert.deepEqual(a.fleet.ids(0, 500), b.fleet.ids(0, 500));
    assert.notDeepEqual(a.fleet.ids(0, 500), c.fleet.ids(0, 500));
    // The first instances of a larger fleet with the same seed are the same phones.
    const big = await sim({ instances: 5000, seed: 3 });
    assert.deepEqual(big.fleet.ids(0, 500), a.fleet.ids(0, 500));
    assert.equal(a.fleet.indexOf(big.fleet.idAt(4000)), -1, 'an id beyond the fleet is not in it');
  });

  void it('frozen and in-recovery instances at start follow the rates and the seed', async () => {
    const s = await sim({
      instances: 4000,
      seed: 11,
      frozenRate: 0.1,
      recoveringRate: 0.05,
      recoveringDurationMs: 200,
    });
    const views = s.fleet.ids(0, 4000).map((id) => s.instance(id));
    const frozen = views.filter((v) => v?.frozen).length;
    const recovering = views.filter((v) => v?.recoveringUntil !== null).length;
    assert.ok(frozen > 300 && frozen < 500, `frozen ${frozen}`);
    assert.ok(recovering > 120 && recovering < 280, `recovering ${recovering}`);
    const again = await sim({ instances: 4000, seed: 11, frozenRate: 0.1 });
    assert.deepEqual(
      again.fleet.ids(0, 4000).filter((id) => again.instance(id)?.frozen),
      s.fleet.ids(0, 4000).filter((id) => s.instance(id)?.frozen),
    );
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(
      s.fleet.ids(0, 4000).filter((id) => s.instance(id)?.recoveringUntil !== null).length,
      0,
      'recovery ends',
    );
  });

  void it('regions are spread over the fleet', async () => {
    const s = await sim({ instances: 3000, regions: 3 });
    const counts = new Map<string, number>();
    for (const id of s.fleet.ids(0, 3000)) {
      const region = s.instance(id)?.region ?? '?';
      counts.set(region, (counts.get(region) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort(), ['cn-east-3', 'cn-north-4', 'cn-south-1']);
    for (const count of counts.values()) assert.ok(count > 800, String(count));
  });
});
