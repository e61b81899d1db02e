import { createHash } from 'node:crypto';
import { OwnPartError, SPOOL_TAMPERED } from '../campaign/blocking';
import {
  blocksOf,
  describeRecords,
  DIGEST_BYTES,
  LEAF_BYTES,
  leafOffset,
  SEAL_BLOCK,
  sealBlocks,
  type SpoolSeal,
} from '../campaign/spool-seal';
import { instanceIdProblem } from '../campaign/instance-id';
import type { CampaignStore, SpoolReader } from './campaign-store';

// See src/campaign/spool-seal.ts for what the seal is. The hashes are domain-separated so a
// leaf, a block digest and the root can never stand for one another.
const LEAF_TAG = Buffer.from('koophone-spool-leaf\0');
const ROOT_TAG = Buffer.from('koophone-spool-seal\0v1\0');

/** A record's leaf: its position and id, so an approved id moved to another record is caught too. */
export function leafOf(position: number, id: string): Buffer {
  const pos = Buffer.alloc(4);
  pos.writeUInt32BE(position);
  return createHash('sha256').update(LEAF_TAG).update(pos).update(id).digest().subarray(0, LEAF_BYTES);
}

function rootOf(records: number, block: number, digests: Buffer): string {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(records, 0);
  head.writeUInt32BE(block, 4);
  return createHash('sha256').update(ROOT_TAG).update(head).update(digests).digest('hex');
}

/**
 * The seal of the spool prepare is about to write: the bytes to store beside it (block digests,
 * then leaves) and the seal the workflow carries.
 */
export function sealSpool(ids: readonly string[], block = SEAL_BLOCK): { seal: SpoolSeal; bytes: Buffer } {
  const records = ids.length;
  const blocks = sealBlocks(records, block);
  const bytes = Buffer.alloc(blocks * DIGEST_BYTES + records * LEAF_BYTES);
  const leavesAt = blocks * DIGEST_BYTES;
  for (let p = 0; p < records; p++) leafOf(p, ids[p]!).copy(bytes, leavesAt + p * LEAF_BYTES);
  for (let b = 0; b < blocks; b++) {
    const leaves = bytes.subarray(leavesAt + b * block * LEAF_BYTES, leavesAt + Math.min(records, (b + 1) * block) * LEAF_BYTES);
    createHash('sha256').update(leaves).digest().copy(bytes, b * DIGEST_BYTES);
  }
  return { seal: { v: 1, records, block, root: rootOf(records, block, bytes.subarray(0, leavesAt)) }, bytes };
}

/**
 * Records of the spool that did not read back as prepare wrote them, in the slice a caller asked
 * for: nothing of that slice may be sent. An own part's fault (`spool`, SPOOL_TAMPERED), held per
 * slice: a lane holds the item and goes on with the others (src/campaign/spool-hold.ts).
 */
export class SpoolTampered extends OwnPartError {
  constructor(
    readonly range: { start: number; end: number },
    /** The first few records that differ (positions in the spool), and how many. */
    readonly records: number[],
    readonly count: number,
    /** Where the spool is (a path, a table), and what is wrong with those records. */
    readonly where: string,
    readonly why: string,
  ) {
    super({
      part: 'spool',
      code: SPOOL_TAMPERED,
      message: `spool: ${SPOOL_TAMPERED} records ${describeRecords(records, count)} of ${where} ${why}`,
    });
    this.name = 'SpoolTampered';
  }
}

/** What one slice reads back: each record's id, or undefined where the record cannot be proved. */
export interface ProvedSlice {
  ids: (string | undefined)[];
  /** Positions that cannot be proved, ascending (all of them: a slice is bounded). */
  bad: number[];
  /** Why they cannot, in a few words. */
  why?: string;
}

// Verified blocks' leaves kept per reader: a lane reads its batches in order, ten to a block.
const LEAVES_KEPT = 16;

/**
 * A campaign's spool as its lanes and activities read it: every id proved against the seal the
 * workflow carries before it is used (sent, tracked, written on a line), and re-validated as an
 * instance id. Without a seal (a campaign prepared by an earlier version) ids are only validated:
 * binary junk in a record is never sent.
 */
export class VerifiedSpool {
  private digests: Promise<Buffer | undefined> | undefined;
  private readonly leaves = new Map<number, Promise<Buffer | undefined>>();

  constructor(
    private readonly store: CampaignStore,
    private readonly campaignId: string,
    private readonly seal: SpoolSeal | undefined,
    /** Slices are read through it when given (a lane's open spool), else with readSpool. */
    private readonly reader?: SpoolReader,
  ) {}

  /** The ids of records [start, end), every one proved; or SpoolTampered naming those that are not. */
  async read(start: number, end: number): Promise<string[]> {
    const slice = await this.readProved(start, end);
    if (slice.bad.length > 0) {
      throw new SpoolTampered(
        { start, end },
        slice.bad.slice(0, 10),
        slice.bad.length,
        this.store.spoolLocation(this.campaignId),
        slice.why ?? 'differ from what prepare wrote',
      );
    }
    return slice.ids as string[];
  }

  /** Each record of [start, end) proved or not: what an ending writes lines from. */
  async readProved(start: number, end: number): Promise<ProvedSlice> {
    if (end <= start) return { ids: [], bad: [] };
    const raw = this.reader ? await this.reader.read(start, end) : await this.store.readSpool(this.campaignId, start, end);
    const ids: (string | undefined)[] = [];
    const bad: number[] = [];
    let why: string | undefined;
    const blocks = this.seal ? await this.blockLeaves(start, end) : undefined;
    if (blocks && !blocks.ok) why = blocks.why;
    for (let p = start; p < end; p++) {
      const id = raw[p - start];
      let ok = id !== undefined && instanceIdProblem(id) === undefined;
      if (ok && this.seal) {
        const leaves = blocks?.leaves.get(Math.floor(p / this.seal.block));
        const at = (p % this.seal.block) * LEAF_BYTES;
        ok = leaves !== undefined && leafOf(p, id!).equals(leaves.subarray(at, at + LEAF_BYTES));
      }
      if (ok) ids.push(id);
      else {
        ids.push(undefined);
        bad.push(p);
      }
    }
    if (bad.length > 0 && !why) {
      why = raw.length < end - start ? 'are missing or differ from what prepare wrote' : 'differ from what prepare wrote';
    }
    return { ids, bad, ...(why ? { why } : {}) };
  }

  /**
   * Which of `candidates` the seal proves was written at `position` (the record itself may say
   * otherwise now), or undefined: none, or the record's leaf cannot be proved.
   */
  async provedIdAt(position: number, candidates: Iterable<string>): Promise<string | undefined> {
    if (!this.seal || position >= this.seal.records) return undefined;
    const blocks = await this.blockLeaves(position, position + 1);
    const leaves = blocks.leaves.get(Math.floor(position / this.seal.block));
    if (!leaves) return undefined;
    const at = (position % this.seal.block) * LEAF_BYTES;
    const leaf = leaves.subarray(at, at + LEAF_BYTES);
    for (const id of candidates) if (leafOf(position, id).equals(leaf)) return id;
    return undefined;
  }

  /** The proved leaves of the blocks [start, end) touches (a block missing: its leaves cannot be trusted). */
  private async blockLeaves(start: number, end: number): Promise<{ ok: boolean; why?: string; leaves: Map<number, Buffer> }> {
    const seal = this.seal!;
    const digests = await this.blockDigests();
    const leaves = new Map<number, Buffer>();
    if (!digests) return { ok: false, why: `differ from what prepare wrote: its seal (spool.seal) no longer matches the campaign's`, leaves };
    const { first, last } = blocksOf(seal, start, Math.min(end, seal.records));
    let ok = true;
    for (let b = first; b <= last; b++) {
      const l = await this.blockLeaf(b, digests);
      if (l) leaves.set(b, l);
      else ok = false;
    }
    return ok ? { ok, leaves } : { ok, why: 'cannot be proved: their part of the seal (spool.seal) was changed', leaves };
  }

  private blockDigests(): Promise<Buffer | undefined> {
    const seal = this.seal!;
    this.digests ??= (async () => {
      const length = sealBlocks(seal.records, seal.block) * DIGEST_BYTES;
      const bytes = await this.store.readSpoolSeal(this.campaignId, 0, length);
      if (bytes.length !== length || rootOf(seal.records, seal.block, bytes) !== seal.root) return undefined;
      return bytes;
    })().catch((e: unknown) => {
      this.digests = undefined; // a store fault: the next read asks again
      throw e;
    });
    return this.digests;
  }

  private blockLeaf(b: number, digests: Buffer): Promise<Buffer | undefined> {
    const seal = this.seal!;
    let leaves = this.leaves.get(b);
    if (!leaves) {
      const count = Math.min(seal.block, seal.records - b * seal.block);
      leaves = this.store
        .readSpoolSeal(this.campaignId, leafOffset(seal, b * seal.block), count * LEAF_BYTES)
        .then((bytes) => {
          const digest = digests.subarray(b * DIGEST_BYTES, (b + 1) * DIGEST_BYTES);
          return bytes.length === count * LEAF_BYTES && createHash('sha256').update(bytes).digest().equals(digest)
            ? bytes
            : undefined;
        });
      leaves.catch(() => this.leaves.delete(b));
      this.leaves.set(b, leaves);
      if (this.leaves.size > LEAVES_KEPT) this.leaves.delete(this.leaves.keys().next().value!);
    }
    return leaves;
  }

  async close(): Promise<void> {
    await this.reader?.close();
  }
}
