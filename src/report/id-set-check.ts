import type { IdSetCheck } from '../campaign/report-ids';
import type { SpoolSeal } from '../campaign/spool-seal';
import type { CampaignStore } from './campaign-store';
import { BucketedIdSet, bucketOf, idHash, IdSetDigest } from './id-set';
import { VerifiedSpool } from './verified-spool';

export type { IdSetCheck } from '../campaign/report-ids';

const EXAMPLES = 10;
// Buckets whose ids are read again by name when they differ: ids per bucket are ~total/4096, so
// 256 of them for a million phones is ~62 000 ids held at once.
const MAX_RESCAN_BUCKETS = 256;
// A heartbeat (or any progress callback) every this many ids.
const BEAT_EVERY = 20_000;


/**
 * Compares the report's ids with the approved ones in bounded memory, whatever the campaign's
 * size: both sides are summed per bucket of their hash (src/report/id-set.ts) in one streaming
 * pass each; only when buckets differ are the ids of those buckets read again, by name, to say
 * which are missing or foreign. A spool record changed after its batch went (its line is for the
 * approved id, its record no longer says so) is told apart from a foreign line by its leaf: the
 * line's id is the one the seal proves for that record.
 */
export async function checkReportIds(
  store: CampaignStore,
  campaignId: string,
  seal: SpoolSeal,
  beat: () => void = () => undefined,
): Promise<IdSetCheck> {
  const approved = new BucketedIdSet();
  const unreadable = { count: 0, records: [] as number[] };
  // Positions that cannot be proved, kept (up to a bound) to match foreign lines against.
  const unproved: number[] = [];
  let seen = 0;
  const tick = () => {
    if (++seen % BEAT_EVERY === 0) beat();
  };
  await eachApproved(store, campaignId, seal, (id, h) => (approved.add(id, h), tick()), (p) => {
    unreadable.count += 1;
    if (unproved.length < MAX_MATCHED) unproved.push(p);
  });
  const answeredChanged = await checkAnswered(store, campaignId, seal);
  const report = new BucketedIdSet();
  for await (const line of store.readReport(campaignId)) {
    report.add(line.instance_id);
    tick();
  }
  const check: IdSetCheck = {
    approved: approved.total,
    lines: report.total,
    missing: { count: 0, examples: [] },
    foreign: { count: 0, examples: [] },
    unreadable,
    ...(answeredChanged ? { answeredChanged } : {}),
  };
  const differing = approved.differing(report);
  const done = () => {
    unreadable.records = unproved.slice(0, EXAMPLES);
    return check;
  };
  if (differing.length === 0) return done();
  const named = new Set(differing.slice(0, MAX_RESCAN_BUCKETS));
  if (differing.length > named.size) check.partial = true;
  // The differing buckets' approved ids, by name (each once: approved ids are a set).
  const wanted = new Map<string, number>();
  await eachApproved(store, campaignId, seal, (id, h) => {
    if (named.has(bucketOf(h))) wanted.set(id, (wanted.get(id) ?? 0) + 1);
    tick();
  });
  const foreign: string[] = [];
  for await (const line of store.readReport(campaignId)) {
    const id = line.instance_id;
    tick();
    if (!named.has(bucketOf(idHash(id)))) continue;
    const left = wanted.get(id) ?? 0;
    if (left > 0) wanted.set(id, left - 1);
    else foreign.push(id);
  }
  for (const id of await unmatched(store, campaignId, seal, foreign, unproved, unreadable, beat)) note(check.foreign, id);
  for (const [id, left] of wanted) for (let i = 0; i < left; i++) note(check.missing, id);
  return done();
}

// Unproved records and foreign lines matched one to one at most this many pairs (leaf hashes).
const MAX_MATCHED = 10_000;
const MAX_PAIRS = 2_000_000;

/**
 * The foreign ids that are not the id the seal proves for an unproved record (its leaf: the record
 * changed after its line was written): those that are are approved after all, and their record is
 * no longer counted unreadable.
 */
async function unmatched(
  store: CampaignStore,
  campaignId: string,
  seal: SpoolSeal,
  foreign: string[],
  unproved: number[],
  unreadable: { count: number },
  beat: () => void,
): Promise<string[]> {
  if (foreign.length === 0 || unproved.length === 0 || foreign.length * unproved.length > MAX_PAIRS) return foreign;
  const spool = new VerifiedSpool(store, campaignId, seal);
  const left = new Set(foreign);
  const matched = new Set<string>();
  for (let i = 0; i < unproved.length && left.size > 0; ) {
    beat(); // up to MAX_PAIRS leaf hashes in all: seconds, not minutes
    const match = await spool.provedIdAt(unproved[i]!, left);
    if (match === undefined) i++;
    else {
      left.delete(match);
      matched.add(match);
      unproved.splice(i, 1);
      unreadable.count -= 1;
    }
  }
  // Each matched id's first line is the approved one; a second line for it stays foreign.
  return foreign.filter((id) => !(matched.has(id) && matched.delete(id)));
}

function note(into: { count: number; examples: string[] }, id: string): void {
  into.count += 1;
  if (into.examples.length < EXAMPLES) into.examples.push(id);
}

/** Every approved id: the spool's proved records, block by block, then prepare's own lines. */
async function eachApproved(
  store: CampaignStore,
  campaignId: string,
  seal: SpoolSeal,
  each: (id: string, h: Buffer) => void,
  unproved: (position: number) => void = () => undefined,
): Promise<void> {
  const spool = new VerifiedSpool(store, campaignId, seal);
  try {
    for (let start = 0; start < seal.records; start += seal.block) {
      const slice = await spool.readProved(start, Math.min(seal.records, start + seal.block));
      for (const [i, id] of slice.ids.entries()) {
        if (id === undefined) unproved(start + i);
        else each(id, idHash(id));
      }
    }
  } finally {
    await spool.close();
  }
  for (const name of seal.answered?.parts ?? []) {
    for await (const line of store.readPart(campaignId, name)) each(line.instance_id, idHash(line.instance_id));
  }
}

/** Prepare's own lines against their sealed digest: a line added to them, or one taken out. */
async function checkAnswered(store: CampaignStore, campaignId: string, seal: SpoolSeal): Promise<string | undefined> {
  const sealed = seal.answered;
  if (!sealed) return undefined;
  const digest = new IdSetDigest();
  for (const name of sealed.parts) {
    for await (const line of store.readPart(campaignId, name)) digest.add(line.instance_id);
  }
  if (digest.digest() === sealed.digest) return undefined;
  return (
    `the lines prepare wrote (${sealed.parts.join(', ')}) no longer hold the ${sealed.count} ids it sealed ` +
    `(they hold ${digest.count})`
  );
}
