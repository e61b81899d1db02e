import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readIdFile, readInlineIds, SourceError } from '../../src/sources';

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
      /:1: line is 10485760 characters/,
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
});
