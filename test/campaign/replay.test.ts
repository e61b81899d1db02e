import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/campaign-env';
import { HISTORY_DIR } from '../helpers/histories';

describe('saved workflow histories replay against the current workflow code', () => {
  const files = readdirSync(HISTORY_DIR).filter((f) => f.endsWith('.json'));

  it('has recorded histories to replay', () => {
    assert.ok(files.length >= 2, `expected recorded histories in ${HISTORY_DIR}`);
  });

  for (const file of files) {
    it(`replays ${file} without non-determinism`, async () => {
      // The JSON that `temporal workflow show --output json` writes; the SDK parses it itself.
      const history: unknown = JSON.parse(readFileSync(join(HISTORY_DIR, file), 'utf8'));
      await Worker.runReplayHistory(
        { workflowBundle: await workflowBundle() },
        history,
        file.replace(/\.json$/, ''),
      );
    });
  }
});
