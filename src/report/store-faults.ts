import { OwnPartError, STORE_LOST, type OwnPartFault } from '../campaign/blocking';
import type { ReportLine } from '../campaign/outcome';
import type {
  CampaignStore,
  FleetFactsSnapshot,
  JournalEntry,
  LeaseHolder,
  SpoolReader,
  StoredCampaign,
} from './campaign-store';
import type { JobJournal } from '../campaign/work-item';
import type { PreparedSource } from '../campaign/prepared-source';

/**
 * The store no longer holds the campaign: REPORT_DIR (or the campaign's folder) is gone, or the
 * database is another one. Thrown by the stores, which never re-create a store half-way.
 */
export class StoreLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreLostError';
  }
}

// SQLSTATE classes of a database that is down, restarting, full or replaced: 08 connection
// exception, 53 insufficient resources (disk full), 57 operator intervention (shutdown, restart),
// 58 system error (I/O), 28 invalid authorization (its password changed), and 25006 (a read-only
// standby took over). Anything else (a constraint, a syntax error) is a bug, not a fault.
const PG_FAULT = /^(08|53|57|58|28)|^25006$/;
// The database has no store tables or is not there at all: another one answers at its URL.
const PG_LOST = /^(42P01|3D000)$/;
// What node-postgres throws when a connection dies or cannot be made, with no SQLSTATE.
const PG_CONNECTION =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Connection ended/i;

/** A temp file's suffix (writeAtomic, the spool, finalize): the fault names the file it was for. */
const TMP_SUFFIX = /\.\d+(\.[a-z0-9]+)?\.tmp$/;

/**
 * The fault a store error stands for, or undefined when it is not one (a bug): `doing` says what
 * the store was doing ("writing", "reading"), `where` the store (a path or a database URL).
 */
export function storeFaultOf(err: unknown, doing: string, where: string): OwnPartFault | undefined {
  if (err instanceof OwnPartError) return err.fault;
  if (err instanceof StoreLostError)
    return { part: 'store', code: STORE_LOST, message: `store: ${err.message}` };
  if (!(err instanceof Error)) return undefined;
  const e = err as NodeJS.ErrnoException & { severity?: string; address?: string; port?: number };
  if (typeof e.code === 'string' && e.severity !== undefined) {
    if (PG_LOST.test(e.code)) {
      return {
        part: 'store',
        code: STORE_LOST,
        message: `store: the database ${where} no longer holds the store (${e.code}: ${e.message}): another database answers at its URL`,
      };
    }
    if (PG_FAULT.test(e.code))
      return {
        part: 'store',
        code: e.code,
        message: `store: PostgreSQL ${e.code} ${doing} ${where} (${e.message})`,
      };
    return undefined;
  }
  // A system error (ENOSPC, EACCES, EROFS, EIO, ECONNREFUSED, …): Node gives it a syscall.
  if (typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) && typeof e.syscall === 'string') {
    const target = e.path ? e.path.replace(TMP_SUFFIX, '') : where;
    return { part: 'store', code: e.code, message: `store: ${e.code} ${doing} ${target}` };
  }
  if (PG_CONNECTION.test(e.message)) {
    return { part: 'store', code: 'CONNECTION_LOST', message: `store: ${doing} ${where}: ${e.message}` };
  }
  return undefined;
}

/**
 * The store as activities see it: every failure that is a fault of the store (storeFaultOf) comes
 * out as an OwnPartError naming it, which activities answer as data (the campaign blocks) instead
 * of failing. Other errors (bugs) pass unchanged.
 */
export class FaultNamingStore implements CampaignStore {
  constructor(
    private readonly inner: CampaignStore,
    /** The store for people: REPORT_DIR's path or the database URL without credentials. */
    private readonly where: string,
  ) {}

  /**
   * The error as activities see it. A file that vanished (ENOENT) is asked about: a store that no
   * longer holds the campaign says so (STORE_LOST) rather than naming one missing file.
   */
  private async fault(err: unknown, doing: string, campaignId?: string): Promise<unknown> {
    if (err instanceof OwnPartError) return err;
    let fault = storeFaultOf(err, doing, this.where);
    if (fault?.code === 'ENOENT' && campaignId !== undefined) {
      const lost = await this.inner.probe(campaignId).then(
        () => undefined,
        (e: unknown) => (e instanceof StoreLostError ? storeFaultOf(e, doing, this.where) : undefined),
      );
      fault = lost ?? fault;
    }
    return fault ? new OwnPartError(fault, { cause: err }) : err;
  }

  private async run<T>(doing: string, op: () => Promise<T>, campaignId?: string): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw await this.fault(err, doing, campaignId);
    }
  }

  private async *each<T>(
    doing: string,
    items: () => AsyncIterable<T>,
    campaignId?: string,
  ): AsyncIterable<T> {
    try {
      yield* items();
    } catch (err) {
      throw await this.fault(err, doing, campaignId);
    }
  }

  location(campaignId: string): string {
    return this.inner.location(campaignId);
  }
  readPrepared(campaignId: string): Promise<PreparedSource | undefined> {
    return this.run('reading', () => this.inner.readPrepared(campaignId), campaignId);
  }
  createCampaign(campaignId: string): Promise<void> {
    return this.run('writing', () => this.inner.createCampaign(campaignId));
  }
  writeSpool(
    campaignId: string,
    ids: Iterable<string> | AsyncIterable<string>,
    prepared: (count: number) => PreparedSource,
  ): Promise<PreparedSource> {
    return this.run('writing', () => this.inner.writeSpool(campaignId, ids, prepared), campaignId);
  }
  readSpool(campaignId: string, start: number, end: number): Promise<string[]> {
    return this.run('reading', () => this.inner.readSpool(campaignId, start, end), campaignId);
  }
  openSpool(campaignId: string): SpoolReader {
    const spool = this.inner.openSpool?.(campaignId);
    if (!spool)
      return { read: (start, end) => this.readSpool(campaignId, start, end), close: async () => undefined };
    return {
      read: (start, end) => this.run('reading', () => spool.read(start, end), campaignId),
      close: () => this.run('reading', () => spool.close()),
    };
  }
  spoolLocation(campaignId: string): string {
    return this.inner.spoolLocation(campaignId);
  }
  writeSpoolSeal(campaignId: string, bytes: Buffer): Promise<void> {
    return this.run('writing', () => this.inner.writeSpoolSeal(campaignId, bytes), campaignId);
  }
  readSpoolSeal(campaignId: string, offset: number, length: number): Promise<Buffer> {
    return this.run('reading', () => this.inner.readSpoolSeal(campaignId, offset, length), campaignId);
  }
  readSpoolFrom(campaignId: string, start: number): AsyncIterable<string> {
    return this.each('reading', () => this.inner.readSpoolFrom(campaignId, start), campaignId);
  }
  writeJournal(campaignId: string, key: string, journal: JobJournal): Promise<void> {
    return this.run('writing', () => this.inner.writeJournal(campaignId, key, journal), campaignId);
  }
  readJournal(campaignId: string, key: string): Promise<JobJournal | undefined> {
    return this.run('reading', () => this.inner.readJournal(campaignId, key), campaignId);
  }
  journalLocation(campaignId: string, key: string): string {
    return this.inner.journalLocation(campaignId, key);
  }
  listJournals(campaignId: string): AsyncIterable<JournalEntry> {
    return this.each('reading', () => this.inner.listJournals(campaignId), campaignId);
  }
  writeFleetFacts(campaignId: string, facts: FleetFactsSnapshot): Promise<void> {
    return this.run('writing', () => this.inner.writeFleetFacts(campaignId, facts), campaignId);
  }
  readFleetFacts(campaignId: string): Promise<FleetFactsSnapshot | undefined> {
    return this.run('reading', () => this.inner.readFleetFacts(campaignId), campaignId);
  }
  writePart(campaignId: string, name: string, lines: ReportLine[]): Promise<void> {
    return this.run('writing', () => this.inner.writePart(campaignId, name, lines), campaignId);
  }
  readReport(campaignId: string): AsyncIterable<ReportLine> {
    return this.each('reading', () => this.inner.readReport(campaignId), campaignId);
  }
  readPart(campaignId: string, name: string): AsyncIterable<ReportLine> {
    return this.each('reading', () => this.inner.readPart(campaignId, name), campaignId);
  }
  finalize(
    campaignId: string,
    state?: string,
  ): Promise<{ location: string; lines: number; duplicates: number }> {
    return this.run('writing', () => this.inner.finalize(campaignId, state), campaignId);
  }
  describeStored(campaignId: string): Promise<StoredCampaign | undefined> {
    return this.run('reading', () => this.inner.describeStored(campaignId));
  }
  archive(campaignId: string): Promise<string> {
    return this.run('writing', () => this.inner.archive(campaignId));
  }
  withLeaseLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.run('locking', () => this.inner.withLeaseLock(fn));
  }
  leaseHolders(): Promise<LeaseHolder[]> {
    return this.run('reading', () => this.inner.leaseHolders());
  }
  registerLease(holder: LeaseHolder): Promise<void> {
    return this.run('writing', () => this.inner.registerLease(holder));
  }
  releaseLease(campaignId: string): Promise<void> {
    return this.run('writing', () => this.inner.releaseLease(campaignId));
  }
  heldPhones(campaignId: string): AsyncIterable<string> {
    return this.each('reading', () => this.inner.heldPhones(campaignId), campaignId);
  }
  probe(campaignId: string): Promise<void> {
    return this.run('writing', () => this.inner.probe(campaignId));
  }
  check(): Promise<void> {
    return this.inner.check();
  }
}
