import { parse as parseCsv, CsvError } from 'csv-parse';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { parserStream } from 'stream-json';
import type { SourceBytes } from '../campaign/safety';
import { fromSpreadsheetSafe } from '../campaign/safe-text';
import { instanceIdProblem, preview } from '../campaign/instance-id';
import {
  describeBytes,
  MAX_LINE_BYTES,
  MAX_SOURCE_BYTES,
  MAX_SOURCE_ENTRIES,
  MAX_SOURCE_PROBLEMS,
} from './limits';
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

export interface ReadIdSource extends ReadIds {
  /** The bytes the source held as it was read: what `start` pins, and prepare checks before parsing. */
  raw: SourceBytes;
}

const MAX_PROBLEMS = 20;
const HEAD_BYTES = 4096;
const LF = 0x0a;
const count = (n: number) => n.toLocaleString('en-US');

class Collector {
  readonly ids: string[] = [];
  private readonly seen = new Set<string>();
  duplicates = 0;
  entries = 0;
  readonly problems: string[] = [];
  totalProblems = 0;

  constructor(private readonly where: string) {}

  private at(line: number | undefined, reason: string): string {
    return `${this.where}${line ? `:${line}` : ''}: ${reason}`;
  }

  /**
   * Called for every line, row or element, whatever it holds (a blank line, a comment, junk): the
   * cap bounds the reader's time and memory for any file.
   */
  tick(n: number): void {
    if (n > MAX_SOURCE_ENTRIES)
      this.stop(
        undefined,
        `more than ${count(MAX_SOURCE_ENTRIES)} entries (lines, rows or elements); an id source holds at most ${count(MAX_SOURCE_ENTRIES)} (split it into several campaigns)`,
      );
  }

  problem(line: number | undefined, reason: string): void {
    if (this.totalProblems >= MAX_SOURCE_PROBLEMS)
      this.stop(line, `more than ${count(MAX_SOURCE_PROBLEMS)} bad entries; is this an id file?`);
    this.totalProblems += 1;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(this.at(line, reason));
  }

  /** Refuses the source at once: what follows cannot be read in bounded memory, or is no id list. */
  stop(line: number | undefined, reason: string): never {
    this.totalProblems += 1;
    if (this.problems.length >= MAX_PROBLEMS) this.problems.length = MAX_PROBLEMS - 1;
    this.problems.push(this.at(line, reason));
    throw new SourceError(this.problems, this.totalProblems);
  }

  add(id: string, line?: number): void {
    const why = instanceIdProblem(id);
    if (why) return this.problem(line, why);
    this.entries += 1;
    // One hash lookup instead of has() then add(): this is the reader's hottest line.
    const before = this.seen.size;
    this.seen.add(id);
    if (this.seen.size === before) this.duplicates += 1;
    else this.ids.push(id);
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

/** The id column's name when none is given (`--id-column`). */
export const DEFAULT_ID_COLUMN = 'instance_id';

/**
 * A header name as spreadsheets and exports spell it in many ways: `Instance ID`, `instance-id`,
 * `instanceId` and `instance_id` are one column (case, spaces, dashes and underscores ignored).
 */
export function headerKey(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

function detectFormat(
  name: string | undefined,
  head: string,
  idColumn: string,
): Exclude<IdFileFormat, 'auto'> {
  const ext = name ? extname(name).toLowerCase() : '';
  if (ext === '.json') return 'json';
  if (ext === '.csv') return 'csv';
  const first = head.replace(/^\uFEFF/, '').trimStart();
  if (first.startsWith('[')) return 'json';
  const firstLine = first.split(/\r?\n/, 1)[0] ?? '';
  const cells = firstLine.split(',').map((cell) => headerKey(cell.trim().replace(/^"|"$/g, '')));
  // One cell alone is a text id list whose first id might read as a header ("instanceid").
  if (cells.length > 1 && cells.includes(headerKey(idColumn))) return 'csv';
  if (/^\s*"?instance_id"?\s*$/.test(firstLine)) return 'csv';
  return 'text';
}

function hasBinary(text: string): boolean {
  // NUL and most C0 control characters never occur in a text id list.
  // eslint-disable-next-line no-control-regex -- matching control bytes is the point
  return /[\x00-\x08\x0e-\x1f]/.test(text);
}

/**
 * The source's bytes as they are read: counted (refused past MAX_SOURCE_BYTES, for a pipe whose
 * size nobody knows beforehand), hashed (the pin of what was read), and whether they end a line.
 */
class Meter {
  size = 0;
  private last = -1;
  private readonly hash = createHash('sha256');

  constructor(private readonly where: string) {}

  async *read(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (b.length === 0) continue;
      this.size += b.length;
      if (this.size > MAX_SOURCE_BYTES) {
        throw new SourceError([
          `${this.where}: more than ${describeBytes(MAX_SOURCE_BYTES)}; an id source is at most ${describeBytes(MAX_SOURCE_BYTES)} (split it into several campaigns)`,
        ]);
      }
      this.hash.update(b);
      this.last = b[b.length - 1]!;
      yield b;
    }
  }

  endsLine(): boolean {
    return this.last === LF;
  }

  raw(): SourceBytes {
    return { size: this.size, sha256: this.hash.digest('hex') };
  }
}

/** The first `n` bytes (or all there are), and every chunk again from the start. */
async function peek(
  chunks: AsyncIterable<Buffer>,
  n: number,
): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const it = chunks[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    first.push(r.value);
    length += r.value.length;
  }
  async function* all(): AsyncGenerator<Buffer> {
    try {
      yield* first;
      if (done) return;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    } finally {
      // A reader that stops early (a refused line) closes the file or pipe behind it.
      await it.return?.();
    }
  }
  return { head: Buffer.concat(first).subarray(0, n), all: all() };
}

export interface ReadIdStreamOptions {
  /** How problems name the source: a path, or "stdin". */
  where: string;
  format?: IdFileFormat;
  /** A file name whose extension tells the format (auto). */
  name?: string;
  /**
   * A last line without a line break is refused: from a pipe it is what a cut-off writer leaves,
   * and the prefix of an id is still a valid-looking id (the CLI's stdin).
   */
  requireFinalNewline?: boolean;
  /** The CSV column of the ids (default instance_id), matched as headerKey() reads names. */
  idColumn?: string;
}

/**
 * Reads an id list from a stream of bytes, in bounded memory whatever the stream holds: text (one
 * id per line, `#` comments and blank lines ignored), CSV with an `instance_id` column, or a JSON
 * array of strings. BOM and CRLF are accepted. Every bad entry is reported with its place; a line
 * longer than MAX_LINE_BYTES, a source over MAX_SOURCE_BYTES or MAX_SOURCE_ENTRIES, and JSON
 * that is no flat array are refused as soon as they are seen. Nothing is returned unless the
 * whole source is valid.
 */
export async function readIdStream(
  chunks: AsyncIterable<Buffer | string>,
  options: ReadIdStreamOptions,
): Promise<ReadIdSource> {
  const { where, format = 'auto', requireFinalNewline = false, idColumn } = options;
  const meter = new Meter(where);
  const { head, all } = await peek(meter.read(chunks), HEAD_BYTES);
  if (head.length === 0) throw new SourceError([`${where}: file is empty`]);
  const c = new Collector(where);
  const fmt =
    format === 'auto'
      ? detectFormat(options.name, head.toString('utf8'), idColumn ?? DEFAULT_ID_COLUMN)
      : format;
  if (idColumn !== undefined && fmt !== 'csv')
    throw new SourceError([
      `${where}: --id-column "${idColumn}" names a CSV column, but this is a ${fmt} id list`,
    ]);
  if (fmt === 'json') await readJson(all, c);
  else if (fmt === 'csv') await readCsv(all, c, idColumn, () => requireFinalNewline && !meter.endsLine());
  else await readText(all, c, requireFinalNewline);
  return { ...c.result(), raw: meter.raw() };
}

/**
 * Reads an id file (see readIdStream); refused at once when it is no regular file, empty, or over
 * MAX_SOURCE_BYTES. The result carries the size and sha256 of the bytes it read.
 */
export async function readIdFile(
  path: string,
  format: IdFileFormat = 'auto',
  idColumn?: string,
): Promise<ReadIdSource> {
  const cannotRead = (e: unknown) =>
    new SourceError([
      `${path}: cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    ]);
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new SourceError([`${path}: not a regular file`]);
    size = s.size;
  } catch (e) {
    if (e instanceof SourceError) throw e;
    throw cannotRead(e);
  }
  if (size === 0) throw new SourceError([`${path}: file is empty`]);
  if (size > MAX_SOURCE_BYTES) {
    throw new SourceError([
      `${path}: file is ${describeBytes(size)}; an id file is at most ${describeBytes(MAX_SOURCE_BYTES)} (split it into several campaigns)`,
    ]);
  }
  try {
    return await readIdStream(createReadStream(path, { highWaterMark: 1 << 20 }), {
      where: path,
      name: path,
      format,
      ...(idColumn !== undefined ? { idColumn } : {}),
    });
  } catch (e) {
    if (e instanceof SourceError) throw e;
    if ((e as NodeJS.ErrnoException).code) throw cannotRead(e);
    throw e;
  }
}

/**
 * Lines split on the bytes themselves: a line is measured as it arrives and refused as soon as
 * it passes MAX_LINE_BYTES (a 600 MB line is never held), and each line is decoded into a string
 * of its own (a slice of a 1 MB chunk's string would keep the chunk alive).
 */
async function readText(chunks: AsyncIterable<Buffer>, c: Collector, requireFinalNewline: boolean) {
  let lineNo = 0;
  let carry: Buffer[] = [];
  let carryLength = 0;
  const take = (bytes: Buffer, start: number, end: number) => {
    c.tick(++lineNo);
    if (end === start) return; // a blank line, the cheap way
    let line = bytes.toString('utf8', start, end);
    if (lineNo === 1) line = line.replace(/^\uFEFF/, '');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (hasBinary(line)) return c.problem(lineNo, `binary or control characters: "${preview(line)}"`);
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    c.add(trimmed, lineNo);
  };
  const tooLong = (): never =>
    c.stop(lineNo + 1, `line is longer than ${count(MAX_LINE_BYTES)} bytes; is this an id file?`);
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf(LF); nl >= 0; nl = chunk.indexOf(LF, start)) {
      if (carryLength + nl - start > MAX_LINE_BYTES) tooLong();
      if (carryLength === 0) take(chunk, start, nl);
      else {
        const line = Buffer.concat([...carry, chunk.subarray(start, nl)]);
        take(line, 0, line.length);
        carry = [];
        carryLength = 0;
      }
      start = nl + 1;
    }
    if (start < chunk.length) {
      carryLength += chunk.length - start;
      if (carryLength > MAX_LINE_BYTES) tooLong();
      carry.push(chunk.subarray(start));
    }
  }
  if (carryLength === 0) return;
  if (!requireFinalNewline) {
    const line = Buffer.concat(carry);
    return take(line, 0, line.length);
  }
  c.problem(
    lineNo + 1,
    'the last line does not end with a line break: was the input cut short? (a complete list ends with one)',
  );
}

// The tokenizer turns a chunk into all of its tokens at once: small chunks keep that burst small
// (1 MB of `1,1,1,…` is half a million tokens).
const JSON_SLICE_BYTES = 64 * 1024;

async function* slices(chunks: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  for await (const chunk of chunks)
    for (let i = 0; i < chunk.length; i += size) yield chunk.subarray(i, i + size);
}

/** What a JSON element is, in the words of the problems. */
const ELEMENT_KIND: Record<string, string> = {
  numberValue: 'number',
  nullValue: 'null',
  trueValue: 'boolean',
  falseValue: 'boolean',
  startObject: 'object',
  startArray: 'array',
};

/**
 * A JSON array of strings through stream-json's tokenizer: no value is ever held whole beyond
 * MAX_LINE_BYTES, nothing nests deeper than an element, and an element that is no string is a
 * problem (a nested array or object ends the read: this is no id list).
 */
async function readJson(chunks: AsyncIterable<Buffer>, c: Collector): Promise<void> {
  const source = Readable.from(slices(chunks, JSON_SLICE_BYTES));
  const tokens = parserStream({
    packValues: true,
    streamValues: false,
    maxDepth: 2,
    maxPackedLength: MAX_LINE_BYTES,
  });
  // Errors of either stream (the meter's refusals too) reach the loop below through `tokens`.
  pipeline(source, tokens, () => undefined);
  let started = false;
  let ended = false;
  let element = 0;
  try {
    for await (const token of tokens as AsyncIterable<{ name: string; value?: unknown }>) {
      if (!started) {
        if (token.name !== 'startArray') c.stop(undefined, 'JSON must be an array of instance id strings');
        started = true;
        continue;
      }
      if (token.name === 'endArray') {
        ended = true;
        continue;
      }
      c.tick(element + 1);
      if (token.name === 'stringValue') c.add((token.value as string).trim());
      else if (token.name === 'startObject' || token.name === 'startArray')
        c.stop(undefined, `element ${element} is ${ELEMENT_KIND[token.name]}, not a string`);
      else
        c.problem(undefined, `element ${element} is ${ELEMENT_KIND[token.name] ?? token.name}, not a string`);
      element += 1;
    }
  } catch (err) {
    if (err instanceof SourceError) throw err;
    c.stop(undefined, `not valid JSON (${(err as Error).message.replace(/^parser: /i, '')})`);
  } finally {
    source.destroy();
    tokens.destroy();
  }
  if (!ended) c.stop(undefined, 'not valid JSON (it ends before the array is closed)');
}

/**
 * RFC 4180 through csv-parse, streamed: quoted cells may hold commas, quotes and line breaks. The
 * header names the instance_id column; problems keep the line number a row ends on.
 */
/**
 * The id column of a CSV header: the one whose name reads as `wanted` (headerKey). None, or two,
 * stop the read with the headers found, so the operator sees what to pass to --id-column.
 */
function idColumnOf(header: string[], wanted: string | undefined, c: Collector, line: number): number {
  const key = headerKey(wanted ?? DEFAULT_ID_COLUMN);
  const matches = header.flatMap((name, i) => (headerKey(name) === key ? [i] : []));
  const shown = header.slice(0, 20).map((h) => `"${preview(h)}"`);
  const found = shown.join(', ') + (header.length > shown.length ? `, … ${header.length} in all` : '');
  if (matches.length === 0)
    c.stop(
      line,
      `CSV header has no ${wanted === undefined ? 'instance_id' : `"${wanted}"`} column (found ${found}); ` +
        'name the id column with --id-column',
    );
  if (matches.length > 1)
    c.stop(
      line,
      `CSV header has ${matches.length} columns named like "${wanted ?? DEFAULT_ID_COLUMN}" (${found}); name one with --id-column`,
    );
  return matches[0]!;
}

async function readCsv(
  chunks: AsyncIterable<Buffer>,
  c: Collector,
  wantedColumn: string | undefined,
  cutShort: () => boolean,
): Promise<void> {
  const source = Readable.from(chunks);
  const parser = parseCsv({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    max_record_size: MAX_LINE_BYTES,
    info: true,
  });
  pipeline(source, parser, () => undefined);
  let idColumn = -1;
  let idName = '';
  let lastLine = 0;
  let rows = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      const line = info.lines;
      lastLine = line;
      c.tick(++rows);
      if (idColumn < 0) {
        idColumn = idColumnOf(record, wantedColumn, c, line);
        idName = record[idColumn]!;
        continue;
      }
      if (record.every((cell) => cell === '')) continue;
      const id = record[idColumn];
      if (id === undefined)
        c.problem(line, `row has ${record.length} columns, ${idName} is column ${idColumn + 1}`);
      else if (hasBinary(id)) c.problem(line, `binary or control characters: "${preview(id)}"`);
      else c.add(fromSpreadsheetSafe(id), line);
    }
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const line = (err as CsvError & { lines?: number }).lines;
    c.stop(
      line,
      err.code === 'CSV_MAX_RECORD_SIZE'
        ? `row is longer than ${count(MAX_LINE_BYTES)} characters; is this an id file?`
        : `not valid CSV: ${err.message.replace(/^[^:]*:\s*/, '')}`,
    );
  } finally {
    source.destroy();
    parser.destroy();
  }
  if (cutShort())
    c.problem(
      lastLine,
      'the last line does not end with a line break: was the input cut short? (a complete list ends with one)',
    );
}
