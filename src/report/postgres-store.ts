import { Pool, type PoolClient } from 'pg';
import type { ReportLine } from '../campaign/outcome';
import type {
  CampaignStore,
  FleetFactsSnapshot,
  JournalEntry,
  LeaseHolder,
  StoredCampaign,
} from './campaign-store';
import { archiveName } from './archive-name';
import { StoreLostError } from './store-faults';
import type { JobJournal } from '../campaign/work-item';
import type { PreparedSource } from '../campaign/prepared-source';

// Rows per INSERT: each statement sends one array per column (unnest), so the row count is not
// bounded by the protocol's 65 535 parameters; 5 000 keeps one statement well under a megabyte.
const INSERT_CHUNK = 5000;
// Rows per page when streaming the spool or the report: keyset pages over the primary key.
const READ_PAGE = 10_000;
// After a bulk write this large, fresh planner statistics keep range reads on the primary key
// (autovacuum would get there too, but only after the campaign has read the table many times).
const ANALYZE_AFTER = 50_000;

/**
 * Tables of the PostgreSQL sink, all keyed by campaign. `koophone_outcomes` holds the report:
 * one row per (campaign, instance) — the primary key itself forbids a second row — and the name
 * of the part (work item) that wrote it, so a retried activity replaces its own rows.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS koophone_campaigns (
  campaign          text PRIMARY KEY,
  prepared          jsonb,
  spool_count       integer,
  finalized_at      timestamptz,
  report_lines      bigint,
  report_duplicates bigint,
  created_at        timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE koophone_campaigns ADD COLUMN IF NOT EXISTS final_state text;
ALTER TABLE koophone_campaigns ADD COLUMN IF NOT EXISTS fleet_facts jsonb;
CREATE TABLE IF NOT EXISTS koophone_leases (
  campaign text PRIMARY KEY,
  holder   jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS koophone_spool (
  campaign    text    NOT NULL,
  position    integer NOT NULL,
  instance_id text    NOT NULL,
  PRIMARY KEY (campaign, position)
);
CREATE TABLE IF NOT EXISTS koophone_spool_seal (
  campaign text    NOT NULL,
  chunk    integer NOT NULL,
  bytes    bytea   NOT NULL,
  PRIMARY KEY (campaign, chunk)
);
CREATE TABLE IF NOT EXISTS koophone_journal (
  campaign   text  NOT NULL,
  item       text  NOT NULL,
  journal    jsonb NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (campaign, item)
);
CREATE TABLE IF NOT EXISTS koophone_outcomes (
  campaign    text    NOT NULL,
  instance_id text    NOT NULL,
  outcome     text    NOT NULL CHECK (outcome IN ('succeeded','failed','timed_out','rejected','missing_job','skipped','canceled')),
  resets      integer NOT NULL,
  job_id      text    NOT NULL,
  error_code  text    NOT NULL,
  error_msg   text    NOT NULL,
  finished_at timestamptz,
  part        text    NOT NULL,
  PRIMARY KEY (campaign, instance_id)
);
CREATE INDEX IF NOT EXISTS koophone_outcomes_part ON koophone_outcomes (campaign, part);
CREATE TABLE IF NOT EXISTS koophone_outcome_duplicates (
  campaign    text    NOT NULL,
  part        text    NOT NULL,
  seq         integer NOT NULL,
  instance_id text    NOT NULL,
  line        jsonb   NOT NULL,
  PRIMARY KEY (campaign, part, seq)
);
`;
// Any constant: serializes schema creation between workers starting at the same moment.
const SCHEMA_LOCK = 7_262_001;
// Any other constant: serializes lease checks and grants across every worker and CLI.
const LEASE_LOCK = 7_262_002;
const TABLES = [
  'koophone_outcome_duplicates',
  'koophone_outcomes',
  'koophone_journal',
  'koophone_spool_seal',
  'koophone_spool',
  'koophone_campaigns',
] as const;
// The spool's seal (8 bytes a record) is kept in rows of this many bytes: a slice's check reads
// one or two of them through the primary key.
const SEAL_CHUNK = 256 * 1024;

export interface PostgresStoreOptions {
  /** Connections per process (default 10). */
  poolSize?: number;
  /** Called when an idle pooled connection fails (the pool drops it; the next query reconnects). */
  onIdleError?: (err: Error) => void;
}

/** `postgres://user:secret@host:5432/db?sslmode=require` → `postgres://host:5432/db`: no credentials, no options. */
export function redactPostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'postgres://<unparseable URL>';
  }
}

function finishedAt(value: Date | string | null): string {
  if (value === null) return '';
  return value instanceof Date ? value.toISOString() : value;
}

interface OutcomeRow {
  instance_id: string;
  outcome: ReportLine['outcome'];
  resets: number;
  job_id: string;
  error_code: string;
  error_msg: string;
  finished_at: Date | null;
}

function lineOf(r: OutcomeRow): ReportLine {
  return {
    instance_id: r.instance_id,
    outcome: r.outcome,
    resets: r.resets,
    job_id: r.job_id,
    error_code: r.error_code,
    error_msg: r.error_msg,
    finished_at: finishedAt(r.finished_at),
  };
}

/**
 * The shared sink (`REPORT_SINK=postgres://…`): every worker of a task queue and the operator's
 * CLI see the same campaign data wherever they run. Same contract as the folder store: the spool
 * is positioned (a batch reads its range through the primary key), journals and parts are
 * replaced, never appended, and the report has exactly one row per instance.
 */
export class PostgresStore implements CampaignStore {
  private readonly pool: Pool;
  private readonly base: string;
  private schemaReady: Promise<void> | undefined;

  constructor(url: string, options: PostgresStoreOptions = {}) {
    this.base = redactPostgresUrl(url);
    this.pool = new Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      idleTimeoutMillis: 30_000,
      // The CLI's `report` must be able to end without an explicit close.
      allowExitOnIdle: true,
      application_name: 'koophone-reset',
    });
    this.pool.on('error', options.onIdleError ?? (() => undefined));
  }

  /** Where the sink is, without credentials: `postgres://host:5432/db`. */
  get url(): string {
    return this.base;
  }

  location(campaignId: string): string {
    return `${this.base}/${encodeURIComponent(campaignId)}`;
  }

  /** Creates the tables once per process (idempotent, safe when several workers start at once). */
  ensureSchema(): Promise<void> {
    this.schemaReady ??= this.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await c.query(SCHEMA);
    }).catch((err: unknown) => {
      this.schemaReady = undefined; // the database may come up later: let the next call try again
      throw err;
    });
    return this.schemaReady;
  }

  private async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async query<R extends object>(text: string, values: unknown[]): Promise<R[]> {
    await this.ensureSchema();
    return (await this.pool.query<R>(text, values)).rows;
  }

  async writeFleetFacts(campaignId: string, facts: FleetFactsSnapshot): Promise<void> {
    await this.query(
      `INSERT INTO koophone_campaigns (campaign, fleet_facts) VALUES ($1, $2)
       ON CONFLICT (campaign) DO UPDATE SET fleet_facts = EXCLUDED.fleet_facts`,
      [campaignId, JSON.stringify(facts)],
    );
  }

  async readFleetFacts(campaignId: string): Promise<FleetFactsSnapshot | undefined> {
    const rows = await this.query<{ fleet_facts: FleetFactsSnapshot }>(
      'SELECT fleet_facts FROM koophone_campaigns WHERE campaign = $1 AND fleet_facts IS NOT NULL',
      [campaignId],
    );
    return rows[0]?.fleet_facts;
  }

  async readPrepared(campaignId: string): Promise<PreparedSource | undefined> {
    const rows = await this.query<{ prepared: PreparedSource }>(
      'SELECT prepared FROM koophone_campaigns WHERE campaign = $1 AND prepared IS NOT NULL',
      [campaignId],
    );
    return rows[0]?.prepared;
  }

  /** The tables are made once per process (ensureSchema); a campaign is its rows. */
  async createCampaign(): Promise<void> {
    await this.ensureSchema();
  }

  /**
   * The database still holds the campaign's prepared source (another database at the same URL, or
   * one restored from an older backup, does not) and takes a write, rolled back.
   */
  async probe(campaignId: string): Promise<void> {
    if (!(await this.readPrepared(campaignId))) {
      throw new StoreLostError(
        `the database ${this.base} no longer holds the campaign (its prepared source is gone: another database, or one restored from before it started)`,
      );
    }
    await this.rolledBack((c) =>
      c.query('INSERT INTO koophone_journal (campaign, item, journal) VALUES ($1, $2, $3)', [
        `.write-probe.${process.pid}`,
        '.probe',
        '{}',
      ]),
    );
  }

  /** Runs `fn` in a transaction that is always rolled back: a write the database must accept, leaving nothing. */
  private async rolledBack(fn: (c: PoolClient) => Promise<unknown>): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await fn(client);
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }

  async writeSpool(
    campaignId: string,
    ids: Iterable<string> | AsyncIterable<string>,
    prepared: (count: number) => PreparedSource,
  ): Promise<PreparedSource> {
    await this.ensureSchema();
    const record = await this.transaction(async (c) => {
      // One prepare at a time per campaign; the old spool (a retried prepare) goes in the same
      // transaction, so readers see the old spool or the new one, never a mix.
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1), 1)', [campaignId]);
      await c.query('DELETE FROM koophone_spool WHERE campaign = $1', [campaignId]);
      let count = 0;
      let positions: number[] = [];
      let chunk: string[] = [];
      const flush = async () => {
        if (chunk.length === 0) return;
        await c.query(
          `INSERT INTO koophone_spool (campaign, position, instance_id)
           SELECT $1, p, i FROM unnest($2::int[], $3::text[]) AS t(p, i)`,
          [campaignId, positions, chunk],
        );
        positions = [];
        chunk = [];
      };
      for await (const id of ids) {
        positions.push(count);
        chunk.push(id);
        count += 1;
        if (chunk.length >= INSERT_CHUNK) await flush();
      }
      await flush();
      const record = prepared(count);
      await c.query(
        `INSERT INTO koophone_campaigns (campaign, prepared, spool_count) VALUES ($1, $2, $3)
         ON CONFLICT (campaign) DO UPDATE SET prepared = EXCLUDED.prepared, spool_count = EXCLUDED.spool_count`,
        [campaignId, JSON.stringify(record), count],
      );
      return record;
    });
    if (record.total >= ANALYZE_AFTER) await this.pool.query('ANALYZE koophone_spool');
    return record;
  }

  spoolLocation(campaignId: string): string {
    return `${this.base} koophone_spool (campaign ${campaignId})`;
  }

  async writeSpoolSeal(campaignId: string, bytes: Buffer): Promise<void> {
    await this.ensureSchema();
    await this.transaction(async (c) => {
      await c.query('DELETE FROM koophone_spool_seal WHERE campaign = $1', [campaignId]);
      for (let chunk = 0; chunk * SEAL_CHUNK < bytes.length; chunk++) {
        await c.query('INSERT INTO koophone_spool_seal (campaign, chunk, bytes) VALUES ($1, $2, $3)', [
          campaignId,
          chunk,
          bytes.subarray(chunk * SEAL_CHUNK, (chunk + 1) * SEAL_CHUNK),
        ]);
      }
    });
  }

  async readSpoolSeal(campaignId: string, offset: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    const first = Math.floor(offset / SEAL_CHUNK);
    const last = Math.floor((offset + length - 1) / SEAL_CHUNK);
    const rows = await this.query<{ chunk: number; bytes: Buffer }>(
      `SELECT chunk, bytes FROM koophone_spool_seal
       WHERE campaign = $1 AND chunk >= $2 AND chunk <= $3 ORDER BY chunk`,
      [campaignId, first, last],
    );
    // Only the chunks that follow on from the first: a missing one ends what can be read.
    const parts: Buffer[] = [];
    for (const [i, r] of rows.entries()) {
      if (r.chunk !== first + i) break;
      parts.push(r.bytes);
    }
    const start = offset - first * SEAL_CHUNK;
    return Buffer.concat(parts).subarray(start, start + length);
  }

  async readSpool(campaignId: string, start: number, end: number): Promise<string[]> {
    if (end <= start) return [];
    const rows = await this.query<{ instance_id: string }>(
      `SELECT instance_id FROM koophone_spool
       WHERE campaign = $1 AND position >= $2 AND position < $3 ORDER BY position`,
      [campaignId, start, end],
    );
    return rows.map((r) => r.instance_id);
  }

  async *readSpoolFrom(campaignId: string, start: number): AsyncIterable<string> {
    for (let from = start; ;) {
      const rows = await this.query<{ position: number; instance_id: string }>(
        `SELECT position, instance_id FROM koophone_spool
         WHERE campaign = $1 AND position >= $2 ORDER BY position LIMIT $3`,
        [campaignId, from, READ_PAGE],
      );
      for (const r of rows) yield r.instance_id;
      if (rows.length < READ_PAGE) return;
      from = rows[rows.length - 1]!.position + 1;
    }
  }

  async writeJournal(campaignId: string, key: string, journal: JobJournal): Promise<void> {
    await this.query(
      `INSERT INTO koophone_journal (campaign, item, journal) VALUES ($1, $2, $3)
       ON CONFLICT (campaign, item) DO UPDATE SET journal = EXCLUDED.journal, written_at = now()`,
      [campaignId, key, JSON.stringify(journal)],
    );
  }

  journalLocation(campaignId: string, key: string): string {
    return `${this.base} koophone_journal (campaign ${campaignId}, item ${key})`;
  }

  async readJournal(campaignId: string, key: string): Promise<JobJournal | undefined> {
    const rows = await this.query<{ journal: JobJournal }>(
      'SELECT journal FROM koophone_journal WHERE campaign = $1 AND item = $2',
      [campaignId, key],
    );
    return rows[0]?.journal;
  }

  async *listJournals(campaignId: string): AsyncIterable<JournalEntry> {
    for (let after = ''; ;) {
      const rows = await this.query<{ item: string; journal: JobJournal }>(
        `SELECT item, journal FROM koophone_journal WHERE campaign = $1 AND item > $2
         ORDER BY item LIMIT $3`,
        [campaignId, after, READ_PAGE],
      );
      for (const r of rows) yield { key: r.item, journal: r.journal };
      if (rows.length < READ_PAGE) return;
      after = rows[rows.length - 1]!.item;
    }
  }

  /**
   * Replaces the part's rows in one transaction. A row for an instance that another part already
   * holds is not written (the primary key is (campaign, instance)); it is kept aside as a
   * duplicate, counted by finalize, exactly as the folder store counts a second line.
   */
  async writePart(campaignId: string, name: string, lines: ReportLine[]): Promise<void> {
    await this.ensureSchema();
    await this.transaction(async (c) => {
      // Two attempts of the same activity (a retry racing a slow first attempt) take turns.
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [campaignId, name]);
      await c.query('DELETE FROM koophone_outcomes WHERE campaign = $1 AND part = $2', [campaignId, name]);
      await c.query('DELETE FROM koophone_outcome_duplicates WHERE campaign = $1 AND part = $2', [
        campaignId,
        name,
      ]);
      const duplicates: { seq: number; line: ReportLine }[] = [];
      const inPart = new Set<string>();
      let chunk: { seq: number; line: ReportLine }[] = [];
      const flush = async () => {
        if (chunk.length === 0) return;
        const col = <K extends keyof ReportLine>(k: K) => chunk.map((x) => x.line[k]);
        const inserted = await c.query<{ instance_id: string }>(
          `INSERT INTO koophone_outcomes
             (campaign, part, instance_id, outcome, resets, job_id, error_code, error_msg, finished_at)
           SELECT $1, $2, i, o, r, j, ec, em, NULLIF(f, '')::timestamptz
           FROM unnest($3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[])
             AS t(i, o, r, j, ec, em, f)
           ON CONFLICT (campaign, instance_id) DO NOTHING
           RETURNING instance_id`,
          [
            campaignId,
            name,
            col('instance_id'),
            col('outcome'),
            col('resets'),
            col('job_id'),
            col('error_code'),
            col('error_msg'),
            col('finished_at'),
          ],
        );
        if (inserted.rowCount !== chunk.length) {
          const written = new Set(inserted.rows.map((r) => r.instance_id));
          for (const x of chunk) if (!written.has(x.line.instance_id)) duplicates.push(x);
        }
        chunk = [];
      };
      for (const [seq, line] of lines.entries()) {
        // The same instance twice in one part: keep the first, like the folder store's finalize.
        if (inPart.has(line.instance_id)) duplicates.push({ seq, line });
        else {
          inPart.add(line.instance_id);
          chunk.push({ seq, line });
        }
        if (chunk.length >= INSERT_CHUNK) await flush();
      }
      await flush();
      for (let i = 0; i < duplicates.length; i += INSERT_CHUNK) {
        const slice = duplicates.slice(i, i + INSERT_CHUNK);
        await c.query(
          `INSERT INTO koophone_outcome_duplicates (campaign, part, seq, instance_id, line)
           SELECT $1, $2, s, i, l FROM unnest($3::int[], $4::text[], $5::jsonb[]) AS t(s, i, l)`,
          [
            campaignId,
            name,
            slice.map((d) => d.seq),
            slice.map((d) => d.line.instance_id),
            slice.map((d) => JSON.stringify(d.line)),
          ],
        );
      }
    });
    if (lines.length >= ANALYZE_AFTER) await this.pool.query('ANALYZE koophone_outcomes');
  }

  /** Every row of the campaign, ordered by instance id, read in pages so a million rows stream. */
  async *readReport(campaignId: string): AsyncIterable<ReportLine> {
    for (let after = ''; ;) {
      const rows = await this.query<OutcomeRow>(
        `SELECT instance_id, outcome, resets, job_id, error_code, error_msg, finished_at
         FROM koophone_outcomes WHERE campaign = $1 AND instance_id > $2
         ORDER BY instance_id LIMIT $3`,
        [campaignId, after, READ_PAGE],
      );
      for (const r of rows) yield lineOf(r);
      if (rows.length < READ_PAGE) return;
      after = rows[rows.length - 1]!.instance_id;
    }
  }

  async *readPart(campaignId: string, name: string): AsyncIterable<ReportLine> {
    for (let after = ''; ;) {
      const rows = await this.query<OutcomeRow>(
        `SELECT instance_id, outcome, resets, job_id, error_code, error_msg, finished_at
         FROM koophone_outcomes WHERE campaign = $1 AND part = $2 AND instance_id > $3
         ORDER BY instance_id LIMIT $4`,
        [campaignId, name, after, READ_PAGE],
      );
      for (const r of rows) yield lineOf(r);
      if (rows.length < READ_PAGE) return;
      after = rows[rows.length - 1]!.instance_id;
    }
  }

  async finalize(
    campaignId: string,
    state?: string,
  ): Promise<{ location: string; lines: number; duplicates: number }> {
    const rows = await this.query<{ lines: string; duplicates: string }>(
      `INSERT INTO koophone_campaigns (campaign, finalized_at, report_lines, report_duplicates, final_state)
       SELECT $1, now(),
              (SELECT count(*) FROM koophone_outcomes WHERE campaign = $1),
              (SELECT count(*) FROM koophone_outcome_duplicates WHERE campaign = $1), $2
       ON CONFLICT (campaign) DO UPDATE SET finalized_at = EXCLUDED.finalized_at,
         report_lines = EXCLUDED.report_lines, report_duplicates = EXCLUDED.report_duplicates,
         final_state = COALESCE(EXCLUDED.final_state, koophone_campaigns.final_state)
       RETURNING report_lines AS lines, report_duplicates AS duplicates`,
      [campaignId, state ?? null],
    );
    const row = rows[0]!;
    return {
      location: this.location(campaignId),
      lines: Number(row.lines),
      duplicates: Number(row.duplicates),
    };
  }

  async describeStored(campaignId: string): Promise<StoredCampaign | undefined> {
    const rows = await this.query<{
      prepared: PreparedSource;
      final_state: string | null;
      finalized_at: Date | null;
    }>(
      `SELECT prepared, final_state, finalized_at FROM koophone_campaigns
       WHERE campaign = $1 AND prepared IS NOT NULL`,
      [campaignId],
    );
    const row = rows[0];
    if (!row) return undefined;
    const p = row.prepared;
    return {
      campaignId,
      total: p.total,
      ...(p.owner ? { owner: p.owner } : {}),
      ...(p.preparedAt ? { preparedAt: p.preparedAt } : {}),
      ...(row.final_state ? { finalState: row.final_state } : {}),
      ...(row.finalized_at ? { finishedAt: row.finalized_at.toISOString() } : {}),
    };
  }

  /** Renames the campaign key in every table, in one transaction: the rows stay, under a new name. */
  async archive(campaignId: string): Promise<string> {
    const name = archiveName(campaignId);
    await this.ensureSchema();
    await this.transaction(async (c) => {
      for (const table of TABLES) {
        await c.query(`UPDATE ${table} SET campaign = $2 WHERE campaign = $1`, [campaignId, name]);
      }
      await c.query('DELETE FROM koophone_leases WHERE campaign = $1', [campaignId]);
    });
    return name;
  }

  /** A session-level advisory lock on a connection of its own, held while `fn` runs. */
  async withLeaseLock<T>(fn: () => Promise<T>): Promise<T> {
    await this.ensureSchema();
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [LEASE_LOCK]);
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [LEASE_LOCK]);
      }
    } finally {
      client.release();
    }
  }

  async leaseHolders(): Promise<LeaseHolder[]> {
    const rows = await this.query<{ holder: LeaseHolder }>('SELECT holder FROM koophone_leases', []);
    return rows.map((r) => r.holder);
  }

  async registerLease(holder: LeaseHolder): Promise<void> {
    await this.query(
      `INSERT INTO koophone_leases (campaign, holder) VALUES ($1, $2)
       ON CONFLICT (campaign) DO UPDATE SET holder = EXCLUDED.holder`,
      [holder.campaignId, JSON.stringify(holder)],
    );
  }

  async releaseLease(campaignId: string): Promise<void> {
    await this.query('DELETE FROM koophone_leases WHERE campaign = $1', [campaignId]);
  }

  async *heldPhones(campaignId: string): AsyncIterable<string> {
    for (let from = 0; ;) {
      const rows = await this.query<{ position: number; instance_id: string }>(
        `SELECT s.position, s.instance_id FROM koophone_spool s
         WHERE s.campaign = $1 AND s.position >= $2
           AND NOT EXISTS (SELECT 1 FROM koophone_outcomes o
                           WHERE o.campaign = $1 AND o.instance_id = s.instance_id)
         ORDER BY s.position LIMIT $3`,
        [campaignId, from, READ_PAGE],
      );
      for (const r of rows) yield r.instance_id;
      if (rows.length < READ_PAGE) return;
      from = rows[rows.length - 1]!.position + 1;
    }
  }

  /** Removes everything a campaign stored (tests and retention tooling). */
  async remove(campaignId: string): Promise<void> {
    await this.ensureSchema();
    await this.transaction(async (c) => {
      for (const table of TABLES) await c.query(`DELETE FROM ${table} WHERE campaign = $1`, [campaignId]);
      await c.query('DELETE FROM koophone_leases WHERE campaign = $1', [campaignId]);
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async check(): Promise<void> {
    await this.ensureSchema();
    // Proves INSERT rights and leaves nothing.
    await this.rolledBack((c) =>
      c.query('INSERT INTO koophone_campaigns (campaign) VALUES ($1)', [`.write-probe.${process.pid}`]),
    );
  }
}
