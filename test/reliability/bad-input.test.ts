import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ScheduleNotFoundError, WorkflowNotFoundError } from '@temporalio/client';
import { cliEnv, hasStackTrace } from '../cli/run-cli';
import { waitFor } from '../helpers/campaign-env';
import { closeTestTemporal, testTemporal, type TestTemporal } from '../helpers/temporal';
import { runCliBounded, runCliMeasured, type BoundedRun } from './support/cli';
import { listExecutions, onQueue, terminateAll } from './support/workflows';

// Operators feed this tool whatever they have: spreadsheets, binary dumps, typos, half-set
// environments. Every one of these must be refused before anything starts, with exit 2 and a
// line that says what is wrong — never a stack trace, never a half-started campaign.
//
// The refused cases run WITHOUT --dry-run against the real test server: if validation let one
// through, a campaign would really be started on this file's queue, and the checks would see it.

const run = randomUUID().slice(0, 8);
/** Every campaign id and schedule name below starts with this, so a start is found by id. */
const PREFIX = `bad-${run}`;
const QUEUE = `bad-input-${run}`;
/** A task queue name the worker refuses; the CLI must not start campaigns on it either. */
const SPACED_QUEUE = `bad queue ${run}`;

const dir = mkdtempSync(join(tmpdir(), 'koophone-bad-input-'));
const file = (name: string) => join(dir, name);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ID33 = 'abcdefghij'.repeat(3) + 'abc';
const ID32 = 'abcdefghij'.repeat(3) + 'ab';
const TEN_MB = 10 * 1024 * 1024;
const TWO_MILLION = 2_000_000;
/** 1-based line of the one bad id in the 2 000 000-id file: near the end. */
const BAD_LINE = 1_999_990;

/** Bytes that no text file holds: a fixed pseudo-random stream (same junk every run). */
function junk(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function writeFixtures(): void {
  mkdirSync(file('a-directory'));
  writeFileSync(file('empty.txt'), '');
  writeFileSync(file('blank.txt'), '\n   \n\t\n\r\n\n');
  writeFileSync(file('junk.bin'), junk(4096));
  writeFileSync(file('ten-mb-line.txt'), 'x'.repeat(TEN_MB) + '\n');
  writeFileSync(file('long-id.txt'), `abc1\nabc2\n${ID33}\nabc4\n`);
  writeFileSync(file('no-column.csv'), 'name,pool\nphone-1,p1\n');
  writeFileSync(file('short-row.csv'), 'name,instance_id\nphone-1,abc1\nphone-2\n');
  writeFileSync(file('bad-id.csv'), 'instance_id,name\nabc1,one\nhas space,two\n');
  writeFileSync(file('object.json'), '{"ids":["abc1","abc2"]}');
  writeFileSync(file('non-string.json'), '["abc1", 42, null]');
  writeFileSync(file('broken.json'), '["abc1", ');
  writeFileSync(file('long-id.json'), `["abc1","${ID33}"]`);
  writeFileSync(file('nul.txt'), 'abc1\nab\0c2\nabc3\n');
  writeFileSync(file('utf16.txt'), Buffer.from('\ufeffabc1\nabc2\n', 'utf16le'));
  writeFileSync(file('latin1.txt'), Buffer.from('abc1\ncaf\xe9\n', 'latin1'));
  // 2 000 000 valid ids and one bad line near the end: the line number must be named.
  const lines: string[] = new Array<string>(TWO_MILLION);
  for (let i = 0; i < TWO_MILLION; i++) lines[i] = `inst${String(i).padStart(8, '0')}`;
  lines[BAD_LINE - 1] = 'not/an id';
  writeFileSync(file('two-million.txt'), lines.join('\n') + '\n');
  // Valid edge cases.
  writeFileSync(file('bom-crlf.txt'), '\ufeff# fleet A\r\nabc1\r\n\r\n  abc2  \r\nabc3');
  writeFileSync(file('bom-crlf.csv'), '\ufeffname,"instance_id"\r\n"phone 1","abc1"\r\nphone-2,abc2\r\n\r\n');
  writeFileSync(file('bom.json'), '\ufeff[" abc1 ", "abc2", "abc1"]\r\n');
  writeFileSync(file('duplicates-only.txt'), 'abc1\n'.repeat(5));
  writeFileSync(file('exactly-32.txt'), `${ID32}\n`);
}

interface BadCase {
  name: string;
  args: string[];
  /** Variables over the file's base environment; undefined removes one. */
  env?: Record<string, string | undefined>;
  stdin?: string;
  /** Matched against the first line of stderr (after "error: "). */
  error: RegExp;
  /**
   * A file with several bad lines lists each (up to 20, then "… and N more"), every line naming
   * `where:line`; anything else is exactly one line.
   */
  perProblem?: string;
  /** A schedule name the case must not have created. */
  schedule?: string;
  /** The queue to check instead of QUEUE (a case that changes TEMPORAL_TASK_QUEUE). */
  queue?: string;
  /** How long the run may take before it counts as hung (30 s unless given). */
  timeoutMs?: number;
}

let n = 0;
const cid = () => `${PREFIX}-${++n}`;
/** `start` with a valid id source unless the case is about the source, and a findable campaign id. */
const start = (...args: string[]) => [
  'start',
  ...args,
  ...(args.includes('--campaign-id') ? [] : ['--campaign-id', cid()]),
];
const withId = (...flags: string[]) => start('abc1', ...flags);
const fromFile = (name: string) => start('--ids-file', file(name));
const sched = (...args: string[]): { args: string[]; schedule: string } => {
  const name = `${PREFIX}-s${++n}`;
  return { args: ['schedule', 'create', name, ...args], schedule: name };
};
const WORKER_ENV = { KOOPHONE_ENDPOINT: 'http://127.0.0.1:9', KOOPHONE_TOKEN: 'bad-input-static-token' };
const worker = (name: string, env: Record<string, string | undefined>, error: RegExp): BadCase => ({
  name: `worker: ${name}`,
  args: ['worker'],
  env: { ...WORKER_ENV, ...env },
  error,
});
const p = (name: string) => esc(file(name));

const BAD: BadCase[] = [
  // --- command-line flags -------------------------------------------------------------------
  { name: 'unknown flag', args: withId('--frobnicate'), error: /unknown option '--frobnicate'/ },
  { name: 'unknown command', args: ['frobnicate'], error: /unknown command 'frobnicate'/ },
  {
    name: '--batch-size 0',
    args: withId('--batch-size', '0'),
    error: /--batch-size: must be at least 1 \(got "0"\)/,
  },
  {
    name: '--batch-size 101',
    args: withId('--batch-size', '101'),
    error: /--batch-size: must be at most 100 \(got "101"\)/,
  },
  {
    name: '--batch-size abc',
    args: withId('--batch-size', 'abc'),
    error: /--batch-size: expected a number, got "abc"/,
  },
  {
    name: '--batch-size 1.5',
    args: withId('--batch-size', '1.5'),
    error: /--batch-size: must be a whole number \(got "1\.5"\)/,
  },
  {
    name: '--concurrency 0',
    args: withId('--concurrency', '0'),
    error: /--concurrency: must be at least 1 \(got "0"\)/,
  },
  { name: '--rate 0', args: withId('--rate', '0'), error: /--rate: must be more than 0 \(got "0"\)/ },
  { name: '--rate -1', args: withId('--rate', '-1'), error: /--rate: expected a number, got "-1"/ },
  { name: '--rate fast', args: withId('--rate', 'fast'), error: /--rate: expected a number, got "fast"/ },
  {
    name: '--rate auto --rate-max 0',
    args: withId('--rate', 'auto', '--rate-max', '0'),
    error: /--rate-max: must be more than 0 \(got "0"\)/,
  },
  {
    name: '--max-errors 200%',
    args: withId('--max-errors', '200%'),
    error: /--max-errors: 200% is more than 100%/,
  },
  {
    name: '--max-errors lots',
    args: withId('--max-errors', 'lots'),
    error: /--max-errors: "lots" must be a count/,
  },
  {
    name: '--retry-delay 5parsecs',
    args: withId('--retry-delay', '5parsecs'),
    error: /--retry-delay: "5parsecs" is not a duration: write e\.g\. 90s, 5m, 1h30m/,
  },
  {
    name: '--job-timeout 0',
    args: withId('--job-timeout', '0'),
    error: /--job-timeout must be at least 1s/,
  },
  { name: '--canary -1', args: withId('--canary', '-1'), error: /--canary: expected a number, got "-1"/ },
  {
    name: '--retry-failed 21',
    args: withId('--retry-failed', '21'),
    error: /--retry-failed: must be at most 20 \(got "21"\)/,
  },
  {
    name: '--ramp-factor 1',
    args: withId('--ramp-start', '2', '--ramp-factor', '1'),
    error: /--ramp-factor: must be more than 1 \(got "1"\)/,
  },
  // The error must name the flag the operator typed, not another one.
  { name: '--abort-failed 150%', args: withId('--abort-failed', '150%'), error: /--abort-failed\b.*150%/ },
  {
    name: '--abort-rejected lots',
    args: withId('--abort-rejected', 'lots'),
    error: /--abort-rejected\b.*"lots"/,
  },
  {
    name: '--window with a bad cron',
    args: withId('--window', '61 3 * * */4h'),
    error: /--window "61 3 \* \* \*": invalid value for minute: 61/,
  },
  {
    name: '--window with a bad duration',
    args: withId('--window', '0 3 * * */4parsecs'),
    error: /--window: "4parsecs" is not a duration/,
  },
  {
    name: '--window with a zero duration',
    args: withId('--window', '0 3 * * */0s'),
    error: /--window: window duration must be at least 1s/,
  },
  {
    name: '--window with a bad time zone',
    args: withId('--window', '0 3 * * */4h/Mars/Olympus'),
    error: /--window: .*time ?zone.*Mars\/Olympus/i,
  },
  {
    name: '--window without a duration',
    args: withId('--window', '0 3 * * *'),
    error: /--window: expected "CRON\/DURATION\[\/TIMEZONE\]", got "0 3 \* \* \*"/,
  },
  {
    name: '--campaign-id with spaces',
    args: start('abc1', '--campaign-id', `${PREFIX} with spaces`),
    error: /--campaign-id: campaign id must be 1-128 characters .*"bad-\w+ with spaces"/,
  },
  {
    name: '--campaign-id of 200 characters',
    args: start('abc1', '--campaign-id', `${PREFIX}-${'x'.repeat(200 - PREFIX.length - 1)}`),
    error: /--campaign-id: campaign id must be 1-128 characters/,
  },
  {
    name: 'ids and --ids-file together',
    args: start('abc1', '--ids-file', file('bom-crlf.txt')),
    error: /give instance ids, --ids-file or --all, not more than one of them/,
  },
  { name: '--all and ids together', args: start('abc1', '--all'), error: /not more than one of them/ },
  {
    name: '--ids-file and --all together',
    args: start('--ids-file', file('bom-crlf.txt'), '--all'),
    error: /not more than one of them/,
  },
  { name: 'no instances at all', args: start(), error: /no instances given: pass instance ids, --ids-file/ },
  {
    name: '--pool-tag without --all',
    args: withId('--pool-tag', 'CLOUD_APP'),
    error: /--name-prefix, --pool-tag and --pool-name select from the fleet: use them with --all/,
  },
  {
    name: '--pool-tag TOASTER',
    args: start('--all', '--pool-tag', 'TOASTER'),
    error: /'TOASTER' is invalid\. Allowed choices are CLOUD_APP, CLOUD_PHONE/,
  },
  {
    name: 'report --format xml',
    args: ['report', `${PREFIX}-r`, '--format', 'xml'],
    error: /Allowed choices are csv/,
  },
  // --- ids on the command line --------------------------------------------------------------
  {
    name: 'a 33-character id argument',
    args: start(ID33),
    error: /argument:1: instance id is 33 characters \(max 32\)/,
  },
  { name: 'an empty id argument', args: start('abc1', ''), error: /argument:2: empty instance id/ },
  {
    name: '6 000 ids on the command line',
    args: start(...Array.from({ length: 6000 }, (_, i) => `id${i}`)),
    error: /6000 ids on the command line; put more than 5000 in a file \(--ids-file\)/,
  },
  // --- id files -----------------------------------------------------------------------------
  {
    name: 'a missing file',
    args: fromFile('missing.txt'),
    error: new RegExp(`${p('missing.txt')}: cannot read file \\(ENOENT\\)`),
  },
  {
    name: 'a directory instead of a file',
    args: fromFile('a-directory'),
    error: new RegExp(`${p('a-directory')}: not a regular file`),
  },
  {
    name: 'an empty file',
    args: fromFile('empty.txt'),
    error: new RegExp(`${p('empty.txt')}: file is empty`),
  },
  {
    name: 'a file of blank lines only',
    args: fromFile('blank.txt'),
    error: new RegExp(`${p('blank.txt')}: no instance ids found`),
  },
  {
    name: 'binary junk',
    args: fromFile('junk.bin'),
    error: new RegExp(`${p('junk.bin')}:1: binary or control characters`),
    perProblem: file('junk.bin'),
  },
  {
    name: 'a 10 MB single line',
    args: fromFile('ten-mb-line.txt'),
    error: new RegExp(`${p('ten-mb-line.txt')}:1: line is longer than 65,536 bytes; is this an id file\\?`),
  },
  {
    name: 'a 33-character id on line 3',
    args: fromFile('long-id.txt'),
    error: new RegExp(`${p('long-id.txt')}:3: instance id is 33 characters \\(max 32\\)`),
  },
  {
    name: '2 000 000 ids with one bad line near the end',
    args: fromFile('two-million.txt'),
    // Reading 2 000 000 ids takes seconds, many more beside five other CLIs on a busy machine:
    // the bound only tells a hang.
    timeoutMs: 90_000,
    error: new RegExp(`${p('two-million.txt')}:${BAD_LINE}: instance id contains characters other than`),
  },
  {
    name: 'CSV without an instance_id column',
    args: fromFile('no-column.csv'),
    error: new RegExp(`${p('no-column.csv')}:1: CSV header has no instance_id column`),
  },
  {
    name: 'CSV row without the instance_id cell',
    args: fromFile('short-row.csv'),
    error: new RegExp(`${p('short-row.csv')}:3: row has 1 columns, instance_id is column 2`),
  },
  {
    name: 'CSV with a bad id',
    args: fromFile('bad-id.csv'),
    error: new RegExp(`${p('bad-id.csv')}:3: instance id contains characters other than .*"has space"`),
  },
  {
    name: 'JSON that is not an array',
    args: fromFile('object.json'),
    error: new RegExp(`${p('object.json')}: JSON must be an array of instance id strings`),
  },
  {
    name: 'JSON with non-string elements',
    args: fromFile('non-string.json'),
    error: new RegExp(`${p('non-string.json')}: element 1 is number, not a string`),
    perProblem: file('non-string.json'),
  },
  {
    name: 'JSON cut short',
    args: fromFile('broken.json'),
    error: new RegExp(`${p('broken.json')}: not valid JSON`),
  },
  {
    name: 'JSON with a 33-character id',
    args: fromFile('long-id.json'),
    error: new RegExp(`${p('long-id.json')}: instance id is 33 characters \\(max 32\\)`),
  },
  {
    name: 'a NUL byte inside an id',
    args: fromFile('nul.txt'),
    error: new RegExp(`${p('nul.txt')}:2: binary or control characters`),
  },
  {
    name: 'a UTF-16 file',
    args: fromFile('utf16.txt'),
    error: new RegExp(`${p('utf16.txt')}:1: binary or control characters`),
    perProblem: file('utf16.txt'),
  },
  {
    name: 'a Latin-1 id',
    args: fromFile('latin1.txt'),
    error: new RegExp(`${p('latin1.txt')}:2: instance id contains characters other than`),
  },
  // --- stdin --------------------------------------------------------------------------------
  { name: 'stdin: nothing', args: start('--ids-file', '-'), stdin: '', error: /stdin: file is empty/ },
  {
    name: 'stdin: blank lines only',
    args: start('--ids-file', '-'),
    stdin: '\n \n\r\n',
    error: /stdin: no instance ids found/,
  },
  {
    name: 'stdin: binary junk',
    args: start('--ids-file', '-'),
    stdin: junk(2048).toString('latin1'),
    error: /stdin:1: binary or control characters/,
    perProblem: 'stdin',
  },
  {
    name: 'stdin: a 10 MB single line',
    args: start('--ids-file', '-'),
    stdin: 'y'.repeat(TEN_MB),
    error: /stdin:1: line is longer than 65,536 bytes/,
  },
  {
    name: 'stdin: a 33-character id on line 2',
    args: start('--ids-file', '-'),
    stdin: `abc1\n${ID33}\n`,
    error: /stdin:2: instance id is 33 characters \(max 32\)/,
  },
  {
    // A writer that died mid-line: the prefix of the last id looks like an id.
    name: 'stdin: cut mid-line',
    args: start('--ids-file', '-'),
    stdin: 'abc1\nabc2\nab',
    error: /stdin:3: the last line does not end with a line break: was the input cut short\?/,
  },
  {
    name: 'stdin: JSON that is not an array',
    args: start('--ids-file', '-'),
    stdin: '[',
    error: /stdin: not valid JSON/,
  },
  // --- schedule specs -----------------------------------------------------------------------
  {
    name: 'schedule: cron minute 61',
    ...sched('abc1', '--cron', '61 3 * * *'),
    error: /--cron "61 3 \* \* \*": invalid value for minute: 61/,
  },
  {
    name: 'schedule: cron with 4 fields',
    ...sched('abc1', '--cron', '0 3 * *'),
    error: /has 4 fields; expected 5/,
  },
  {
    name: 'schedule: cron in words',
    ...sched('abc1', '--cron', 'every sunday'),
    error: /--cron "every sunday": has 2 fields; expected 5/,
  },
  {
    name: 'schedule: @every with a bad duration',
    ...sched('abc1', '--cron', '@every 1parsec'),
    error: /--cron "@every 1parsec": "@every" takes a duration such as 1h/,
  },
  {
    name: 'schedule: unknown time zone',
    ...sched('abc1', '--cron', '0 3 * * SUN', '--timezone', 'Mars/Olympus'),
    error: /--timezone: unknown time zone "Mars\/Olympus"/,
  },
  {
    name: 'schedule: time zone in the wrong case',
    ...sched('abc1', '--cron', '0 3 * * SUN', '--timezone', 'asia/shanghai'),
    error: /--timezone: time zone "asia\/shanghai": write it as Asia\/Shanghai/,
  },
  {
    name: 'schedule: missing --cron',
    ...sched('abc1'),
    error: /required option '--cron <expr>' not specified/,
  },
  {
    name: 'schedule: a name with spaces',
    args: ['schedule', 'create', `${PREFIX} nightly`, 'abc1', '--cron', '0 3 * * *'],
    schedule: `${PREFIX} nightly`,
    error: /schedule name "bad-\w+ nightly" must be 1-100 characters/,
  },
  {
    name: 'schedule: unknown --overlap',
    ...sched('abc1', '--cron', '0 3 * * *', '--overlap', 'sometimes'),
    error: /'sometimes' is invalid\. Allowed choices are skip/,
  },
  {
    name: 'schedule: bad campaign flag',
    ...sched('abc1', '--cron', '0 3 * * *', '--batch-size', '0'),
    error: /--batch-size: .*"0"/,
  },
  {
    name: 'schedule: missing ids file',
    ...sched('--ids-file', file('missing.txt'), '--cron', '0 3 * * *'),
    error: new RegExp(`${p('missing.txt')}: cannot read file \\(ENOENT\\)`),
  },
  // --- environment --------------------------------------------------------------------------
  worker(
    'KOOPHONE_ENDPOINT=ftp://x',
    { KOOPHONE_ENDPOINT: 'ftp://x' },
    /KOOPHONE_ENDPOINT: expected an http\(s\) URL \(got "ftp:\/\/x"\)/,
  ),
  worker(
    'no credentials',
    { KOOPHONE_TOKEN: undefined },
    /set KOOPHONE_TOKEN, or all of KOOPHONE_IAM_USERNAME, KOOPHONE_IAM_PASSWORD, KOOPHONE_IAM_DOMAIN/,
  ),
  worker(
    'IAM user name without password and domain',
    { KOOPHONE_TOKEN: undefined, KOOPHONE_IAM_USERNAME: 'ops' },
    /missing: KOOPHONE_IAM_PASSWORD, KOOPHONE_IAM_DOMAIN/,
  ),
  worker(
    'KOOPHONE_IAM_ENDPOINT=notaurl',
    { KOOPHONE_IAM_ENDPOINT: 'notaurl' },
    /KOOPHONE_IAM_ENDPOINT: expected an http\(s\) URL/,
  ),
  worker(
    'KOOPHONE_TIMEOUT_MS=soon',
    { KOOPHONE_TIMEOUT_MS: 'soon' },
    /KOOPHONE_TIMEOUT_MS: expected a number of milliseconds/,
  ),
  worker('REPORT_SINK=ftp://x', { REPORT_SINK: 'ftp://x' }, /REPORT_SINK\b.*(postgres|file:).*"ftp:\/\/x"/),
  worker('WORKER_MAX_ACTIVITIES=-1', { WORKER_MAX_ACTIVITIES: '-1' }, /WORKER_MAX_ACTIVITIES: .*"-1"/),
  worker('LOG_LEVEL=loud', { LOG_LEVEL: 'loud' }, /LOG_LEVEL\b.*"loud"/),
  worker(
    'TEMPORAL_TASK_QUEUE with spaces',
    { TEMPORAL_TASK_QUEUE: 'has spaces' },
    /TEMPORAL_TASK_QUEUE\b.*"has spaces"/,
  ),
  worker('METRICS_PORT=70000', { METRICS_PORT: '70000' }, /METRICS_PORT\b.*"70000"/),
  {
    name: 'start: TEMPORAL_TASK_QUEUE with spaces',
    args: start('abc1'),
    env: { TEMPORAL_TASK_QUEUE: SPACED_QUEUE },
    queue: SPACED_QUEUE,
    error: /TEMPORAL_TASK_QUEUE\b/,
  },
];

// --- huge and cut inputs (issue 24 item 8): generated in the test, each refused in bounded memory --
const MB = 1_000_000;
/** What any refused id source may cost the CLI, whatever its size (README "Bounded inputs"). */
const MEMORY_CEILING = 300 * MB;

/** `bytes` of `unit` repeated, between `head` and `tail`. */
interface Repeated {
  bytes: number;
  unit: string;
  head?: string;
  tail?: string;
}

function* repeated(r: Repeated): Generator<Buffer> {
  const block = Buffer.from(r.unit.repeat(Math.ceil((1 << 20) / r.unit.length)));
  if (r.head) yield Buffer.from(r.head);
  for (let left = r.bytes; left > 0; left -= block.length)
    yield left >= block.length ? block : block.subarray(0, left);
  if (r.tail) yield Buffer.from(r.tail);
}

/** Writes a repeated block: a 600 MB file in about a second. */
function writeRepeated(path: string, r: Repeated): void {
  const fd = openSync(path, 'w');
  try {
    for (const b of repeated(r)) writeSync(fd, b);
  } finally {
    closeSync(fd);
  }
}

interface BigCase {
  name: string;
  file?: Repeated & { name: string };
  stdin?: Repeated;
  /** Matched against the first line of stderr (after "error: "). */
  error: RegExp;
}

const sizeRefused = (name: string) =>
  new RegExp(`${p(name)}: file is \\d+(\\.\\d)? MiB; an id file is at most 256 MiB`);

const BIG: BigCase[] = [
  {
    name: 'a 600 MB id file of one unterminated line: refused by its size',
    file: { name: 'line-600mb.txt', bytes: 600 * MB, unit: 'a' },
    error: sizeRefused('line-600mb.txt'),
  },
  {
    name: 'a 200 MB id file of one unterminated line: refused at the line cap',
    file: { name: 'line-200mb.txt', bytes: 200 * MB, unit: 'a' },
    error: new RegExp(`${p('line-200mb.txt')}:1: line is longer than 65,536 bytes`),
  },
  {
    name: 'a 300 MB JSON array of numbers: refused by its size',
    file: { name: 'numbers-300mb.json', bytes: 300 * MB, unit: '1,', head: '[', tail: '1]' },
    error: sizeRefused('numbers-300mb.json'),
  },
  {
    name: 'a 250 MB JSON array of numbers: streamed, refused at the bad-entry cap',
    file: { name: 'numbers-250mb.json', bytes: 250 * MB, unit: '1,', head: '[', tail: '1]' },
    error: new RegExp(`${p('numbers-250mb.json')}: element 0 is number, not a string`),
  },
  {
    name: 'a 300 MB junk JSON: refused by its size',
    file: { name: 'junk-300mb.json', bytes: 300 * MB, unit: junk(4096).toString('latin1') },
    error: sizeRefused('junk-300mb.json'),
  },
  {
    name: 'a 250 MB JSON of nested brackets: streamed, refused at the nesting cap',
    file: { name: 'nested-250mb.json', bytes: 250 * MB, unit: '[' },
    error: new RegExp(`${p('nested-250mb.json')}: not valid JSON`),
  },
  {
    name: 'a 250 MB file of blank lines: refused at the entry cap',
    file: { name: 'blank-250mb.txt', bytes: 250 * MB, unit: '\n' },
    error: new RegExp(`${p('blank-250mb.txt')}: more than 2,000,000 entries`),
  },
  {
    name: 'stdin: a 600 MB line: refused at the line cap',
    stdin: { bytes: 600 * MB, unit: 'a' },
    error: /stdin:1: line is longer than 65,536 bytes/,
  },
  {
    name: 'stdin: 300 MB of comment lines: refused at the size cap',
    stdin: { bytes: 300 * MB, unit: `#${'x'.repeat(998)}\n` },
    error: /stdin: more than 256 MiB; an id source is at most 256 MiB/,
  },
  {
    name: 'stdin: cut mid-line',
    stdin: { bytes: 0, unit: 'x', head: 'abc1\nabc2\nab' },
    error: /stdin:3: the last line does not end with a line break/,
  },
];

interface ValidCase {
  name: string;
  args: string[];
  stdin?: string;
  instances: number;
  duplicates: number;
}

const VALID: ValidCase[] = [
  {
    name: 'text with BOM, CRLF, comments, blank lines, padding, no final newline',
    args: fromFile('bom-crlf.txt'),
    instances: 3,
    duplicates: 0,
  },
  {
    name: 'CSV with BOM, CRLF, quoted cells and a blank last row',
    args: fromFile('bom-crlf.csv'),
    instances: 2,
    duplicates: 0,
  },
  { name: 'JSON with BOM, padded and repeated ids', args: fromFile('bom.json'), instances: 2, duplicates: 1 },
  { name: 'duplicates only', args: fromFile('duplicates-only.txt'), instances: 1, duplicates: 4 },
  { name: 'an id of exactly 32 characters', args: fromFile('exactly-32.txt'), instances: 1, duplicates: 0 },
  {
    name: 'stdin with BOM and CRLF',
    args: start('--ids-file', '-'),
    stdin: '\ufeffabc1\r\nabc2\r\nabc1\r\n',
    instances: 2,
    duplicates: 1,
  },
];

function describeRun(c: { name: string; args: string[] }, r: BoundedRun): string {
  const cut = (s: string) => (s.length > 1500 ? `${s.slice(0, 1500)}… (${s.length} chars)` : s);
  const args = c.args.length > 12 ? [...c.args.slice(0, 12), `… ${c.args.length} args`] : c.args;
  return `${c.name}: koophone-reset ${args.join(' ')}\nexit ${r.code}${r.timedOut ? ' (timed out)' : ''}\nstdout: ${cut(r.stdout)}\nstderr: ${cut(r.stderr)}`;
}

describe('bad input: refused with exit 2 and a clear line, and nothing is started', () => {
  let temporal: TestTemporal;
  let env: NodeJS.ProcessEnv;
  const outcomes: { refused: number; tried: number } = { refused: 0, tried: 0 };

  before(async () => {
    writeFixtures();
    temporal = await testTemporal();
    env = cliEnv({
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      // No worker polls this queue: a campaign that slipped through would sit there, visible.
      TEMPORAL_TASK_QUEUE: QUEUE,
      REPORT_DIR: file('reports'),
    });
  });

  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (temporal) {
      await terminateAll(temporal.client, onQueue(QUEUE), 'bad-input test over');
      await terminateAll(temporal.client, onQueue(SPACED_QUEUE), 'bad-input test over');
    }
    await closeTestTemporal();
  });

  it('the test queue starts empty', async () => {
    assert.equal((await temporal.client.workflow.count(onQueue(QUEUE))).count, 0);
  });

  async function assertNothingStarted(c: BadCase): Promise<void> {
    const ids = c.args.flatMap((a, i) => (c.args[i - 1] === '--campaign-id' ? [a] : []));
    for (const id of ids) {
      // Describe is strongly consistent, unlike a visibility count.
      await assert.rejects(
        temporal.client.workflow.getHandle(id).describe(),
        (e: unknown) => e instanceof WorkflowNotFoundError || /not found|invalid/i.test(String(e)),
        `${c.name}: campaign ${id} was started`,
      );
    }
    if (c.schedule) {
      await assert.rejects(
        temporal.client.schedule.getHandle(c.schedule).describe(),
        (e: unknown) => e instanceof ScheduleNotFoundError || /not found|invalid/i.test(String(e)),
        `${c.name}: schedule ${c.schedule} was created`,
      );
    }
    if (c.queue)
      assert.equal(
        (await temporal.client.workflow.count(onQueue(c.queue))).count,
        0,
        `${c.name}: a campaign was started on "${c.queue}"`,
      );
  }

  describe(`${BAD.length} malformed inputs`, { concurrency: 6 }, () => {
    for (const c of BAD) {
      it(c.name, async () => {
        const vars: NodeJS.ProcessEnv = { ...env };
        for (const [k, v] of Object.entries(c.env ?? {})) {
          if (v === undefined) delete vars[k];
          else vars[k] = v;
        }
        const r = await runCliBounded(c.args, vars, c.stdin, c.timeoutMs ?? 30_000);
        outcomes.tried += 1;
        const why = describeRun(c, r);
        // Both the message checks and the nothing-started check are reported, not just the first.
        const problems: string[] = [];
        try {
          assert.equal(r.code, 2, `exit code\n${why}`);
          const lines = r.stderr.replace(/\n$/, '').split('\n');
          assert.match(lines[0] ?? '', /^error: /, `stderr starts with "error: "\n${why}`);
          assert.match(lines[0]!.slice('error: '.length), c.error, `the error names the problem\n${why}`);
          assert.ok(!hasStackTrace(r.stderr), `no stack trace\n${why}`);
          assert.doesNotMatch(r.stderr, /node:internal|\bat .+\.js:\d+/, `no stack frames\n${why}`);
          if (c.perProblem) {
            // One line per bad line, bounded: 20 problems and a count of the rest.
            assert.ok(lines.length <= 21, `at most 21 lines, got ${lines.length}\n${why}`);
            const where = esc(c.perProblem);
            const line = new RegExp(`^(error: )?${where}(:\\d+)?: \\S|^… and \\d+ more problems$`);
            for (const l of lines) assert.match(l, line, `every line names ${c.perProblem}\n${why}`);
          } else {
            assert.equal(lines.length, 1, `one line\n${why}`);
          }
        } catch (e) {
          problems.push((e as Error).message);
        }
        try {
          await assertNothingStarted(c);
        } catch (e) {
          problems.push((e as Error).message);
        }
        if (problems.length > 0) assert.fail(problems.join('\n---\n'));
        outcomes.refused += 1;
      });
    }
  });

  describe(`${VALID.length} valid edge cases pass --dry-run`, { concurrency: 6 }, () => {
    for (const c of VALID) {
      it(c.name, async () => {
        const r = await runCliBounded([...c.args, '--dry-run', '--json'], env, c.stdin);
        assert.equal(r.code, 0, describeRun(c, r));
        assert.equal(r.stderr, '', describeRun(c, r));
        const { plan } = JSON.parse(r.stdout) as { plan: { instances: number; duplicatesDropped: number } };
        assert.equal(plan.instances, c.instances, describeRun(c, r));
        assert.equal(plan.duplicatesDropped, c.duplicates, describeRun(c, r));
      });
    }
  });

  describe(
    `${BIG.length} huge or cut inputs: exit 2 within 30 s, under 300 MB of memory`,
    { concurrency: 1 },
    () => {
      for (const c of BIG) {
        it(c.name, async () => {
          const args = start('--ids-file', c.stdin ? '-' : file(c.file!.name));
          if (c.file) writeRepeated(file(c.file.name), c.file);
          try {
            const r = await runCliMeasured(args, env, c.stdin && repeated(c.stdin), 30_000);
            const why = describeRun({ name: c.name, args }, r);
            console.log(
              `${c.name}: exit ${r.code}, peak RSS ${(r.peakRss / 1e6).toFixed(0)} MB, ${r.stderr.split('\n')[0]!.slice(0, 140)}`,
            );
            assert.equal(r.code, 2, `exit code\n${why}`);
            const first = r.stderr.split('\n')[0] ?? '';
            assert.match(first, /^error: /, why);
            assert.match(
              first.slice('error: '.length),
              c.error,
              `the error names the file and the problem\n${why}`,
            );
            assert.ok(!hasStackTrace(r.stderr), `no stack trace\n${why}`);
            assert.ok(r.peakRss > 0, `peak memory was measured\n${why}`);
            assert.ok(
              r.peakRss < MEMORY_CEILING,
              `peak RSS ${r.peakRss} bytes, over ${MEMORY_CEILING}\n${why}`,
            );
            await assertNothingStarted({ name: c.name, args, error: c.error });
          } finally {
            if (c.file) rmSync(file(c.file.name), { force: true });
          }
        });
      }
    },
  );

  it('no campaign was started on the test queue, and one that is started is seen', async () => {
    console.log(
      `bad inputs tried: ${outcomes.tried} (refused correctly: ${outcomes.refused}); valid edge cases: ${VALID.length}`,
    );
    // The control: a real start on the same queue, through the same CLI, must show up in the
    // same query, so an empty query above means nothing was started (not that the query is blind).
    const control = `${PREFIX}-control`;
    const r = await runCliBounded(['start', 'abc1', '--campaign-id', control], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await temporal.client.workflow.getHandle(control).describe()).status.name, 'RUNNING');
    await waitFor(
      async () => (await temporal.client.workflow.count(`WorkflowId = "${control}"`)).count === 1,
      15_000,
    );
    const started = await listExecutions(temporal.client, onQueue(QUEUE));
    assert.deepEqual(
      started.map((w) => w.workflowId),
      [control],
      'only the control campaign exists on the test queue',
    );
    await temporal.client.workflow.getHandle(control).terminate('control over');
  });
});
