// The overlap check at `start` for a 1 000 000-phone campaign against a running 1 000 000-phone
// campaign that holds half of them (folder store): the time an operator waits before the plan.
// `npx tsx bench/leases.ts [--instances N] [--out DIR]` → DIR/leases.{json,md}.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findOverlap } from '../src/leases';
import { FolderStore } from '../src/report';
import { pinOf, readIdFile } from '../src/sources';

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '1000000' },
    out: { type: 'string', default: 'bench/results' },
  },
});
const n = Number(values.instances);
const id = (i: number) => `ph${i.toString(36).padStart(8, '0')}`;

async function* range(from: number, to: number) {
  for (let i = from; i < to; i++) yield id(i);
}

async function main() {
  const root = mkdtempSync(join(tmpdir(), 'bench-leases-'));
  try {
    const store = new FolderStore(root);
    // The holder: n phones, a tenth of them already finished (their report lines written).
    await store.writeSpool('holder', range(0, n), (total) => ({
      total,
      duplicates: 0,
      skipped: 0,
      sha256: '',
      owner: 'r',
    }));
    await store.registerLease({ campaignId: 'holder', owner: 'r', since: 'now', total: n });
    for (let p = 0; p < n / 10; p += 1000) {
      const lines = Array.from({ length: 1000 }, (_, k) => ({
        instance_id: id(p + k),
        outcome: 'succeeded' as const,
        resets: 1,
        job_id: 'j',
        error_code: '',
        error_msg: '',
        finished_at: '',
      }));
      await store.writePart('holder', `i${String(p).padStart(8, '0')}`, lines);
    }
    // The new campaign's id file: n phones, the second half of the holder's and n/2 others.
    mkdirSync(join(root, 'inputs'));
    const file = join(root, 'inputs', 'new.txt');
    writeFileSync(file, Array.from({ length: n }, (_, i) => id(n / 2 + i)).join('\n') + '\n');

    const t0 = performance.now();
    const read = await readIdFile(file, 'auto');
    const t1 = performance.now();
    pinOf(read.ids);
    const t2 = performance.now();
    const overlaps = await findOverlap(store, new Set(read.ids), 'new', async () => true);
    const t3 = performance.now();
    const shared = overlaps.reduce((s, o) => s + o.ids.length, 0);
    const result = {
      instances: n,
      sharedHeld: shared,
      readMs: Math.round(t1 - t0),
      pinMs: Math.round(t2 - t1),
      overlapMs: Math.round(t3 - t2),
      totalMs: Math.round(t3 - t0),
      peakRssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
      node: process.version,
      measuredAt: new Date().toISOString(),
    };
    mkdirSync(values.out!, { recursive: true });
    writeFileSync(join(values.out!, 'leases.json'), JSON.stringify(result, null, 2) + '\n');
    writeFileSync(
      join(values.out!, 'leases.md'),
      `| phones | held shared | read file ms | fingerprint ms | overlap ms | total ms | RSS MB |\n|--:|--:|--:|--:|--:|--:|--:|\n` +
        `| ${n} | ${shared} | ${result.readMs} | ${result.pinMs} | ${result.overlapMs} | ${result.totalMs} | ${result.peakRssMb} |\n`,
    );
    console.log(JSON.stringify(result));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

void main();
