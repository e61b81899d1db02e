import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  MAX_LINE_BYTES,
  MAX_SOURCE_ENTRIES,
  MAX_SOURCE_PROBLEMS,
  readIdFile,
  readIdStream,
  readInlineIds,
  SourceError,
} from '../../src/sources';

const dir = mkdtempSync(join(tmpdir(), 'ids-'));
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('reading id sources', () => {
  it('reads text with BOM, CRLF, blank lines and comments, dropping duplicates', async () => {
    const r = await readIdFile(file('a.txt', '\uFEFFa44uhlf7\r\n\r\n# comment\r\nefjy72gs\r\na44uhlf7\r\n'));
    assert.deepEqual(r.ids, ['a44uhlf7', 'efjy72gs']);
    assert.equal(r.duplicates, 1);
    assert.equal(r.entries, 3);
  });

  it('reads CSV with an instance_id column and JSON arrays', async () => {
    const csv = await readIdFile(file('b.csv', 'name,instance_id\nphone1,"a1"\nphone2,b2\n'));
    assert.deepEqual(csv.ids, ['a1', 'b2']);
    const json = await readIdFile(file('c.json', '["x1", "y2", "x1"]'));
    assert.deepEqual(json.ids, ['x1', 'y2']);
    assert.equal(json.duplicates, 1);
  });

  it('matches the id column case-, space-, dash- and underscore-insensitively, or as --id-column names it', async () => {
    for (const header of ['Instance ID', 'instance-id', 'instanceId', 'INSTANCE_ID', ' instance id '])
      assert.deepEqual(
        (await readIdFile(file('h.csv', `Name,${header}\nphone1,a1\nphone2,b2\n`))).ids,
        ['a1', 'b2'],
        header,
      );
    // Without the .csv extension too: a header naming the column makes it CSV.
    assert.deepEqual((await readIdFile(file('h.txt', 'Name,Instance ID\nphone1,a1\n'))).ids, ['a1']);
    const named = file('named.csv', 'Phone Name,Cloud Phone ID\nx,c1\ny,c2\n');
    assert.deepEqual((await readIdFile(named, 'auto', 'cloud_phone_id')).ids, ['c1', 'c2']);
    await assert.rejects(readIdFile(named), (e: unknown) => {
      assert.match(
        (e as Error).message,
        /:1: CSV header has no instance_id column \(found "Phone Name", "Cloud Phone ID"\); name the id column with --id-column/,
      );
      return true;
    });
    await assert.rejects(
      readIdFile(named, 'auto', 'serial'),
      /CSV header has no "serial" column \(found "Phone Name"/,
    );
    await assert.rejects(
      readIdFile(file('two.csv', 'instance_id,Instance ID\na,b\n')),
      /2 columns named like "instance_id" \("instance_id", "Instance ID"\)/,
    );
    await assert.rejects(
      readIdFile(file('plain.txt', 'a1\nb2\n'), 'auto', 'id'),
      /names a CSV column, but this is a text id list/,
    );
  });

  it('names the file and line of every bad id', async () => {
    const long = 'a'.repeat(33);
    const p = file('bad.txt', `ok1\n${long}\nok2\nbad id\n`);
    await assert.rejects(readIdFile(p), (e: unknown) => {
      assert.ok(e instanceof SourceError);
      assert.match(e.message, new RegExp(`${p}:2: instance id is 33 characters`));
      assert.match(e.message, new RegExp(`${p}:4: instance id contains characters`));
      return true;
    });
  });

  it('refuses binary junk, a 10 MB single line, an empty file, a CSV without instance_id, non-array JSON', async () => {
    await assert.rejects(
      readIdFile(file('bin.txt', Buffer.from([0x61, 0x00, 0x01, 0x02, 0x0a]))),
      /:1: binary or control/,
    );
    await assert.rejects(
      readIdFile(file('huge.txt', 'a'.repeat(10 * 1024 * 1024))),
      /:1: line is longer than 65,536 bytes; is this an id file\?/,
    );
    await assert.rejects(readIdFile(file('empty.txt', '')), /file is empty/);
    await assert.rejects(readIdFile(file('d.csv', 'name,id\nx,y\n')), /no instance_id column/);
    await assert.rejects(readIdFile(file('e.json', '{"a":1}')), /JSON must be an array/);
    await assert.rejects(readIdFile(join(dir, 'missing.txt')), /cannot read file \(ENOENT\)/);
  });

  it('validates inline ids by position', () => {
    assert.throws(() => readInlineIds(['ok', '']), /argument:2: empty instance id/);
    assert.deepEqual(readInlineIds(['a', 'b', 'a']).ids, ['a', 'b']);
  });

  it('carries the size and sha256 of the bytes it read', async () => {
    const text = 'abc1\nabc2\n';
    const r = await readIdFile(file('raw.txt', text));
    assert.deepEqual(r.raw, { size: 10, sha256: createHash('sha256').update(text).digest('hex') });
  });

  it('from a pipe, a last line without a line break is refused (a cut writer); from a file it is an id', async () => {
    const pipe = (text: string) => Readable.from([Buffer.from(text)]);
    await assert.rejects(
      readIdStream(pipe('abc1\nabc2\nab'), { where: 'stdin', requireFinalNewline: true }),
      /stdin:3: the last line does not end with a line break: was the input cut short\?/,
    );
    await assert.rejects(
      readIdStream(pipe('instance_id\nabc1\nab'), { where: 'stdin', requireFinalNewline: true }),
      /stdin:3: the last line does not end with a line break/,
    );
    const whole = await readIdStream(pipe('abc1\nabc2\n'), { where: 'stdin', requireFinalNewline: true });
    assert.deepEqual(whole.ids, ['abc1', 'abc2']);
    // JSON proves its own end.
    const json = await readIdStream(pipe('["abc1"]'), { where: 'stdin', requireFinalNewline: true });
    assert.deepEqual(json.ids, ['abc1']);
    assert.deepEqual((await readIdFile(file('no-final-newline.txt', 'abc1\nab'))).ids, ['abc1', 'ab']);
  });

  it('refuses a line as soon as it passes the cap, without reading the rest', async () => {
    let served = 0;
    // An endless line: only a reader that stops at the cap ever returns.
    const endless = Readable.from(
      (function* () {
        for (;;) {
          served += 65_536;
          yield Buffer.alloc(65_536, 0x61);
        }
      })(),
    );
    await assert.rejects(
      readIdStream(endless, { where: 'stdin' }),
      /stdin:1: line is longer than 65,536 bytes/,
    );
    assert.ok(served <= 4 * MAX_LINE_BYTES, `read ${served} bytes`);
    // A CSV row likewise.
    await assert.rejects(
      readIdFile(file('long-row.csv', `instance_id,note\nabc1,${'x'.repeat(MAX_LINE_BYTES + 10)}\n`)),
      /long-row\.csv:2: row is longer than 65,536 characters/,
    );
  });

  it('stops at the entry and problem caps, naming them', async () => {
    await assert.rejects(
      readIdFile(file('many-lines.txt', '\n'.repeat(MAX_SOURCE_ENTRIES + 1))),
      /more than 2,000,000 entries \(lines, rows or elements\)/,
    );
    await assert.rejects(
      readIdFile(file('numbers.json', `[${'1,'.repeat(MAX_SOURCE_PROBLEMS + 5)}1]`)),
      (e) => {
        assert.ok(e instanceof SourceError);
        assert.equal(e.problems.length, 20);
        assert.match(e.problems[0]!, /numbers\.json: element 0 is number, not a string/);
        assert.match(e.problems[19]!, /more than 10,000 bad entries; is this an id file\?/);
        return true;
      },
    );
  });

  it('reads JSON as a stream and refuses what is no flat array of strings', async () => {
    await assert.rejects(
      readIdFile(file('nested.json', '["abc1", ["abc2"]]')),
      /element 1 is array, not a string/,
    );
    await assert.rejects(readIdFile(file('deep.json', '['.repeat(100_000))), /deep\.json: not valid JSON/);
    await assert.rejects(readIdFile(file('cut.json', '["abc1", "ab')), /cut\.json: not valid JSON/);
    await assert.rejects(readIdFile(file('two.json', '["abc1"] ["abc2"]')), /two\.json: not valid JSON/);
    await assert.rejects(
      readIdFile(file('string.json', '"abc1"')),
      /JSON must be an array of instance id strings/,
    );
    await assert.rejects(readIdFile(file('open.json', '["abc1"')), /open\.json: not valid JSON/);
  });

  it('reads back ids the CSV report guarded against spreadsheet formulas', async () => {
    const r = await readIdFile(file('report.csv', "instance_id,outcome\n'-abc1,failed\nabc2,succeeded\n"));
    assert.deepEqual(r.ids, ['-abc1', 'abc2']);
  });
});
