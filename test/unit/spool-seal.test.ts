import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sealingStore } from '../../src/activities/prepare-seal';
import { SPOOL_TAMPERED } from '../../src/campaign/blocking';
import type { ReportLine } from '../../src/campaign/outcome';
import { addHold, describeHeldBatches, holdBatch, holdMessage, releaseHold, type SpoolHold } from '../../src/campaign/spool-hold';
import { describeRecords } from '../../src/campaign/spool-seal';
import { describeIdSetCheck, idSetMatches } from '../../src/campaign/report-ids';
import { FolderStore } from '../../src/report';
import { BucketedIdSet, IdSetDigest } from '../../src/report/id-set';
import { checkReportIds } from '../../src/report/id-set-check';
import { storeIdentity } from '../../src/report/store-identity';
import { sealSpool, SpoolTampered, VerifiedSpool } from '../../src/report/verified-spool';
import { MAX_INSTANCE_ID_LENGTH } from '../../src/koophone/limits';
import type { PreparedSource } from '../../src/campaign/prepared-source';

// A spool record: the longest id and its newline (src/report/folder-store.ts).
const RECORD = MAX_INSTANCE_ID_LENGTH + 1;
const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `ph${String(from + i).padStart(6, '0')}`);
const prepared = (total: number): PreparedSource => ({ total, duplicates: 0, skipped: 0, sha256: 'test' });

/** A folder store as a worker starts on it (its .store-id), with campaign c-1's place made by prepare. */
async function newStore(): Promise<{ root: string; store: FolderStore }> {
  const root = mkdtempSync(join(tmpdir(), 'kp-seal-'));
  const store = new FolderStore(root);
  await storeIdentity(store, true);
  await store.createCampaign('c-1');
  return { root, store };
}

/** A folder store holding campaign c-1's spool of `list`, sealed; and a way to rewrite its records. */
async function sealedCampaign(list: string[]) {
  const { root, store } = await newStore();
  const { seal, bytes } = sealSpool(list);
  await store.writeSpoolSeal('c-1', bytes);
  await store.writeSpool('c-1', list, prepared);
  const spoolFile = join(root, 'c-1', 'spool.ids');
  const rewrite = (position: number, text: string) => {
    const fd = openSync(spoolFile, 'r+');
    writeSync(fd, Buffer.from(text.padEnd(RECORD - 1, ' '), 'latin1'), 0, RECORD - 1, position * RECORD);
    closeSync(fd);
  };
  return { store, seal, spoolFile, sealFile: join(root, 'c-1', 'spool.seal'), rewrite };
}

const line = (id: string, outcome: ReportLine['outcome'] = 'succeeded'): ReportLine => ({
  instance_id: id,
  outcome,
  resets: outcome === 'succeeded' ? 1 : 0,
  job_id: '',
  error_code: '',
  error_msg: '',
  finished_at: '2026-12-01T00:00:00.000Z',
});

describe('the spool seal: what prepare wrote is what is read back', () => {
  it('a seal is a few bytes to carry and 8 bytes a record beside the spool; an untouched spool reads whole', async () => {
    const list = ids(2500);
    const { store, seal } = await sealedCampaign(list);
    assert.deepEqual(Object.keys(seal).sort(), ['block', 'records', 'root', 'v']);
    assert.equal(seal.records, 2500);
    assert.match(seal.root, /^[0-9a-f]{64}$/);
    assert.equal(sealSpool(list).bytes.length, 3 * 32 + 2500 * 8);
    assert.equal(sealSpool(list).seal.root, seal.root, 'the same ids seal the same');
    assert.notEqual(sealSpool([...list.slice(0, 5), list[6]!, list[5]!, ...list.slice(7)]).seal.root, seal.root, 'order counts');
    const spool = new VerifiedSpool(store, 'c-1', seal, store.openSpool('c-1'));
    assert.deepEqual(await spool.read(1000, 1100), list.slice(1000, 1100));
    assert.deepEqual(await spool.read(2450, 2500), list.slice(2450));
    await spool.close();
  });

  it('a record rewritten with another phone, with junk, or with an approved id moved from elsewhere is never read as one', async () => {
    const list = ids(300);
    const { store, seal, rewrite } = await sealedCampaign(list);
    rewrite(105, 'zz999999'); // a phone nobody approved
    rewrite(141, 'ab\0\0\x01\xff'); // binary junk
    rewrite(177, list[10]!); // an approved phone, moved: it would be reset twice
    const spool = new VerifiedSpool(store, 'c-1', seal);
    for (const [from, bad] of [
      [100, 105],
      [140, 141],
      [160, 177],
    ] as const) {
      await assert.rejects(spool.read(from, from + 20), (e: unknown) => {
        assert.ok(e instanceof SpoolTampered);
        assert.deepEqual([e.fault.part, e.fault.code, e.records, e.count, e.range], ['spool', SPOOL_TAMPERED, [bad], 1, { start: from, end: from + 20 }]);
        assert.match(e.message, new RegExp(`^spool: SPOOL_TAMPERED records ${bad} of \\S+/c-1/spool\\.ids differ from what prepare wrote$`));
        return true;
      });
    }
    assert.deepEqual(await spool.read(120, 140), list.slice(120, 140), 'the slices between read true');
    const proved = await spool.readProved(100, 200);
    assert.deepEqual(proved.bad, [105, 141, 177]);
    assert.equal(proved.ids.filter((x) => x !== undefined).length, 97);
    assert.equal(proved.ids[6], list[106]);
  });

  it('a spool cut short, a seal changed or gone: what cannot be proved is never read as an id', async () => {
    const list = ids(3000);
    const { store, seal, spoolFile, sealFile } = await sealedCampaign(list);
    truncateSync(spoolFile, 2990 * RECORD + 10);
    const cut = await new VerifiedSpool(store, 'c-1', seal).readProved(2980, 3000);
    assert.deepEqual(cut.bad, Array.from({ length: 10 }, (_, i) => 2990 + i));
    assert.equal(cut.why, 'are missing or differ from what prepare wrote');

    // One block's leaves changed: that block's records cannot be proved, the others can.
    const bytes = readFileSync(sealFile);
    const secondLeaf = 3 * 32 + 1024 * 8; // after the 3 block digests, the 1024 leaves of block 0
    const changed = Buffer.from(bytes);
    changed[secondLeaf + 5] = changed[secondLeaf + 5]! ^ 1;
    writeFileSync(sealFile, changed);
    const spool = new VerifiedSpool(store, 'c-1', seal);
    assert.deepEqual(await spool.read(0, 100), list.slice(0, 100));
    const second = await spool.readProved(1000, 1100);
    assert.deepEqual(second.bad, Array.from({ length: 76 }, (_, i) => 1024 + i));
    assert.match(second.why ?? '', /their part of the seal \(spool\.seal\) was changed/);

    // The block digests no longer add up to the root the workflow carries: nothing can be proved.
    const digests = Buffer.from(bytes);
    digests[3] = digests[3]! ^ 1;
    writeFileSync(sealFile, digests);
    const broken = await new VerifiedSpool(store, 'c-1', seal).readProved(0, 50);
    assert.equal(broken.bad.length, 50);
    assert.match(broken.why ?? '', /its seal \(spool\.seal\) no longer matches the campaign's/);
    writeFileSync(sealFile, Buffer.alloc(0));
    assert.equal((await new VerifiedSpool(store, 'c-1', seal).readProved(0, 50)).bad.length, 50);

    // Restored, it reads true again.
    writeFileSync(sealFile, bytes);
    assert.deepEqual(await new VerifiedSpool(store, 'c-1', seal).read(0, 50), list.slice(0, 50));
  });

  it('without a seal (a campaign prepared by an earlier version) ids are still re-validated: junk is never read as an id', async () => {
    const list = ids(100);
    const { store, rewrite } = await sealedCampaign(list);
    rewrite(7, 'zz999999');
    rewrite(8, 'x\0y');
    const spool = new VerifiedSpool(store, 'c-1', undefined);
    const proved = await spool.readProved(0, 20);
    assert.deepEqual(proved.bad, [8]);
    assert.equal(proved.ids[7], 'zz999999', 'a well-formed id cannot be told from an approved one without a seal');
  });

  it("prepare's store seals the spool before writing it and digests the lines it writes itself", async () => {
    const { store: inner } = await newStore();
    const store = sealingStore(inner);
    await store.writePart('c-1', 'p-skipped', [line('fz000001', 'skipped')]);
    await store.writePart('c-1', 'p-leased', [line('ls000001', 'skipped'), line('ls000002', 'skipped')]);
    const list = ids(50);
    const record = await store.writeSpool('c-1', list, prepared);
    assert.equal(record.seal?.records, 50);
    assert.deepEqual(record.seal?.answered?.parts, ['p-leased', 'p-skipped']);
    assert.equal(record.seal?.answered?.count, 3);
    const d = new IdSetDigest();
    for (const id of ['ls000002', 'fz000001', 'ls000001']) d.add(id);
    assert.equal(record.seal?.answered?.digest, d.digest());
    assert.deepEqual(await inner.readPrepared('c-1'), record, 'the stored record carries the seal');
    assert.deepEqual(await new VerifiedSpool(inner, 'c-1', record.seal).read(0, 50), list);
    await assert.rejects(store.writePart('c-1', 'p-late', []), /after the spool: its lines would escape the seal/);
    assert.equal(store.location('c-1'), inner.location('c-1'), 'everything else is the store');
  });
});

describe('spool holds: what the campaign keeps back, and says', () => {
  const fault = { records: [505], count: 1, where: '/r/c-1/spool.ids', why: 'differ from what prepare wrote' };
  const hold = (batchNo: number, more: Partial<SpoolHold> = {}): SpoolHold => ({
    batches: holdBatch([], batchNo),
    items: [],
    ...fault,
    ...more,
  });

  it('batches held one by one merge into ranges; the message names batches, records, where and why', () => {
    let h = addHold(undefined, hold(25));
    h = addHold(h, hold(28, { records: [577], count: 1 }));
    h = addHold(h, hold(27, { records: [541], count: 1 }));
    assert.deepEqual(h.batches, [
      { from: 25, to: 26 },
      { from: 27, to: 29 },
    ]);
    assert.deepEqual([h.records, h.count], [[505, 541, 577], 3]);
    assert.equal(describeHeldBatches(h), 'batches 25–25, 27–28');
    assert.equal(
      holdMessage(h),
      'spool: SPOOL_TAMPERED batches 25–25, 27–28: records 505, 541, 577 of /r/c-1/spool.ids differ from what prepare wrote; nothing of these batches is sent',
    );
    const item = { key: 'i0000004', batchNo: 40, round: 1, range: { start: 4000, end: 4050 }, resets: 1, submitAttempts: 0, notBefore: 0 };
    h = addHold(h, { ...hold(0), batches: [], items: [item] });
    assert.equal(describeHeldBatches(h), 'batches 25–25, 27–28, 40–40');
    assert.equal(describeRecords([1, 2, 3, 4, 5, 6], 40), '1, 2, 3, 4, 5, … (40 records)');
  });

  it('a whole spool held stays a few bytes: one range', () => {
    let h: SpoolHold | undefined;
    for (let b = 0; b < 10_000; b++) h = addHold(h, hold(b));
    assert.deepEqual(h!.batches, [{ from: 0, to: 10_000 }]);
    assert.ok(JSON.stringify(h).length < 400);
  });

  it('a probe gives back what reads true again and keeps the rest, with what it still found', () => {
    const item = { key: 'i0000004', batchNo: 40, round: 1, range: { start: 4000, end: 4050 }, resets: 1, submitAttempts: 0, notBefore: 0 };
    const h = addHold(addHold(addHold(undefined, hold(25)), hold(27)), { ...hold(0), batches: [], items: [item] });
    const partial = releaseHold(h, new Set([1, 2]), { records: [505], count: 1, why: 'differ from what prepare wrote' });
    assert.deepEqual(partial.back, { batches: [{ from: 27, to: 28 }], items: [item] });
    assert.deepEqual(partial.hold?.batches, [{ from: 25, to: 26 }]);
    assert.deepEqual(partial.hold?.items, []);
    const all = releaseHold(h, new Set([0, 1, 2]), { records: [], count: 0, why: '' });
    assert.equal(all.hold, undefined);
  });
});

describe("the final check: the report's ids against the approved ones", () => {
  it('a multiset digest: order does not count, a duplicate does; digests of parts add up', () => {
    const a = new IdSetDigest();
    const b = new IdSetDigest();
    for (const id of ['x1', 'x2', 'x3']) a.add(id);
    for (const id of ['x3', 'x1', 'x2']) b.add(id);
    assert.equal(a.digest(), b.digest());
    const dup = new IdSetDigest();
    for (const id of ['x1', 'x1', 'x3']) dup.add(id);
    assert.notEqual(dup.digest(), a.digest());
    const part1 = new IdSetDigest();
    const part2 = new IdSetDigest();
    part1.add('x2');
    part2.add('x3');
    part2.add('x1');
    part1.merge(part2);
    assert.equal(part1.digest(), a.digest());
    const s1 = new BucketedIdSet();
    const s2 = new BucketedIdSet();
    for (const id of ids(5000)) s1.add(id);
    for (const id of ids(5000).reverse()) s2.add(id);
    assert.deepEqual(s1.differing(s2), []);
    s2.add('extra1');
    assert.equal(s1.differing(s2).length, 1);
  });

  async function campaignWithReport(list: string[], answered: ReportLine[] = []) {
    const { root, store: inner } = await newStore();
    const store = sealingStore(inner);
    if (answered.length > 0) await store.writePart('c-1', 'p-skipped', answered);
    const record = await store.writeSpool('c-1', list, prepared);
    return { store: inner, seal: record.seal!, root };
  }

  it('every approved id exactly once: the check passes; a foreign id, a dropped one and a second line are named', async () => {
    const list = ids(5000);
    const frozen = [line('fz000001', 'skipped')];
    const { store, seal } = await campaignWithReport(list, frozen);
    for (let b = 0; b < 50; b++) await store.writePart('c-1', `b${String(b).padStart(7, '0')}`, list.slice(b * 100, b * 100 + 100).map((id) => line(id)));
    const ok = await checkReportIds(store, 'c-1', seal);
    assert.ok(idSetMatches(ok), describeIdSetCheck(ok));
    assert.deepEqual([ok.approved, ok.lines, ok.unreadable.count], [5001, 5001, 0]);

    // b0000003's part edited: ph000310 gone, a foreign id in its place, and ph000400 twice.
    const edited = list.slice(300, 400).map((id) => line(id === 'ph000310' ? 'zz000001' : id));
    edited.push(line('ph000400'));
    await store.writePart('c-1', 'b0000003', edited);
    const bad = await checkReportIds(store, 'c-1', seal);
    assert.ok(!idSetMatches(bad));
    assert.deepEqual(bad.missing, { count: 1, examples: ['ph000310'] });
    // The second ph000400 is the one in b0000004's part, read after b0000003's.
    assert.deepEqual(bad.foreign, { count: 2, examples: ['zz000001', 'ph000400'] });
    assert.equal(
      describeIdSetCheck(bad),
      '1 approved phone has no line (e.g. ph000310); 2 lines are for ids nobody approved or a second line for one (e.g. zz000001, ph000400)',
    );
  });

  it("a line added to prepare's own lines is caught by their sealed digest; unreadable spool records are named by position", async () => {
    const list = ids(300);
    const { store, seal, root } = await campaignWithReport(list, [line('fz000001', 'skipped')]);
    for (let b = 0; b < 3; b++) await store.writePart('c-1', `b${String(b).padStart(7, '0')}`, list.slice(b * 100, b * 100 + 100).map((id) => line(id)));
    await store.writePart('c-1', 'p-skipped', [line('fz000001', 'skipped'), line('zz000002', 'skipped')]);
    const added = await checkReportIds(store, 'c-1', seal);
    assert.match(added.answeredChanged ?? '', /^the lines prepare wrote \(p-skipped\) no longer hold the 1 ids it sealed \(they hold 2\)$/);
    assert.ok(!idSetMatches(added));
    await store.writePart('c-1', 'p-skipped', [line('fz000001', 'skipped')]);

    // Record 150 rewritten and its line gone (a cancel could not name it): unreadable, not missing.
    const fd = openSync(join(root, 'c-1', 'spool.ids'), 'r+');
    writeSync(fd, Buffer.from('zz000003'.padEnd(32, ' ')), 0, 32, 150 * RECORD);
    closeSync(fd);
    await store.writePart('c-1', 'b0000001', list.slice(100, 200).filter((_, i) => i !== 50).map((id) => line(id)));
    const lost = await checkReportIds(store, 'c-1', seal);
    assert.ok(idSetMatches(lost), describeIdSetCheck(lost));
    assert.deepEqual(lost.unreadable, { count: 1, records: [150] });
    assert.match(describeIdSetCheck(lost), /^1 spool record \(150\) changed after prepare: their phones cannot be named/);

    // With its line back (written before the record changed): the seal proves that line's id was
    // the record's, so it is approved, not foreign, and nothing is unreadable.
    await store.writePart('c-1', 'b0000001', list.slice(100, 200).map((id) => line(id)));
    const after = await checkReportIds(store, 'c-1', seal);
    assert.ok(idSetMatches(after), describeIdSetCheck(after));
    assert.deepEqual([after.foreign.count, after.missing.count, after.unreadable.count], [0, 0, 0]);

    // Only the id the seal proves for that record is taken back: a stranger's line, or a second
    // line for the same phone, stays foreign while the record is unreadable.
    await store.writePart('c-1', 'b0000001', [...list.slice(100, 150), 'zz000004', ...list.slice(151, 200)].map((id) => line(id)));
    const stranger = await checkReportIds(store, 'c-1', seal);
    assert.deepEqual([stranger.foreign, stranger.unreadable], [{ count: 1, examples: ['zz000004'] }, { count: 1, records: [150] }]);
    await store.writePart('c-1', 'b0000001', [...list.slice(100, 200), list[150]!].map((id) => line(id)));
    const twice = await checkReportIds(store, 'c-1', seal);
    assert.deepEqual([twice.foreign, twice.unreadable.count], [{ count: 1, examples: [list[150]] }, 0]);
  });
});
