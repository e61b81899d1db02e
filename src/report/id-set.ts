import { createHash } from 'node:crypto';

// A multiset hash (MSet-Add-Hash): the sum, modulo 2^128, of a hash of each id. Two multisets of
// ids have the same count and sum only if they are the same multiset (but for a 2^-128 chance),
// whatever their order: a report read in instance-id order compares with a spool read in its own,
// in constant memory. An id twice adds its hash twice, so a duplicate is seen too.

const SUM_WORDS = 4;

/** The SHA-256 of an id: its first 4 bytes pick a bucket, the next 16 are what is summed. */
export function idHash(id: string): Buffer {
  return createHash('sha256').update(id).digest();
}

function addInto(sums: Uint32Array, at: number, h: Buffer): void {
  addWords(sums, at, (w) => h.readUInt32BE(4 + 4 * w));
}

function addWords(sums: Uint32Array, at: number, word: (w: number) => number): void {
  let carry = 0;
  for (let w = 0; w < SUM_WORDS; w++) {
    const s = sums[at + w]! + word(w) + carry;
    sums[at + w] = s >>> 0;
    carry = s > 0xffffffff ? 1 : 0;
  }
}

/** One multiset's count and sum: `digest()` is a short string the workflow can carry. */
export class IdSetDigest {
  count = 0;
  private readonly sum = new Uint32Array(SUM_WORDS);

  add(id: string, h: Buffer = idHash(id)): void {
    this.count += 1;
    addInto(this.sum, 0, h);
  }

  /** Adds another multiset's ids: the digest of a union is the sum of the digests. */
  merge(other: IdSetDigest): void {
    this.count += other.count;
    addWords(this.sum, 0, (w) => other.sum[w]!);
  }

  /** `count:sum` (the sum as 32 hex digits): equal digests, equal multisets. */
  digest(): string {
    const words = [...this.sum].map((w) => w.toString(16).padStart(8, '0')).join('');
    return `${this.count}:${words}`;
  }
}

/** Buckets by the hash's first bits: a mismatch is narrowed to the few buckets that differ. */
export const ID_BUCKETS = 4096;

/**
 * A multiset of ids as per-bucket counts and sums (160 KB whatever the count): two of them are
 * compared bucket by bucket, and only the ids of buckets that differ need to be read again to
 * name them (see checkReportIds).
 */
export class BucketedIdSet {
  total = 0;
  private readonly counts = new Uint32Array(ID_BUCKETS);
  private readonly sums = new Uint32Array(ID_BUCKETS * SUM_WORDS);

  add(id: string, h: Buffer = idHash(id)): void {
    const b = bucketOf(h);
    this.total += 1;
    this.counts[b] = this.counts[b]! + 1;
    addInto(this.sums, b * SUM_WORDS, h);
  }

  /** The buckets whose ids differ from `other`'s. */
  differing(other: BucketedIdSet): number[] {
    const out: number[] = [];
    for (let b = 0; b < ID_BUCKETS; b++) {
      let same = this.counts[b] === other.counts[b];
      for (let w = 0; same && w < SUM_WORDS; w++) {
        same = this.sums[b * SUM_WORDS + w] === other.sums[b * SUM_WORDS + w];
      }
      if (!same) out.push(b);
    }
    return out;
  }
}

export function bucketOf(h: Buffer): number {
  return h.readUInt32BE(0) % ID_BUCKETS;
}
