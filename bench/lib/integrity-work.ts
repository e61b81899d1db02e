// One side of bench/integrity.ts, in its own process: a campaign's store work from prepare to the
// final check for N phones (folder store, no Temporal, no calls), with the spool verified or not.
//   plain     what a campaign did before the spool was sealed: write the spool, read each batch's
//             slice raw, write the report, assemble it (its line count is the only check).
//   verified  the same, as a campaign does now: the spool sealed as prepare writes it, every batch's
//             slice proved before use, and the final check of the report's ids against the seal.
// Prints one JSON line: the phases' milliseconds (as this process saw them) and its peak RSS.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sealingStore } from '../../src/activities/prepare-seal';
import type { ReportLine } from '../../src/campaign/outcome';
import type { SpoolSeal } from '../../src/campaign/spool-seal';
import { FolderStore } from '../../src/report';
import { checkReportIds } from '../../src/report/id-set-check';
import { idSetMatches } from '../../src/campaign/report-ids';
import { storeIdentity } from '../../src/report/store-identity';
import { VerifiedSpool } from '../../src/report/verified-spool';
import type { PreparedSource } from '../../src/campaign/prepared-source';

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    instances: { type: 'string', default: '1000000' },
  },
});
const mode = values.mode;
if (mode !== 'plain' && mode !== 'verified') throw new Error(`--mode must be plain or verified, got ${mode}`);
const n = Number(values.instances);
const BATCH = 100;
const PART = 10_000;
const id = (i: number) => `ph${i.toString(36).padStart(8, '0')}`;
const prepared = (total: number): PreparedSource => ({ total, duplicates: 0, skipped: 0, sha256: '' });

const vmHwmMb = () =>
  Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;

async function main() {
  const root = mkdtempSync(join(tmpdir(), `bench-integrity-${mode}-`));
  try {
    const store = new FolderStore(root);
    await storeIdentity(store, true);
    await store.createCampaign('c');
    const ids = Array.from({ length: n }, (_, i) => id(i));
    const at = [performance.now()];
    const lap = () => at.push(performance.now());

    // Prepare: the spool (sealed first, when verified).
    let seal: SpoolSeal | undefined;
    if (mode === 'verified') seal = (await sealingStore(store).writeSpool('c', ids, prepared)).seal!;
    else await store.writeSpool('c', ids, prepared);
    lap();

    // The lanes: a slice per batch through one open reader, as a lane reads them.
    const reader = store.openSpool('c');
    const spool = seal ? new VerifiedSpool(store, 'c', seal, reader) : undefined;
    let read = 0;
    for (let b = 0; b * BATCH < n; b++) {
      const start = b * BATCH;
      const end = Math.min(n, start + BATCH);
      read += (spool ? await spool.read(start, end) : await reader.read(start, end)).length;
    }
    await (spool ?? reader).close();
    if (read !== n) throw new Error(`read ${read} of ${n} records`);
    lap();

    // The outcomes, a line per phone, and the report assembled (the same on both sides).
    for (let p = 0; p * PART < n; p++) {
      const lines: ReportLine[] = ids.slice(p * PART, (p + 1) * PART).map((instance_id) => ({
        instance_id,
        outcome: 'succeeded',
        resets: 1,
        job_id: 'j',
        error_code: '',
        error_msg: '',
        finished_at: '2026-12-01T00:00:00.000Z',
      }));
      await store.writePart('c', `b${String(p).padStart(7, '0')}`, lines);
    }
    ids.length = 0; // the final check must not lean on the list
    const report = await store.finalize('c', 'completed');
    if (report.lines !== n) throw new Error(`the report holds ${report.lines} lines for ${n} phones`);
    lap();

    // The final check of the report's ids (verified only: before, the line count was all).
    if (seal) {
      const check = await checkReportIds(store, 'c', seal);
      if (!idSetMatches(check) || check.unreadable.count > 0)
        throw new Error('the final check failed an untouched campaign');
    }
    lap();

    const ms = (i: number) => Math.round(at[i + 1]! - at[i]!);
    process.stdout.write(
      JSON.stringify({
        mode,
        instances: n,
        prepareMs: ms(0),
        lanesReadMs: ms(1),
        reportMs: ms(2),
        finalCheckMs: ms(3),
        sealBytes: seal ? Math.ceil(n / seal.block) * 32 + n * 8 : 0,
        peakRssMb: Math.round(vmHwmMb()),
      }) + '\n',
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

void main();
