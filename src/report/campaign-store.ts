import type { Anomaly } from '../campaign/anomalies';
import type { BatchSegment } from '../campaign/batch-layout';
import type { PreflightSummary, Verdict } from '../campaign/fleet-facts';
import type { PoolLimit } from '../campaign/pool-budget';
import type { ReportLine } from '../campaign/outcome';
import type { SpoolSeal } from '../campaign/spool-seal';
import type { WorkItem } from '../campaign/work-item';
import type { KoophoneAccount } from '../koophone/account';
import type { StoreIdentity } from './store-identity';

/** What prepare learned about a campaign's id source; saved so a retried prepare is a no-op. */
export interface PreparedSource {
  total: number;
  duplicates: number;
  /** Instances listed but not reset, e.g. frozen phones in a fleet listing, phones in use. */
  skipped: number;
  /**
   * Instances refused for good before any call (not in the tenant's fleet, frozen): their lines
   * are written `rejected`. They spend no error budget (the campaign could not change them).
   */
  rejected?: number;
  /** How the spool is cut into batches (by region, and pool with a budget); absent: uniform. */
  layout?: BatchSegment[];
  /** With `--max-per-pool`: each pool of the campaign with its size and limit. */
  pools?: PoolLimit[];
  /** What the pre-flight listing found (absent for campaigns prepared without one). */
  preflight?: PreflightSummary;
  sha256: string;
  /** Set for file sources: compared on every batch to refuse a file that changed. */
  file?: { path: string; size: number; mtimeMs: number; sha256: string };
  /**
   * The workflow execution (first run id) that prepared this store. A campaign id names one
   * campaign only: a later workflow with the same id (history deleted, retention) must not read it.
   * Absent in stores prepared by earlier versions.
   */
  owner?: string;
  preparedAt?: string;
  /**
   * The store that holds the campaign: set on prepare's answer to the workflow (which records it
   * for the other workers), not in the stored record.
   */
  store?: StoreIdentity;
  /**
   * What prepare wrote into the spool: every later read is checked against the copy the workflow
   * carries (src/report/verified-spool.ts). Absent in stores prepared by earlier versions.
   */
  seal?: SpoolSeal;
  /**
   * The KooPhone account the campaign talks to (endpoint, tenant, project; never a secret): the one
   * of the worker that prepared it. A worker of another refuses the campaign's KooPhone work
   * (src/activities/credentials.ts). Absent in campaigns prepared by earlier versions.
   */
  account?: KoophoneAccount;
}

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
 * The submitted call of one work item, written before tracking so no crash resubmits it. With an
 * empty taskId it is the mark written just before a call: a worker that dies mid-call leaves it.
 */
export interface JobJournal {
  taskId: string;
  jobs: { instanceId: string; jobId: string }[];
  submittedAt: number;
  /**
   * Calls for this item that may have reset its phones without being accepted (a worker died
   * mid-call, an answer that proves nothing) and that the workflow has not been told about yet.
   * Absent in journals of earlier versions.
   */
  uncertain?: number;
  /** Why the latest of `uncertain` was counted; absent: its worker died mid-call. */
  why?: string;
  /** The activity (run id and activity id) that wrote it: tells its own retries from later items. */
  by?: string;
  /** On a mark: the call was answered with an error, so it reset nothing. */
  answered?: true;
  /** On an answered mark: a call was made (and refused), not only handed back unsent. */
  refused?: true;
  /** On a refused mark: its answer proved nothing, so `uncertain` counts its call too. */
  possiblyApplied?: true;
  /** On an accepted call: the cmd_jobs its answer held that `jobs` leaves out or collapses. */
  anomalies?: Anomaly[];
  /**
   * Phones of the item held back from this call by the latest fleet listing (in use, frozen,
   * gone since prepare), with why: they get their line from it, the call went without them.
   */
  screened?: Record<string, Verdict>;
  /**
   * The item's phones (its spool range or ids) and the resets they had before its call: what a
   * report rebuilt from the store after a terminate needs to count this call for its phones.
   * Absent in journals of earlier versions.
   */
  item?: JournaledItem;
  /**
   * The campaign and item it was written for: a journal copied from another campaign or item is
   * not read as this one's (src/report/journal-check.ts). Absent in journals of earlier versions.
   */
  campaign?: string;
  key?: string;
}

export type JournaledItem = Pick<WorkItem, 'range' | 'ids' | 'resets'>;

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
