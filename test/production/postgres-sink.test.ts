import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import type { ReportLine } from '../../src/campaign/outcome';
import type { ReportLineJson } from '../../src/cli/json-output';
import { sealingStore } from '../../src/activities/prepare-seal';
import { idSetMatches } from '../../src/campaign/report-ids';
import { createCampaignStore, PostgresStore } from '../../src/report';
import { checkReportIds } from '../../src/report/id-set-check';
import { SpoolTampered, VerifiedSpool } from '../../src/report/verified-spool';
import { statusQuery } from '../../src/workflows';
import { cliEnv, runCli } from '../cli/run-cli';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { killHard } from '../helpers/worker-process';
import { startTestPostgres, type TestPostgres } from './helpers/postgres';
import { jsonLines, startWorkerProcess, workerStarted, type WorkerProcess } from './helpers/workers';
import { campaignResult } from '../../src/temporal/campaign-result';

function line(id: string, outcome: ReportLine['outcome'] = 'succeeded', resets = 1): ReportLine {
  return {
    instance_id: id,
    outcome,
    resets,
    job_id: `job-${id}`,
    error_code: '',
    error_msg: '',
    finished_at: new Date().toISOString(),
  };
}

async function* iterate(ids: string[]): AsyncGenerator<string> {
  yield* ids;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

describe('PostgreSQL report sink (REPORT_SINK=postgres://…)', () => {
  let pg: TestPostgres;
  let store: PostgresStore;
  let sql: Client;
  before(async () => {
    pg = await startTestPostgres();
    store = createCampaignStore({ REPORT_SINK: pg.url }) as PostgresStore;
    assert.ok(store instanceof PostgresStore, 'REPORT_SINK=postgres://… selects the PostgreSQL store');
    sql = new Client({ connectionString: pg.url });
    await sql.connect();
  });
  after(async () => {
    await sql?.end();
    await store?.close();
    pg?.stop();
  });

  it('check(): a writable database passes and keeps no probe; a read-only role is refused with the reason', async () => {
    await store.check();
    const probes = await sql.query(
      "SELECT count(*)::int AS n FROM koophone_campaigns WHERE campaign LIKE '.write-probe%'",
    );
    assert.equal(probes.rows[0].n, 0, 'the probe write is rolled back');
    await sql.query('DROP ROLE IF EXISTS koophone_reader');
    await sql.query("CREATE ROLE koophone_reader LOGIN PASSWORD 'reader-pass'");
    await sql.query('GRANT SELECT ON ALL TABLES IN SCHEMA public TO koophone_reader');
    const readerUrl = pg.url.replace(/\/\/[^@]*@/, '//koophone_reader:reader-pass@');
    const reader = new PostgresStore(readerUrl);
    try {
      await assert.rejects(reader.check(), /permission denied/);
    } finally {
      await reader.close();
    }
  });

  it('replaces a rewritten part instead of adding rows, counts a second line for an instance, and never shows the password', async () => {
    const c = 'store-parts';
    await store.writePart(
      c,
      'b-0001',
      ['a1', 'a2', 'a3'].map((id) => line(id, 'failed', 1)),
    );
    // A retried activity writes its part again, with different outcomes: the rows are replaced.
    await store.writePart(
      c,
      'b-0001',
      ['a1', 'a2', 'a3'].map((id) => line(id, 'succeeded', 2)),
    );
    await store.writePart(c, 'b-0002', [line('b1'), line('b2')]);
    let rows = await collect(store.readReport(c));
    assert.deepEqual(
      rows.map((r) => [r.instance_id, r.outcome, r.resets]),
      [
        ['a1', 'succeeded', 2],
        ['a2', 'succeeded', 2],
        ['a3', 'succeeded', 2],
        ['b1', 'succeeded', 1],
        ['b2', 'succeeded', 1],
      ],
    );
    assert.match(rows[0]!.finished_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    let final = await store.finalize(c);
    assert.deepEqual({ lines: final.lines, duplicates: final.duplicates }, { lines: 5, duplicates: 0 });

    // A bug upstream writing an instance from a second part: still one row, and finalize says so.
    await store.writePart(c, 'b-0003', [line('a2', 'canceled', 0), line('c1'), line('c1')]);
    rows = await collect(store.readReport(c));
    assert.equal(rows.length, 6);
    assert.equal(rows.find((r) => r.instance_id === 'a2')?.outcome, 'succeeded');
    final = await store.finalize(c);
    assert.deepEqual({ lines: final.lines, duplicates: final.duplicates }, { lines: 6, duplicates: 2 });
    assert.equal(final.location, `postgres://127.0.0.1:${pg.port}/koophone/${c}`);
    assert.ok(!final.location.includes(pg.password) && !store.location(c).includes(pg.password));
    // Rewriting that part without the strays clears the discrepancy.
    await store.writePart(c, 'b-0003', [line('c1')]);
    assert.equal((await store.finalize(c)).duplicates, 0);
  });

  it('keeps the journal and the prepared record, replacing them on rewrite', async () => {
    const c = 'store-journal';
    assert.equal(await store.readJournal(c, 'b-0001'), undefined);
    assert.equal(await store.readPrepared(c), undefined);
    const journal = {
      taskId: 't-1',
      jobs: [{ instanceId: 'x1', jobId: 'j1' }],
      submittedAt: 1_700_000_000_000,
    };
    await store.writeJournal(c, 'b-0001', journal);
    await store.writeJournal(c, 'b-0001', { ...journal, taskId: 't-2' });
    assert.deepEqual(await store.readJournal(c, 'b-0001'), { ...journal, taskId: 't-2' });
    const prepared = await store.writeSpool(c, iterate(['x1', 'x2', 'x3']), (total) => ({
      total,
      duplicates: 1,
      skipped: 0,
      sha256: 'abc',
    }));
    assert.deepEqual(prepared, { total: 3, duplicates: 1, skipped: 0, sha256: 'abc' });
    // A retried prepare replaces the spool atomically.
    await store.writeSpool(c, iterate(['y1', 'y2']), (total) => ({
      total,
      duplicates: 0,
      skipped: 0,
      sha256: 'def',
    }));
    assert.deepEqual(await store.readPrepared(c), { total: 2, duplicates: 0, skipped: 0, sha256: 'def' });
    assert.deepEqual(await collect(store.readSpoolFrom(c, 0)), ['y1', 'y2']);
  });

  it('phone leases and campaign identity: held phones shrink as lines land, archive renames every row, one lock at a time', async () => {
    const c = 'store-leases';
    const ids = Array.from({ length: 50 }, (_, i) => `l${i}`);
    await store.writeSpool(c, iterate(ids), (total) => ({
      total,
      duplicates: 0,
      skipped: 0,
      sha256: 'x',
      owner: 'run-1',
      preparedAt: '2026-12-01T00:00:00.000Z',
    }));
    await store.registerLease({ campaignId: c, owner: 'run-1', since: 'now', total: 50 });
    assert.deepEqual(
      (await store.leaseHolders()).map((h) => [h.campaignId, h.owner]),
      [[c, 'run-1']],
    );
    await store.writePart(
      c,
      'i1',
      ids.slice(0, 20).map((id) => line(id)),
    );
    assert.deepEqual(await collect(store.heldPhones(c)), ids.slice(20));
    await store.finalize(c, 'aborted');
    const old = await store.describeStored(c);
    assert.deepEqual([old?.owner, old?.total, old?.finalState], ['run-1', 50, 'aborted']);
    const archived = await store.archive(c);
    assert.equal(await store.describeStored(c), undefined);
    assert.equal((await store.describeStored(archived))?.finalState, 'aborted');
    assert.equal((await collect(store.readReport(archived))).length, 20);
    assert.deepEqual(await store.leaseHolders(), [], 'archiving releases the lease');
    const order: string[] = [];
    const hold = (name: string) =>
      store.withLeaseLock(async () => {
        order.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 50));
        order.push(`${name} out`);
      });
    await Promise.all([hold('a'), hold('b')]);
    assert.deepEqual(
      order.map((o) => o.split(' ')[1]),
      ['in', 'out', 'in', 'out'],
    );
  });

  it('two workers writing the same parts at the same time leave exactly one row per instance', async () => {
    const c = 'store-race';
    const other = new PostgresStore(pg.url);
    try {
      const parts = Array.from({ length: 20 }, (_, p) => ({
        name: `b-${String(p).padStart(4, '0')}`,
        lines: Array.from({ length: 100 }, (_, i) => line(`r-${p}-${i}`)),
      }));
      await Promise.all(
        parts.flatMap((p) => [store.writePart(c, p.name, p.lines), other.writePart(c, p.name, p.lines)]),
      );
      const { rows } = await sql.query<{ n: string; distinct_ids: string }>(
        'SELECT count(*) AS n, count(DISTINCT instance_id) AS distinct_ids FROM koophone_outcomes WHERE campaign = $1',
        [c],
      );
      assert.deepEqual(rows[0], { n: '2000', distinct_ids: '2000' });
      assert.deepEqual(await other.finalize(c).then((f) => [f.lines, f.duplicates]), [2000, 0]);
    } finally {
      await other.close();
    }
  });

  it('holds a 100 000-id campaign: range reads through the index, streamed spool and report', async () => {
    const c = 'store-large';
    const n = 100_000;
    const ids = Array.from({ length: n }, (_, i) => `inst-${String(i).padStart(8, '0')}`);
    await store.writeSpool(c, iterate(ids), (total) => ({ total, duplicates: 0, skipped: 0, sha256: 'big' }));
    assert.deepEqual(await store.readSpool(c, 54_321, 54_421), ids.slice(54_321, 54_421));
    const plan = await sql.query<{ 'QUERY PLAN': string }>(
      'EXPLAIN SELECT instance_id FROM koophone_spool WHERE campaign = $1 AND position >= 54321 AND position < 54421 ORDER BY position',
      [c],
    );
    assert.match(
      plan.rows.map((r) => r['QUERY PLAN']).join('\n'),
      /Index (Only )?Scan using koophone_spool_pkey/,
    );
    let streamed = 0;
    for await (const id of store.readSpoolFrom(c, 90_000)) {
      assert.equal(id, ids[90_000 + streamed]);
      streamed += 1;
    }
    assert.equal(streamed, 10_000);
    // A stopped campaign writes the untouched rest as one part: one large write, one row each.
    await store.writePart(
      c,
      'z-rest',
      ids.map((id) => line(id, 'canceled', 0)),
    );
    assert.deepEqual(await store.finalize(c).then((f) => [f.lines, f.duplicates]), [n, 0]);
    let read = 0;
    for await (const r of store.readReport(c)) {
      assert.equal(r.instance_id, ids[read]);
      read += 1;
    }
    assert.equal(read, n);
  });

  it('verifies the spool as the folder store does: a row rewritten or a seal chunk gone is never read as an id, and the final check names foreign rows', async () => {
    const c = 'store-sealed';
    const ids = Array.from({ length: 3000 }, (_, i) => `seal${String(i).padStart(6, '0')}`);
    const prepare = sealingStore(store);
    await prepare.writePart(c, 'p-skipped', [line('frozen01', 'skipped', 0)]);
    const record = await prepare.writeSpool(c, ids, (total) => ({ total, duplicates: 0, skipped: 1, sha256: 'x' }));
    const seal = record.seal!;
    assert.deepEqual((await store.readPrepared(c))?.seal, seal, 'the stored record carries the seal');
    assert.deepEqual(await new VerifiedSpool(store, c, seal).read(1000, 1100), ids.slice(1000, 1100));

    await sql.query("UPDATE koophone_spool SET instance_id = 'zz999999' WHERE campaign = $1 AND position = 1050", [c]);
    await sql.query("UPDATE koophone_spool SET instance_id = E'ab\\001cd' WHERE campaign = $1 AND position = 1077", [c]);
    await assert.rejects(new VerifiedSpool(store, c, seal).read(1000, 1100), (e: unknown) => {
      assert.ok(e instanceof SpoolTampered);
      assert.deepEqual(e.records, [1050, 1077]);
      assert.match(e.message, /^spool: SPOOL_TAMPERED records 1050, 1077 of postgres:\/\/\S+ koophone_spool \(campaign store-sealed\) differ from what prepare wrote$/);
      return true;
    });
    await sql.query('UPDATE koophone_spool SET instance_id = $2 WHERE campaign = $1 AND position = 1050', [c, ids[1050]]);
    await sql.query('UPDATE koophone_spool SET instance_id = $2 WHERE campaign = $1 AND position = 1077', [c, ids[1077]]);
    assert.deepEqual(await new VerifiedSpool(store, c, seal).read(1000, 1100), ids.slice(1000, 1100), 'restored, it reads true');

    const chunk = await sql.query('DELETE FROM koophone_spool_seal WHERE campaign = $1 RETURNING chunk, bytes', [c]);
    assert.equal((await new VerifiedSpool(store, c, seal).readProved(0, 10)).bad.length, 10, 'no seal: nothing proved');
    for (const r of chunk.rows as { chunk: number; bytes: Buffer }[]) {
      await sql.query('INSERT INTO koophone_spool_seal (campaign, chunk, bytes) VALUES ($1, $2, $3)', [c, r.chunk, r.bytes]);
    }

    for (let b = 0; b < 30; b++) await store.writePart(c, `b${String(b).padStart(7, '0')}`, ids.slice(b * 100, b * 100 + 100).map((id) => line(id)));
    assert.ok(idSetMatches(await checkReportIds(store, c, seal)));
    await store.writePart(c, 'b0000004', ids.slice(400, 500).map((id) => line(id === ids[444] ? 'zz888888' : id)));
    const check = await checkReportIds(store, c, seal);
    assert.deepEqual([check.missing, check.foreign], [
      { count: 1, examples: [ids[444]] },
      { count: 1, examples: ['zz888888'] },
    ]);
  });

  describe('a campaign run by two worker processes on the PostgreSQL sink', () => {
    const env = campaignEnv({ jobDurationMs: '300..900' }, { worker: false });
    const workers: WorkerProcess[] = [];
    after(async () => {
      for (const w of workers) await killHard(w);
    });

    it('writes exactly one row per instance, survives losing a worker, and `report` prints the rows', async () => {
      const workerEnv = env.workerProcessEnv({
        REPORT_SINK: pg.url,
        REPORT_DIR: '/nonexistent/folder-sink-must-not-be-used',
        // Rate 20 runs two lanes, and the SDK hands activities eagerly to the worker running the
        // workflow: with one activity slot each, each worker runs one of them.
        WORKER_MAX_ACTIVITIES: '1',
      });
      const [a, b] = await Promise.all([startWorkerProcess(workerEnv), startWorkerProcess(workerEnv)]);
      workers.push(a, b);
      await Promise.all([workerStarted(a), workerStarted(b)]);

      const ids = env.ids(400, 7000);
      env.sim.reset();
      const handle = await env.start(
        { concurrency: 6, rate: 20, batchSize: 25, canary: 0, heartbeatTimeoutMs: 5000 },
        { kind: 'inline', ids },
      );
      const campaignId = handle.workflowId;
      const accepted = (w: typeof a) => jsonLines(w.output()).filter((l) => l.msg === 'batch accepted');
      // Both workers are resetting before one of them dies with batches in flight.
      await waitFor(
        async () => {
          const s = await handle.query(statusQuery).catch(() => undefined);
          return (
            accepted(a).length > 0 && accepted(b).length > 0 && !!s && s.succeeded >= 100 && s.inFlight > 0
          );
        },
        60_000,
        100,
      ).catch(async (err: Error) => {
        const s = await handle.query(statusQuery).catch((e: Error) => e.message);
        throw new Error(
          `${err.message}: batches accepted by A ${accepted(a).length}, by B ${accepted(b).length}; status ${JSON.stringify(s)}`,
          { cause: err },
        );
      });
      // A rolling restart: SIGTERM, as compose and Kubernetes send it. The worker stops polling,
      // its in-flight batch activities fail over to B, which resumes them from their journals.
      const exited = new Promise((r) => a.once('exit', r));
      a.kill('SIGTERM');
      await exited;
      const logsOfA = a.output();
      const result = await campaignResult(handle);
      assert.equal(result.state, 'completed', b.output().slice(-3000));
      assert.equal(result.counts.succeeded, 400);
      assert.equal(result.reportLines, 400);

      const { rows } = await sql.query<{ n: string; distinct_ids: string; dups: string }>(
        `SELECT count(*) AS n, count(DISTINCT instance_id) AS distinct_ids,
                (SELECT count(*) FROM koophone_outcome_duplicates WHERE campaign = $1) AS dups
         FROM koophone_outcomes WHERE campaign = $1`,
        [campaignId],
      );
      assert.deepEqual(rows[0], { n: '400', distinct_ids: '400', dups: '0' });
      const stored = await collect(store.readReport(campaignId));
      assert.deepEqual([...stored.map((l) => l.instance_id)].sort(), [...ids].sort());
      assert.deepEqual(
        countBy(stored, (l) => l.outcome),
        { succeeded: 400 },
      );
      assert.deepEqual(
        countBy(
          ids.map((id) => env.sim.instance(id)?.resets),
          String,
        ),
        { '1': 400 },
      );

      // Structured logs: every accepted batch names its campaign, batch and KooPhone request; no secrets.
      const acceptedLines = [...jsonLines(logsOfA), ...jsonLines(b.output())].filter(
        (l) => l.msg === 'batch accepted',
      );
      assert.ok(acceptedLines.length >= 16, `${acceptedLines.length} accepted-batch lines`);
      for (const l of acceptedLines) {
        assert.equal(l.campaignId, campaignId);
        assert.equal(typeof l.batchNo, 'number');
        assert.match(String(l.requestId), /^[\w-]{8,}$/);
      }
      for (const out of [logsOfA, b.output()]) {
        assert.ok(!out.includes(pg.password), 'the database password is not logged');
        assert.ok(!out.includes('sim-token'), 'the KooPhone token is not logged');
        const started = jsonLines(out).find((l) => l.msg === 'worker started');
        assert.equal(started?.reportSink, `postgres://127.0.0.1:${pg.port}/koophone`);
      }

      // The operator's CLI reads the same rows from anywhere the database is reachable.
      const cli = await runCli(
        ['report', campaignId, '--format', 'ndjson'],
        cliEnv({
          REPORT_SINK: pg.url,
          TEMPORAL_ADDRESS: env.temporal.address,
          TEMPORAL_NAMESPACE: env.temporal.namespace,
        }),
      );
      assert.equal(cli.code, 0, cli.stderr);
      const printed = cli.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as ReportLineJson);
      assert.equal(printed.length, 400);
      assert.equal(new Set(printed.map((l) => l.instanceId)).size, 400);
      assert.ok(printed.every((l) => l.outcome === 'succeeded' && l.resets === 1 && l.jobId !== ''));
      assert.ok(!cli.stderr.includes(pg.password));
    });
  });
});
