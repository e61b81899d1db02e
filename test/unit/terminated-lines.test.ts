import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ReportLine } from '../../src/campaign/outcome';
import { FolderStore, type JournalEntry } from '../../src/report';
import { finalizeWhole, rebuildTerminatedReport, rebuiltAfter } from '../../src/report/rebuild-terminated';
import { TerminatedLines, type Termination } from '../../src/report/terminated-lines';
import type { JobJournal } from '../../src/campaign/work-item';

const terminated: Termination = {
  how: 'terminated',
  identity: 'ops@host',
  reason: 'maintenance',
  at: '2026-12-01T10:00:00.000Z',
};
const spool = Array.from({ length: 20 }, (_, i) => `p${String(i).padStart(2, '0')}`);

function accepted(item: JobJournal['item'], jobs: string[], extra: Partial<JobJournal> = {}): JobJournal {
  return {
    taskId: `t-${jobs[0] ?? 'none'}`,
    jobs: jobs.map((id) => ({ instanceId: id, jobId: `j-${id}` })),
    submittedAt: 1000,
    uncertain: 0,
    by: 'run/1',
    ...(item ? { item } : {}),
    ...extra,
  };
}

function mark(item: JobJournal['item'], extra: Partial<JobJournal> = {}): JobJournal {
  return {
    taskId: '',
    jobs: [],
    submittedAt: 1000,
    uncertain: 0,
    by: 'run/1',
    ...(item ? { item } : {}),
    ...extra,
  };
}

/** The lines of every phone of `spool` (positions ascending), from `journals`. */
function linesOf(journals: JournalEntry[], options: { batchSize?: number; termination?: Termination } = {}) {
  const lines = new TerminatedLines(options.termination ?? terminated, {
    total: spool.length,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  for (const j of journals) lines.add(j);
  const out = new Map<string, ReportLine>(spool.map((id, i) => [id, lines.lineFor(i, id)]));
  return { lines: out, unmapped: lines.unmapped };
}

void describe('TerminatedLines: the journal of a terminated campaign → one canceled line per unfinished phone', () => {
  void it('a phone no journal covers was never sent: 0 resets, who terminated it and why', () => {
    const { lines } = linesOf([]);
    assert.deepEqual(lines.get('p00'), {
      instance_id: 'p00',
      outcome: 'canceled',
      resets: 0,
      job_id: '',
      error_code: 'TERMINATED',
      error_msg: 'campaign terminated by ops@host: maintenance: never sent',
      finished_at: terminated.at,
    });
  });

  void it('a phone the accepted call gave two jobs counts both (KooPhone may list a second, applied job)', () => {
    const journal = accepted({ range: { start: 0, end: 10 }, resets: 0 }, ['p00', 'p01']);
    journal.jobs.push({ instanceId: 'p00', jobId: 'j-p00-again' }, { instanceId: 'p01', jobId: 'j-p01' });
    const { lines } = linesOf([{ key: 'b0000000', journal }]);
    assert.equal(lines.get('p00')!.resets, 2);
    // The same job listed twice is one reset.
    assert.equal(lines.get('p01')!.resets, 1);
  });

  void it('an accepted call counts a reset for the phones it has a job for, names the job, and adds the died calls it carries', () => {
    const { lines } = linesOf([
      {
        key: 'b0000000',
        journal: accepted({ range: { start: 0, end: 10 }, resets: 0 }, ['p00', 'p01', 'p02'], {
          uncertain: 1,
        }),
      },
    ]);
    const p01 = lines.get('p01')!;
    assert.equal(p01.resets, 2);
    assert.equal(p01.job_id, 'j-p01');
    assert.match(
      p01.error_msg,
      /reset accepted \(task t-p00, job j-p01\); state unknown: campaign terminated while the job was running; 1 earlier call may have reset it$/,
    );
    // In the range but without a job (missing job): the died call and the accepted one may have reset it.
    assert.deepEqual([lines.get('p05')!.resets, lines.get('p05')!.job_id], [2, '']);
    assert.match(lines.get('p05')!.error_msg, /task t-p00 has no job for this phone, yet may have reset it/);
    // Outside the range: untouched.
    assert.equal(lines.get('p10')!.resets, 0);
  });

  void it('a mark not answered is a call that may have gone out: counted; an answered one is not', () => {
    const { lines } = linesOf([
      { key: 'b0000000', journal: mark({ range: { start: 0, end: 5 }, resets: 0 }, { uncertain: 2 }) },
      {
        key: 'b0000001',
        journal: mark(
          { range: { start: 5, end: 10 }, resets: 1 },
          { answered: true, uncertain: 1, why: 'HTTP 502 after the call was sent' },
        ),
      },
    ]);
    assert.equal(lines.get('p00')!.resets, 3);
    assert.match(
      lines.get('p00')!.error_msg,
      /a batch-reset call was in flight and may have reset it; 2 earlier calls may have reset it$/,
    );
    // The item's own resets (folded in by the workflow) plus the died call its mark carries.
    assert.equal(lines.get('p07')!.resets, 2);
    assert.match(
      lines.get('p07')!.error_msg,
      /its last batch-reset call was answered with an error; 1 earlier call may have reset it \(the latest: HTTP 502 after the call was sent\)$/,
    );
  });

  void it('a re-reset round (explicit ids) counts on top of the first round; the highest claim names its job', () => {
    const { lines } = linesOf([
      { key: 'b0000000', journal: accepted({ range: { start: 0, end: 10 }, resets: 0 }, spool.slice(0, 10)) },
      {
        key: 'i0000003',
        journal: accepted({ ids: ['p03', 'p04'], resets: 1 }, ['p03', 'p04'], { submittedAt: 2000 }),
      },
      { key: 'i0000004', journal: mark({ ids: ['p06'], resets: 1 }) },
    ]);
    assert.deepEqual([lines.get('p03')!.resets, lines.get('p03')!.job_id], [2, 'j-p03']);
    assert.deepEqual([lines.get('p06')!.resets, lines.get('p06')!.job_id], [2, '']);
    // Its re-reset not journaled yet: the first round's accepted call.
    assert.deepEqual([lines.get('p08')!.resets, lines.get('p08')!.job_id], [1, 'j-p08']);
  });

  void it('halves of a refused batch count over the parent range', () => {
    const { lines } = linesOf([
      { key: 'b0000001', journal: mark({ range: { start: 10, end: 20 }, resets: 0 }, { answered: true }) },
      { key: 'i0000007', journal: accepted({ range: { start: 10, end: 15 }, resets: 0 }, ['p12']) },
      { key: 'i0000008', journal: mark({ range: { start: 15, end: 20 }, resets: 0 }) },
    ]);
    // The first half's accepted call named p12 only: it may have reset the others all the same.
    assert.deepEqual(
      spool.slice(10).map((id) => lines.get(id)!.resets),
      [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    );
    assert.equal(lines.get('p12')!.job_id, 'j-p12');
    assert.match(lines.get('p10')!.error_msg, /has no job for this phone, yet may have reset it/);
  });

  void it("journals of earlier versions: a first-round batch's key maps by the batch size; any other stays unmapped", () => {
    const old = (j: JobJournal): JobJournal => {
      const { item: _, ...rest } = j;
      return rest;
    };
    const journals = [
      { key: 'b0000001', journal: old(accepted(undefined, ['p11'])) },
      { key: 'i0000002', journal: old(mark(undefined)) },
    ];
    const mapped = linesOf(journals, { batchSize: 10 });
    assert.deepEqual([mapped.lines.get('p11')!.resets, mapped.lines.get('p11')!.job_id], [1, 'j-p11']);
    assert.deepEqual(mapped.unmapped, ['i0000002']);
    assert.deepEqual(linesOf(journals).unmapped, ['b0000001', 'i0000002']);
  });

  void it('a timed-out workflow says so in its code and message', () => {
    const { lines } = linesOf(
      [{ key: 'b0000000', journal: accepted({ range: { start: 0, end: 1 }, resets: 0 }, ['p00']) }],
      { termination: { how: 'timed out', at: terminated.at } },
    );
    assert.equal(lines.get('p00')!.error_code, 'WORKFLOW_TIMED_OUT');
    assert.match(
      lines.get('p00')!.error_msg,
      /^campaign timed out \(its Temporal execution or run timeout\): .*campaign timed out while the job was running/,
    );
  });

  void it('refuses positions out of order and journals added after the first line', () => {
    const lines = new TerminatedLines(terminated, { total: 20 });
    lines.lineFor(3, 'p03');
    assert.throws(() => lines.lineFor(3, 'p03'), /positions must ascend/);
    assert.throws(
      () => lines.add({ key: 'b0000000', journal: mark({ range: { start: 0, end: 1 }, resets: 0 }) }),
      /add every journal/,
    );
  });
});

void describe('rebuildTerminatedReport (folder store)', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  void it('keeps the lines written, adds one per other phone, and records the rebuild as the final state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rebuild-'));
    dirs.push(dir);
    const store = new FolderStore(dir);
    const c = 'c-rebuild';
    await store.writeSpool(
      c,
      (async function* () {
        yield* spool;
      })(),
      (total) => ({ total, duplicates: 0, skipped: 0, sha256: 'x' }),
    );
    const done: ReportLine = {
      instance_id: 'p00',
      outcome: 'succeeded',
      resets: 1,
      job_id: 'j-p00',
      error_code: '',
      error_msg: '',
      finished_at: terminated.at,
    };
    await store.writePart(c, 'b0000000', [done]);
    await store.writeJournal(
      c,
      'b0000000',
      accepted({ range: { start: 0, end: 10 }, resets: 0 }, spool.slice(0, 10)),
    );
    await store.writeJournal(c, 'b0000001', mark({ range: { start: 10, end: 20 }, resets: 0 }));

    const rebuilt = await rebuildTerminatedReport(store, c, terminated);
    assert.deepEqual([rebuilt?.lines, rebuilt?.written, rebuilt?.unmapped], [20, 19, []]);
    const lines: ReportLine[] = [];
    for await (const l of store.readReport(c)) lines.push(l);
    assert.equal(lines.length, 20);
    assert.deepEqual(
      lines.find((l) => l.instance_id === 'p00'),
      done,
    );
    assert.ok(
      lines.filter((l) => l.instance_id !== 'p00').every((l) => l.outcome === 'canceled' && l.resets === 1),
    );
    assert.equal(rebuiltAfter(await store.describeStored(c)), 'terminated');
    assert.equal(await rebuildTerminatedReport(store, 'c-never-prepared', terminated), undefined);
  });

  void it('a campaign ending with phones its report lacks (finalizeWhole): their lines rebuilt from the journal, the final state failed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rebuild-'));
    dirs.push(dir);
    const store = new FolderStore(dir);
    const c = 'c-whole';
    await store.writeSpool(c, spool, (total) => ({ total, duplicates: 0, skipped: 0, sha256: 'x' }));
    const line = (id: string): ReportLine => ({
      instance_id: id,
      outcome: 'succeeded',
      resets: 1,
      job_id: `j-${id}`,
      error_code: '',
      error_msg: '',
      finished_at: terminated.at,
    });
    // Batch 0 finished; batch 1's call accepted, its lines lost (a bug): its journal says it went.
    await store.writePart(c, 'b0000000', spool.slice(0, 10).map(line));
    await store.writeJournal(
      c,
      'b0000001',
      accepted({ range: { start: 10, end: 20 }, resets: 0 }, spool.slice(10, 20)),
    );
    const whole = await finalizeWhole(store, c, 'completed', { lines: 20, batchSize: 10 });
    assert.deepEqual([whole.lines, whole.duplicates, whole.rebuilt], [20, 0, 10]);
    const lines: ReportLine[] = [];
    for await (const l of store.readReport(c)) lines.push(l);
    const lost = lines.filter((l) => l.error_code === 'CAMPAIGN_FAILED');
    assert.equal(lost.length, 10);
    assert.ok(
      lost.every((l) => l.resets === 1 && l.outcome === 'canceled'),
      'the accepted call is counted',
    );
    assert.match(
      lost[0]!.error_msg,
      /^campaign failed: 10 of its phones had no line when it ended completed: reset accepted/,
    );
    assert.equal(rebuiltAfter(await store.describeStored(c)), 'failed');
    // A whole report is only assembled.
    const c2 = 'c-whole-2';
    await store.writeSpool(c2, spool.slice(0, 10), (total) => ({
      total,
      duplicates: 0,
      skipped: 0,
      sha256: 'x',
    }));
    await store.writePart(c2, 'b0000000', spool.slice(0, 10).map(line));
    assert.deepEqual(await finalizeWhole(store, c2, 'completed', { lines: 10 }), {
      location: store.location(c2),
      lines: 10,
      duplicates: 0,
    });
    assert.equal((await store.describeStored(c2))?.finalState, 'completed');
  });
});
