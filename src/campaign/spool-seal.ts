// Pure (types and arithmetic only): workflow code carries the seal, activities verify against it.

/**
 * What prepare wrote into a campaign's spool, in a few bytes the workflow carries (its prepared
 * state): every later read of the spool is checked against it, so records rewritten in the store
 * (a stray process, a bad disk, anyone with write access to a shared REPORT_DIR) are never sent.
 *
 * The spool's records are hashed one by one (a `LEAF_BYTES` leaf per record: its position and
 * id), the leaves in blocks of `block` records (a SHA-256 per block), and the block digests into
 * `root`. Leaves and block digests live in the store beside the spool (`spool.seal`, at most
 * 8 bytes a record and 32 a block: 8 MB for a million phones); only `root` must be trusted, and it
 * is in the workflow's history, which no store writer can change. Blocks are fixed record ranges,
 * independent of how the campaign cuts its batches. See docs/design.md, "The spool is verified".
 */
export interface SpoolSeal {
  v: 1;
  /** Records in the spool. */
  records: number;
  /** Records per block. */
  block: number;
  /** SHA-256 (hex) of the block digests: the one value that must come from the workflow. */
  root: string;
  /**
   * The lines prepare wrote itself (frozen, leased, refused before any call): the parts' names,
   * how many ids and their set digest (src/report/id-set.ts). The final check counts them among
   * the approved ids, so a line for an id nobody approved cannot hide among them.
   */
  answered?: { parts: string[]; count: number; digest: string };
}

/** Records per block: a slice is checked by reading its blocks' leaves (8 KB a block). */
export const SEAL_BLOCK = 1024;
/** Bytes of a record's leaf: a truncated SHA-256 of its position and id. */
export const LEAF_BYTES = 8;
/** Bytes of a block digest (SHA-256). */
export const DIGEST_BYTES = 32;

export function sealBlocks(records: number, block: number): number {
  return Math.ceil(records / block);
}

/** Where a record's leaf sits in the seal's bytes (block digests first, then the leaves). */
export function leafOffset(seal: Pick<SpoolSeal, 'records' | 'block'>, position: number): number {
  return sealBlocks(seal.records, seal.block) * DIGEST_BYTES + position * LEAF_BYTES;
}

/** The blocks [first, last] a slice of records [start, end) touches. */
export function blocksOf(seal: Pick<SpoolSeal, 'block'>, start: number, end: number): { first: number; last: number } {
  return { first: Math.floor(start / seal.block), last: Math.floor((end - 1) / seal.block) };
}

/** "2003, 2050, 2071" or "2003, 2050, … (40 records)": positions for people, bounded. */
export function describeRecords(records: readonly number[], count = records.length, shown = 5): string {
  const list = records.slice(0, shown).join(', ');
  return count > shown ? `${list}, … (${count} records)` : list;
}
