import { parse as parseCsv, CsvError } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { instanceIdProblem, preview } from './instance-id';
import { SourceError } from './source-error';

export type IdFileFormat = 'auto' | 'text' | 'csv' | 'json';

/** The validated, de-duplicated ids of a source, in order. */
export interface ReadIds {
  ids: string[];
  /** Entries dropped because the same id appeared earlier. */
  duplicates: number;
  /** Number of entries read (ids plus duplicates). */
  entries: number;
}

const MAX_PROBLEMS = 20;
const MAX_LINE = 4096;

class Collector {
  readonly ids: string[] = [];
  private readonly seen = new Set<string>();
  duplicates = 0;
  entries = 0;
  readonly problems: string[] = [];
  totalProblems = 0;

  constructor(private readonly where: string) {}

  problem(line: number | undefined, reason: string): void {
    this.totalProblems += 1;
    if (this.problems.length < MAX_PROBLEMS)
      this.problems.push(`${this.where}${line ? `:${line}` : ''}: ${reason}`);
  }

  add(id: string, line?: number): void {
    const why = instanceIdProblem(id);
    if (why) return this.problem(line, why);
    this.entries += 1;
    if (this.seen.has(id)) {
      this.duplicates += 1;
      return;
    }
    this.seen.add(id);
    this.ids.push(id);
  }

  result(): ReadIds {
    if (this.totalProblems > 0) throw new SourceError(this.problems, this.totalProblems);
    if (this.ids.length === 0) throw new SourceError([`${this.where}: no instance ids found`]);
    return { ids: this.ids, duplicates: this.duplicates, entries: this.entries };
  }
}

/** Validates inline ids (command-line arguments). */
export function readInlineIds(ids: string[], where = 'argument'): ReadIds {
  const c = new Collector(where);
  ids.forEach((id, i) => c.add(id, i + 1));
  return c.result();
}

function detectFormat(path: string, head: string): Exclude<IdFileFormat, 'auto'> {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.csv') return 'csv';
  const first = head.replace(/^\uFEFF/, '').trimStart();
  if (first.startsWith('[')) return 'json';
  const firstLine = first.split(/\r?\n/, 1)[0] ?? '';
  if (/(^|,)\s*"?instance_id"?\s*(,|$)/.test(firstLine)) return 'csv';
  return 'text';
}

/** The file's lines, a read's worth at a time (a yield per line costs a microtask per id). */
async function* lineChunks(path: string): AsyncGenerator<string[]> {
  // Splits on \n itself (not readline) so a 10 MB line is measured and refused, not buffered twice.
  let carry = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = carry + (chunk as string);
    const parts = text.split('\n');
    carry = parts.pop() ?? '';
    yield parts;
  }
  if (carry) yield [carry];
}

function hasBinary(text: string): boolean {
  // NUL and most C0 control characters never occur in a text id list.
  // eslint-disable-next-line no-control-regex -- matching control bytes is the point
  return /[\x00-\x08\x0e-\x1f]/.test(text);
}

/**
 * Reads an id file: text (one id per line, `#` comments and blank lines ignored), CSV with an
 * `instance_id` column, or a JSON array of strings. BOM and CRLF are accepted. Every bad line is
 * reported with its number; nothing is returned unless the whole file is valid.
 */
export async function readIdFile(path: string, format: IdFileFormat = 'auto'): Promise<ReadIds> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new SourceError([`${path}: not a regular file`]);
    size = s.size;
  } catch (e) {
    if (e instanceof SourceError) throw e;
    throw new SourceError([
      `${path}: cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    ]);
  }
  if (size === 0) throw new SourceError([`${path}: file is empty`]);
  const c = new Collector(path);
  let head = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', start: 0, end: 4095 }))
    head += chunk as string;
  const fmt = format === 'auto' ? detectFormat(path, head) : format;

  if (fmt === 'json') {
    const { readFile } = await import('node:fs/promises');
    const text = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new SourceError([`${path}: not valid JSON (${(e as Error).message})`]);
    }
    if (!Array.isArray(parsed))
      throw new SourceError([`${path}: JSON must be an array of instance id strings`]);
    parsed.forEach((v, i) => {
      if (typeof v !== 'string')
        c.problem(undefined, `element ${i} is ${v === null ? 'null' : typeof v}, not a string`);
      else c.add(v.trim(), undefined);
    });
    return c.result();
  }

  if (fmt === 'csv') {
    await readCsv(path, c);
    return c.result();
  }

  let lineNo = 0;
  for await (const chunk of lineChunks(path)) {
    for (let line of chunk) {
      lineNo += 1;
      if (lineNo === 1) line = line.replace(/^\uFEFF/, '');
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.length > MAX_LINE) {
        c.problem(lineNo, `line is ${line.length} characters long (max ${MAX_LINE}); is this an id file?`);
        continue;
      }
      if (hasBinary(line)) {
        c.problem(lineNo, `binary or control characters: "${preview(line)}"`);
        continue;
      }
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      c.add(trimmed, lineNo);
    }
  }
  return c.result();
}

/**
 * RFC 4180 through csv-parse, streamed (a file may hold a million rows): quoted cells may hold
 * commas, quotes and line breaks. The header names the instance_id column; problems keep the
 * line number a row ends on.
 */
async function readCsv(path: string, c: Collector): Promise<void> {
  const parser = createReadStream(path).pipe(
    parseCsv({
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      max_record_size: MAX_LINE,
      info: true,
    }),
  );
  let idColumn = -1;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      const line = info.lines;
      if (idColumn < 0) {
        idColumn = record.indexOf('instance_id');
        if (idColumn < 0) {
          c.problem(line, 'CSV header has no instance_id column');
          break;
        }
        continue;
      }
      if (record.every((cell) => cell === '')) continue;
      const id = record[idColumn];
      if (id === undefined)
        c.problem(line, `row has ${record.length} columns, instance_id is column ${idColumn + 1}`);
      else if (hasBinary(id)) c.problem(line, `binary or control characters: "${preview(id)}"`);
      else c.add(id, line);
    }
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const line = (err as CsvError & { lines?: number }).lines;
    const reason =
      err.code === 'CSV_MAX_RECORD_SIZE'
        ? `row is longer than ${MAX_LINE} characters; is this an id file?`
        : `not valid CSV: ${err.message.replace(/^[^:]*:\s*/, '')}`;
    c.problem(line, reason);
  } finally {
    parser.destroy();
  }
}
