import { startTestPostgres } from './helpers/postgres';
import { PostgresStore } from '../../src/report/postgres-store';
async function* gen(n: number) { for (let i = 0; i < n; i++) yield `ph-${String(i).padStart(10, '0')}`; }
(async () => {
  let t = Date.now();
  const pg = await startTestPostgres();
  console.log('start', Date.now() - t); t = Date.now();
  const s = new PostgresStore(pg.url);
  const N = Number(process.argv[2] ?? 1_000_000);
  await s.writeSpool('big', gen(N), (count) => ({ total: count, duplicates: 0, skipped: 0, sha256: 'x' }));
  console.log('spool', Date.now() - t); t = Date.now();
  const r = await s.readSpool('big', 500_000, 500_100); console.log('range', Date.now() - t, r.length, r[0]); t = Date.now();
  let n = 0; for await (const _ of s.readSpoolFrom('big', 0)) n++; console.log('spoolFrom', Date.now() - t, n); t = Date.now();
  const lines = []; for await (const id of s.readSpoolFrom('big', 0)) lines.push({ instance_id: id, outcome: 'canceled' as const, resets: 0, job_id: '', error_code: 'CANCELED', error_msg: 'x', finished_at: new Date().toISOString() });
  t = Date.now();
  await s.writePart('big', 'z-rest', lines); console.log('part', Date.now() - t); t = Date.now();
  await s.writePart('big', 'z-rest', lines); console.log('part again', Date.now() - t); t = Date.now();
  console.log(await s.finalize('big'), Date.now() - t); t = Date.now();
  n = 0; for await (const _ of s.readReport('big')) n++; console.log('report', Date.now() - t, n);
  await s.close(); pg.stop();
})();
