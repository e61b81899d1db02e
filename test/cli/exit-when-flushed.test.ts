import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { projectRoot } from '../../src/project-root';

const run = promisify(execFile);

/**
 * Writes 200 000 bytes to stdout, exits the given way, and counts what a reader gets that only
 * starts reading after 1 s, like a slow `| gzip`: the pipe (64 KiB) is full, the rest is queued.
 */
async function bytesThroughSlowPipe(exit: 'exitWhenFlushed(0)' | 'process.exit(0)'): Promise<number> {
  const module = join(projectRoot, 'src', 'cli', 'exit-when-flushed.ts');
  const script =
    `const { exitWhenFlushed } = require(${JSON.stringify(module)}); ` +
    `process.stdout.write('x'.repeat(200000)); ${exit};`;
  const quoted = `'${script.replace(/'/g, `'\\''`)}'`;
  const { stdout } = await run(
    'bash',
    ['-c', `set -o pipefail; "${process.execPath}" --import tsx -e ${quoted} | (sleep 1; wc -c)`],
    { cwd: projectRoot },
  );
  return Number(stdout.trim());
}

describe('CLI exit', { timeout: 30_000 }, () => {
  it('hands every byte to a slow pipe before exiting', async () => {
    assert.equal(await bytesThroughSlowPipe('exitWhenFlushed(0)'), 200_000);
  });

  it('the check can fail: exiting at once loses what the pipe had not taken', async () => {
    const cut = await bytesThroughSlowPipe('process.exit(0)');
    assert.ok(cut < 200_000, `process.exit delivered ${cut} bytes`);
  });
});
