import * as fs from 'node:fs';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { setImmediate } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ReportLine } from '../campaign/outcome';
import type {
  CampaignStore,
  FleetFactsSnapshot,
  JournalEntry,
  LeaseHolder,
  SpoolReader,
  StoredCampaign,
} from './campaign-store';
import { JournalUnreadableError } from './campaign-store';
import { checkCampaignId } from '../campaign/campaign-id';
import { MAX_INSTANCE_ID_LENGTH } from '../koophone/limits';
import { archiveName } from './archive-name';
import { acquireDirLock } from './dir-lock';
import { StoreLostError } from './store-faults';
import type { JobJournal } from '../campaign/work-item';
import type { PreparedSource } from '../campaign/prepared-source';

// Ids are at most MAX_INSTANCE_ID_LENGTH characters: a fixed-size record (id, padding, newline)
// lets a batch read its slice with one positioned read instead of scanning a million-line file.
const RECORD = MAX_INSTANCE_ID_LENGTH + 1;
/** The folder store's id (src/report/store-identity.ts): a dot name no campaign folder can clash with. */
export const STORE_ID_FILE = '.store-id';
const SPOOL_WRITE_IDS = 4096;

// What is done per batch (journal writes and reads, spool slices, parts) uses fs's callback API:
// the promise API builds a FileHandle for every file it opens, more work and garbage per call,
// and a batch's journal mark is written between its slot and its call.
const fast = {
  writeFile: promisify(fs.writeFile),
  readFile: promisify(fs.readFile),
  rename: promisify(fs.rename),
  open: promisify(fs.open),
  read: promisify(fs.read),
  close: promisify(fs.close),
};

/** The embedded default store: one folder per campaign under REPORT_DIR. */
export class FolderStore implements CampaignStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Every path of a campaign starts here: an id that is no campaign id never names a folder. */
  private dir(campaignId: string): string {
    return join(this.root, checkCampaignId(campaignId));
  }

  location(campaignId: string): string {
    return join(this.dir(campaignId), 'report.ndjson');
  }

  /** A write that fails (a full disk, a read-only store) leaves no temp file behind. */
  private async writeAtomic(path: string, data: string | Buffer): Promise<void> {
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await fast.writeFile(tmp, data);
      await fast.rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw naming(e, tmp);
    }
  }

  /**
   * writeAtomic into `dir` (a campaign's `jobs` or `parts`), made only when missing: a write per
   * call should not also make its folder. Never the campaign's folder or REPORT_DIR: a store
   * deleted mid-campaign is not re-created half-way (without its .store-id, spool and journals).
   */
  private async writeInto(campaignId: string, dir: string, name: string, data: string): Promise<void> {
    try {
      await this.writeAtomic(join(dir, name), data);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await mkdir(dir).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') throw await this.lost(campaignId);
        if (err.code !== 'EEXIST') throw err;
      });
      await this.writeAtomic(join(dir, name), data);
    }
  }

  /** Why the store no longer holds the campaign: REPORT_DIR lost its id, or the campaign's folder is gone. */
  private async lost(campaignId: string): Promise<StoreLostError> {
    const id = await readFile(join(this.root, STORE_ID_FILE), 'utf8').catch(() => '');
    return new StoreLostError(
      id.trim()
        ? `REPORT_DIR ${this.root}/ keeps its .store-id but no longer holds the campaign's folder ${this.dir(campaignId)}/`
        : `REPORT_DIR ${this.root}/ no longer holds the campaign (its .store-id is gone)`,
    );
  }

  /**
   * Makes the campaign's folder, at prepare only: in a REPORT_DIR that holds its .store-id (the
   * store its workers started on), never in one deleted or replaced since.
   */
  async createCampaign(campaignId: string): Promise<void> {
    const id = await readFile(join(this.root, STORE_ID_FILE), 'utf8').catch(() => '');
    if (!id.trim()) {
      throw new StoreLostError(
        `REPORT_DIR ${this.root}/ holds no .store-id: it was deleted or replaced since its workers started`,
      );
    }
    await mkdir(join(this.dir(campaignId), 'parts'), { recursive: true });
    await mkdir(join(this.dir(campaignId), 'jobs'), { recursive: true });
  }

  /**
   * The store still holds the campaign (REPORT_DIR's .store-id, the campaign's prepared source)
   * and takes a write (a probe file in its journal folder, removed): creates nothing that stays.
   */
  async probe(campaignId: string): Promise<void> {
    const prepared = await this.readPrepared(campaignId);
    const id = await readFile(join(this.root, STORE_ID_FILE), 'utf8').catch(() => '');
    if (!prepared || !id.trim()) throw await this.lost(campaignId);
    const probe = join(this.dir(campaignId), 'jobs', `.probe.${process.pid}.tmp`);
    try {
      await fast.writeFile(probe, 'probe\n');
    } catch (e) {
      throw naming(e, probe);
    } finally {
      await rm(probe, { force: true }).catch(() => undefined);
    }
  }

  async readPrepared(campaignId: string): Promise<PreparedSource | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir(campaignId), 'source.json'), 'utf8')) as PreparedSource;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async writeSpool(
    campaignId: string,
    ids: Iterable<string> | AsyncIterable<string>,
    prepared: (count: number) => PreparedSource,
  ): Promise<PreparedSource> {
    const dir = this.dir(campaignId);
    // Prepare's (after createCampaign, which refuses a REPORT_DIR that lost its .store-id).
    await mkdir(join(dir, 'parts'), { recursive: true });
    await mkdir(join(dir, 'jobs'), { recursive: true });
    const tmp = join(dir, `spool.ids.${process.pid}.tmp`);
    try {
      return await this.writeSpoolVia(tmp, dir, ids, prepared);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw naming(e, tmp);
    }
  }

  private async writeSpoolVia(
    tmp: string,
    dir: string,
    ids: Iterable<string> | AsyncIterable<string>,
    prepared: (count: number) => PreparedSource,
  ): Promise<PreparedSource> {
    // A file handle, not a stream: a write error is a rejection here, never an unheard 'error' event.
    const out = await open(tmp, 'w');
    let count = 0;
    try {
      // Records go out SPOOL_WRITE_IDS at a time (a write per record costs more than the
      // id), and a list is walked without an await per id.
      let records = '';
      const add = (id: string): boolean => {
        records += id.padEnd(RECORD - 1, ' ') + '\n';
        count += 1;
        return count % SPOOL_WRITE_IDS === 0;
      };
      const flush = async () => {
        if (records) await out.write(records);
        records = '';
      };
      if (Symbol.asyncIterator in ids) {
        for await (const id of ids) if (add(id)) await flush();
      } else {
        for (const id of ids) if (add(id)) await flush();
      }
      await flush();
    } finally {
      await out.close();
    }
    await rename(tmp, join(dir, 'spool.ids'));
    const record = prepared(count);
    await this.writeAtomic(join(dir, 'source.json'), JSON.stringify(record));
    return record;
  }

  async writeFleetFacts(campaignId: string, facts: FleetFactsSnapshot): Promise<void> {
    await this.writeInto(campaignId, this.dir(campaignId), 'fleet-facts.json', JSON.stringify(facts));
  }

  async readFleetFacts(campaignId: string): Promise<FleetFactsSnapshot | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir(campaignId), 'fleet-facts.json'), 'utf8')) as FleetFactsSnapshot;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  spoolLocation(campaignId: string): string {
    return join(this.dir(campaignId), 'spool.ids');
  }

  /** Beside the spool, written before it (prepare's order): a spool is never there without its seal. */
  async writeSpoolSeal(campaignId: string, bytes: Buffer): Promise<void> {
    // Prepare's, as writeSpool (after createCampaign, which refuses a REPORT_DIR that lost its .store-id).
    await mkdir(this.dir(campaignId), { recursive: true });
    await this.writeAtomic(join(this.dir(campaignId), 'spool.seal'), bytes);
  }

  async readSpoolSeal(campaignId: string, offset: number, length: number): Promise<Buffer> {
    let fd: number;
    try {
      fd = await fast.open(join(this.dir(campaignId), 'spool.seal'), 'r');
    } catch (e) {
      // No seal: nothing of the spool can be proved (the reader says so), not a store fault.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
      throw e;
    }
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fast.read(fd, buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fast.close(fd);
    }
  }

  async readSpool(campaignId: string, start: number, end: number): Promise<string[]> {
    const spool = this.openSpool(campaignId);
    try {
      return await spool.read(start, end);
    } finally {
      await spool.close();
    }
  }

  openSpool(campaignId: string): SpoolReader {
    const path = join(this.dir(campaignId), 'spool.ids');
    // Opened at the first read (a lane with only explicit ids reads none), again after a failed
    // open. Closed only once no read is under way and none may start: a read on a closed
    // descriptor, which the system may have handed to another file since, could return other ids.
    let fd: Promise<number> | undefined;
    let closed = false;
    const reading = new Set<Promise<unknown>>();
    const opened = () =>
      (fd ??= fast.open(path, 'r').catch((e: unknown) => {
        fd = undefined;
        throw e;
      }));
    const readSlice = async (start: number, end: number): Promise<string[]> => {
      const buf = Buffer.alloc((end - start) * RECORD);
      const { bytesRead } = await fast.read(await opened(), buf, 0, buf.length, start * RECORD);
      const ids: string[] = [];
      for (let off = 0; off + RECORD <= bytesRead; off += RECORD) {
        ids.push(buf.toString('utf8', off, off + RECORD - 1).trimEnd());
      }
      return ids;
    };
    return {
      read: async (start, end) => {
        if (closed) throw new Error(`the spool reader of campaign ${campaignId} is closed`);
        if (end <= start) return [];
        const read = readSlice(start, end);
        reading.add(read);
        try {
          return await read;
        } finally {
          reading.delete(read);
        }
      },
      close: async () => {
        closed = true;
        await Promise.allSettled([...reading]);
        const n = await fd?.catch(() => undefined);
        fd = undefined;
        if (n !== undefined) await fast.close(n);
      },
    };
  }

  async *readSpoolFrom(campaignId: string, start: number): AsyncIterable<string> {
    const stream = createReadStream(join(this.dir(campaignId), 'spool.ids'), { start: start * RECORD });
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      const id = line.trimEnd();
      if (id) yield id;
    }
  }

  async writeJournal(campaignId: string, key: string, journal: JobJournal): Promise<void> {
    await this.writeInto(
      campaignId,
      join(this.dir(campaignId), 'jobs'),
      `${key}.json`,
      JSON.stringify(journal),
    );
  }

  journalLocation(campaignId: string, key: string): string {
    return join(this.dir(campaignId), 'jobs', `${key}.json`);
  }

  async readJournal(campaignId: string, key: string): Promise<JobJournal | undefined> {
    const path = this.journalLocation(campaignId, key);
    let text: string;
    try {
      text = await fast.readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      return JSON.parse(text) as JobJournal;
    } catch (e) {
      // An empty file, one cut off mid-way, bytes that are no JSON: this item's journal only.
      const why = text === '' ? 'the file is empty' : (e as Error).message;
      throw new JournalUnreadableError({ where: path, why });
    }
  }

  async *listJournals(campaignId: string): AsyncIterable<JournalEntry> {
    let names: string[];
    try {
      names = (await readdir(join(this.dir(campaignId), 'jobs'))).filter((n) => n.endsWith('.json')).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (let i = 0; i < names.length; i += PART_READ_AHEAD) {
      const keys = names.slice(i, i + PART_READ_AHEAD).map((n) => n.slice(0, -'.json'.length));
      const entries = await Promise.all(
        keys.map((key) =>
          this.readJournal(campaignId, key).then(
            (journal) => (journal ? { key, journal } : undefined),
            (e: unknown) => {
              if (e instanceof JournalUnreadableError) return { key, unreadable: e.unreadable };
              throw e;
            },
          ),
        ),
      );
      for (const entry of entries) if (entry) yield entry;
    }
  }

  async writePart(campaignId: string, name: string, lines: ReportLine[]): Promise<void> {
    const text = lines.map((l) => JSON.stringify(l) + '\n').join('');
    await this.writeInto(campaignId, join(this.dir(campaignId), 'parts'), `${name}.ndjson`, text);
  }

  async *readPart(campaignId: string, name: string): AsyncIterable<ReportLine> {
    let text: string;
    try {
      text = await readFile(join(this.dir(campaignId), 'parts', `${name}.ndjson`), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const line of text.split('\n')) if (line) yield JSON.parse(line) as ReportLine;
  }

  private async partFiles(campaignId: string): Promise<string[]> {
    try {
      const names = await readdir(join(this.dir(campaignId), 'parts'));
      return names.filter((n) => n.endsWith('.ndjson')).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async *readReport(campaignId: string): AsyncIterable<ReportLine> {
    const final = this.location(campaignId);
    const exists = await stat(final).then(
      () => true,
      () => false,
    );
    const files = exists
      ? [final]
      : (await this.partFiles(campaignId)).map((n) => join(this.dir(campaignId), 'parts', n));
    for (const file of files) {
      for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
        if (line) yield JSON.parse(line) as ReportLine;
      }
    }
  }

  async finalize(
    campaignId: string,
    state?: string,
  ): Promise<{ location: string; lines: number; duplicates: number }> {
    const dir = this.dir(campaignId);
    const location = this.location(campaignId);
    const tmp = `${location}.${process.pid}.tmp`;
    let assembled;
    try {
      assembled = await this.assemble(campaignId, tmp);
      await rename(tmp, location);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => undefined);
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw await this.lost(campaignId);
      throw naming(e, tmp);
    }
    const { lines, duplicates } = assembled;
    if (state !== undefined) {
      const record = { state, finishedAt: new Date().toISOString(), lines };
      await this.writeAtomic(join(dir, 'final.json'), JSON.stringify(record));
    }
    return { location, lines, duplicates };
  }

  /** Writes the parts' lines into `tmp`, one per instance. */
  private async assemble(campaignId: string, tmp: string): Promise<{ lines: number; duplicates: number }> {
    const dir = this.dir(campaignId);
    // A file handle, not a stream: a write error (a full disk) is this call's rejection, never an
    // 'error' event that finds no listener and takes the worker down.
    const out = await open(tmp, 'w');
    const seen = new Set<string>();
    let lines = 0;
    let duplicates = 0;
    try {
      // Parts are small (one per batch) and many: an asynchronous read costs four thread-pool
      // round trips (open, stat, read, close) for ~15 KB, so they are read synchronously,
      // PART_READ_AHEAD at a time (~1 ms), yielding to the event loop between slices so other
      // activities' timers and heartbeats run; what each slice keeps is written in one piece.
      const names = await this.partFiles(campaignId);
      for (let i = 0; i < names.length; i += PART_READ_AHEAD) {
        if (i > 0) await setImmediate();
        const texts = names
          .slice(i, i + PART_READ_AHEAD)
          .map((name) => readFileSync(join(dir, 'parts', name), 'utf8'));
        let kept = '';
        for (const text of texts) {
          for (const line of text.split('\n')) {
            if (!line) continue;
            const id = instanceIdOf(line);
            // A line per instance: a second line for the same instance would be a bug upstream; keep
            // the first and count the rest so the workflow can report the discrepancy.
            if (seen.has(id)) {
              duplicates += 1;
              continue;
            }
            seen.add(id);
            lines += 1;
            kept += line + '\n';
          }
        }
        if (kept) await out.write(kept);
      }
    } finally {
      await out.close();
    }
    return { lines, duplicates };
  }

  async describeStored(campaignId: string): Promise<StoredCampaign | undefined> {
    const prepared = await this.readPrepared(campaignId);
    if (!prepared) return undefined;
    const final = await readJson<{ state: string; finishedAt: string }>(
      join(this.dir(campaignId), 'final.json'),
    );
    return {
      campaignId,
      total: prepared.total,
      ...(prepared.owner ? { owner: prepared.owner } : {}),
      ...(prepared.preparedAt ? { preparedAt: prepared.preparedAt } : {}),
      ...(final ? { finalState: final.state, finishedAt: final.finishedAt } : {}),
    };
  }

  async archive(campaignId: string): Promise<string> {
    const name = archiveName(campaignId);
    await rename(this.dir(campaignId), join(this.root, name));
    await this.releaseLease(campaignId);
    return name;
  }

  private leaseDir(): string {
    return join(this.root, 'leases');
  }

  /** The lease folder, made when missing inside REPORT_DIR, never REPORT_DIR itself (see writeInto). */
  private async leaseFolder(): Promise<string> {
    await mkdir(this.leaseDir()).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    return this.leaseDir();
  }

  async withLeaseLock<T>(fn: () => Promise<T>): Promise<T> {
    await this.leaseFolder();
    const release = await acquireDirLock(join(this.leaseDir(), '.lock'));
    try {
      return await fn();
    } finally {
      await release();
    }
  }

  async leaseHolders(): Promise<LeaseHolder[]> {
    let names: string[];
    try {
      names = await readdir(this.leaseDir());
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const holders = await Promise.all(
      names.filter((n) => n.endsWith('.json')).map((n) => readJson<LeaseHolder>(join(this.leaseDir(), n))),
    );
    return holders.filter((h): h is LeaseHolder => h !== undefined);
  }

  async registerLease(holder: LeaseHolder): Promise<void> {
    await this.leaseFolder();
    await this.writeAtomic(this.leaseFile(holder.campaignId), JSON.stringify(holder));
  }

  async releaseLease(campaignId: string): Promise<void> {
    await rm(this.leaseFile(campaignId), { force: true });
  }

  private leaseFile(campaignId: string): string {
    return join(this.leaseDir(), `${checkCampaignId(campaignId)}.json`);
  }

  async *heldPhones(campaignId: string): AsyncIterable<string> {
    const finished = new Set<string>();
    for (const name of await this.partFiles(campaignId)) {
      const text = await readFile(join(this.dir(campaignId), 'parts', name), 'utf8');
      for (const line of text.split('\n')) if (line) finished.add(instanceIdOf(line));
    }
    try {
      for await (const id of this.readSpoolFrom(campaignId, 0)) if (!finished.has(id)) yield id;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  /** Removes everything a campaign stored; used by tests and `report --purge`-style tooling. */
  async remove(campaignId: string): Promise<void> {
    await rm(this.dir(campaignId), { recursive: true, force: true });
  }

  async check(): Promise<void> {
    const probe = join(this.root, `.write-probe.${process.pid}.${Math.random().toString(36).slice(2)}`);
    await mkdir(this.root, { recursive: true });
    await writeFile(probe, 'probe\n');
    await rm(probe, { force: true });
  }
}

const PART_READ_AHEAD = 32;

/**
 * A write's error with the file it was for: a failed write(2) (ENOSPC, EIO) names none, and the
 * operator must be told where the store is full (src/report/store-faults.ts names the file).
 */
function naming(e: unknown, path: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err instanceof Error && typeof err.code === 'string' && err.path === undefined) err.path = path;
  return e;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
const ID_HEAD = '{"instance_id":"';

/**
 * The instance id of a report line this store wrote (JSON.stringify puts instance_id first),
 * without parsing the whole line: finalize reads a line per instance, up to millions.
 */
function instanceIdOf(line: string): string {
  if (line.startsWith(ID_HEAD)) {
    const end = line.indexOf('"', ID_HEAD.length);
    const id = line.slice(ID_HEAD.length, end);
    if (end > 0 && !id.includes('\\')) return id;
  }
  return (JSON.parse(line) as ReportLine).instance_id;
}
