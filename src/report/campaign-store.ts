import type { Verdict } from '../campaign/fleet-facts';
import type { ReportLine } from '../campaign/outcome';
import type { PreparedSource } from '../campaign/prepared-source';
import type { JobJournal } from '../campaign/work-item';

/** What a store remembers of a campaign, even when Temporal no longer does. */
export interface StoredCampaign {
  campaignId: string;
  owner?: string;
  preparedAt?: string;
  total: number;
  /** Set once the campaign's report was assembled. */
  finalState?: string;
  finishedAt?: string;
}

/** A campaign that holds its phones: no other campaign may reset them until it ends. */
export interface LeaseHolder {
  campaignId: string;
  /** First run id of the workflow execution that holds the lease. */
  owner: string;
  since: string;
  total: number;
}

/**
 * A listing taken after prepare (a long campaign lists again, src/workflows/engine): the spool's
 * phones that must not be sent now, and why. Lanes screen each call's ids against the latest.
 */
export interface FleetFactsSnapshot {
  /** When the listing ended (ISO). */
  listedAt: string;
  calls: number;
  /** Phones of the spool answered without a call if their batch goes now: id → verdict. */
  excluded: Record<string, Verdict>;
}

/**
 * One work item's journal, as listed: what it holds, or why it cannot be read (its bytes are not
 * JSON: empty, cut off). Whether what it holds is a journal of this campaign's item is the
 * reader's to check (src/activities/item-journal.ts).
 */
export type JournalEntry =
  | { key: string; journal: JobJournal; unreadable?: undefined }
  | { key: string; journal?: undefined; unreadable: JournalUnreadable };

/** A journal whose content cannot be used: where it is and why. */
export interface JournalUnreadable {
  /** The file (or row) for people: `/srv/reports/c-1/jobs/b0000020.json`. */
  where: string;
  why: string;
}

/** Thrown by readJournal when the stored bytes are not JSON. */
export class JournalUnreadableError extends Error {
  constructor(readonly unreadable: JournalUnreadable) {
    super(`journal ${unreadable.where} cannot be read: ${unreadable.why}`);
    this.name = 'JournalUnreadableError';
  }
}

/** Slices of one campaign's spool; close() when done. */
export interface SpoolReader {
  read(start: number, end: number): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Everything a campaign keeps outside workflow history: the deduplicated id spool that batches
 * read their slice from, the journal of accepted calls, and the per-instance outcome lines.
 * Every worker of a task queue must see the same store.
 */
export interface CampaignStore {
  /** Human-readable location of the campaign's report (a path or a URL). */
  location(campaignId: string): string;
  readPrepared(campaignId: string): Promise<PreparedSource | undefined>;
  /**
   * Makes the campaign's place in the store, at prepare only. No other write makes it (nor the
   * store itself): a store deleted or replaced mid-campaign is never re-created half-way, its
   * writes fail with a StoreLostError instead (src/report/store-faults.ts).
   */
  createCampaign(campaignId: string): Promise<void>;
  /**
   * Proves the store still holds the campaign (its prepared source) and takes a write, creating
   * nothing that stays; rejects with the reason (a StoreLostError when it no longer holds it). A
   * lane runs it before its term, and a blocked campaign to see its store healed.
   */
  probe(campaignId: string): Promise<void>;
  /** Atomically replaces the spool and the prepared-source record (from a list, or a stream of ids). */
  writeSpool(
    campaignId: string,
    ids: Iterable<string> | AsyncIterable<string>,
    prepared: (count: number) => PreparedSource,
  ): Promise<PreparedSource>;
  readSpool(campaignId: string, start: number, end: number): Promise<string[]>;
  /** Where the spool is, for people: a path, or the table and campaign. */
  spoolLocation(campaignId: string): string;
  /** Replaces the spool's seal (src/campaign/spool-seal.ts), written by prepare before the spool. */
  writeSpoolSeal(campaignId: string, bytes: Buffer): Promise<void>;
  /** Up to `length` bytes of the seal from `offset`: fewer (none) where it has fewer (none at all). */
  readSpoolSeal(campaignId: string, offset: number, length: number): Promise<Buffer>;
  /**
   * Reads slices for a while (a lane's term) without opening the spool for each: one lane reads
   * a slice per batch-reset call. Optional; without it, readSpool.
   */
  openSpool?(campaignId: string): SpoolReader;
  readSpoolFrom(campaignId: string, start: number): AsyncIterable<string>;
  writeJournal(campaignId: string, key: string, journal: JobJournal): Promise<void>;
  /**
   * The item's journal as stored (undefined when none). Bytes that are not JSON reject with a
   * JournalUnreadableError; whether the JSON is a journal of this item is the caller's to check.
   */
  readJournal(campaignId: string, key: string): Promise<JobJournal | undefined>;
  /** Where an item's journal is, for people: a path, or the table and item. */
  journalLocation(campaignId: string, key: string): string;
  /** Every item's journal of the campaign, in key order; one that cannot be read says why. */
  listJournals(campaignId: string): AsyncIterable<JournalEntry>;
  /** Replaces the campaign's latest fleet listing (what its lanes screen calls against). */
  writeFleetFacts(campaignId: string, facts: FleetFactsSnapshot): Promise<void>;
  readFleetFacts(campaignId: string): Promise<FleetFactsSnapshot | undefined>;
  /** Idempotent: writing the same part name again replaces it, never duplicates lines. */
  writePart(campaignId: string, name: string, lines: ReportLine[]): Promise<void>;
  /** The final report when assembled, otherwise the parts written so far. */
  readReport(campaignId: string): AsyncIterable<ReportLine>;
  /** The lines of one part as written (none when it does not exist). */
  readPart(campaignId: string, name: string): AsyncIterable<ReportLine>;
  /**
   * Assembles the parts into the final report and returns its location and line count; records
   * the campaign's final state (when given) for later starts that reuse the id.
   */
  finalize(
    campaignId: string,
    state?: string,
  ): Promise<{ location: string; lines: number; duplicates: number }>;

  // ---- campaign identity -------------------------------------------------------------------
  /** The stored campaign of this id, whoever prepared it, or undefined when there is none. */
  describeStored(campaignId: string): Promise<StoredCampaign | undefined>;
  /** Moves everything stored under the id aside (kept, never deleted); returns the new name. */
  archive(campaignId: string): Promise<string>;

  // ---- phone leases --------------------------------------------------------------------------
  /** Runs `fn` while no other process of any worker or CLI holds the lease lock. */
  withLeaseLock<T>(fn: () => Promise<T>): Promise<T>;
  leaseHolders(): Promise<LeaseHolder[]>;
  registerLease(holder: LeaseHolder): Promise<void>;
  releaseLease(campaignId: string): Promise<void>;
  /** The phones a campaign still holds: its spool less the instances with a report line. */
  heldPhones(campaignId: string): AsyncIterable<string>;
  /**
   * Proves the store can be written (a probe written and removed), so a worker refuses to start
   * rather than fail its first campaign minutes later. Rejects with the reason.
   */
  check(): Promise<void>;
}
