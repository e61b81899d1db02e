import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CampaignStatus } from '../../src/campaign/status';
import { campaignResult } from '../../src/temporal/campaign-result';
import { statusQuery } from '../../src/workflows';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';

// A campaign is pinned to the id file it was started from, checked before every batch. A file
// that reads back different stops the campaign (SOURCE_CHANGED); a file that cannot be read at
// all (moved away, its disk gone) has not been shown to change: the campaign is blocked on its
// `source` and resumes by itself once the file reads again, unchanged.
describe('the id file a campaign was started from', () => {
  const env = campaignEnv({ instances: 20_000, jobDurationMs: '200..500' });
  const dir = mkdtempSync(join(tmpdir(), 'kp-ids-file-'));

  async function started(name: string, offset: number) {
    env.sim.reset();
    const ids = env.ids(400, offset);
    const path = join(dir, name);
    writeFileSync(path, ids.join('\n') + '\n');
    const handle = await env.start(
      { rate: 2, concurrency: 2, batchSize: 20, canary: 0 },
      { kind: 'file', path, format: 'text' },
    );
    await waitFor(() => env.sim.stats().calls.batchReset >= 3, 60_000, 50);
    return { ids, path, handle };
  }

  it('gone mid-campaign: blocked on its source, nothing sent; back, unchanged, the campaign completes', async () => {
    const { ids, path, handle } = await started('gone.txt', 0);
    renameSync(path, `${path}.away`);
    let s: CampaignStatus | undefined;
    await waitFor(async () => {
      s = await handle.query(statusQuery);
      return s.state === 'blocked';
    }, 60_000, 250);
    assert.deepEqual([s!.blockingCause?.part, s!.blockingCause?.code], ['source', 'ENOENT']);
    assert.equal(s!.blockingCause?.message, `source: ENOENT reading ${path}, the id file the campaign was started from`);
    assert.match(s!.blockedBy!, /make the id file the campaign was started from readable again/);
    await sleep(2000);
    const calls = env.sim.stats().calls.batchReset;
    await sleep(5000);
    assert.equal(env.sim.stats().calls.batchReset, calls, 'nothing sent while the file cannot be read');
    renameSync(`${path}.away`, path);
    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed', result.reason);
    assert.deepEqual(countBy(ids, (id) => String(env.sim.instance(id)?.resets ?? 0)), { '1': 400 });
  });

  it('replaced by other ids mid-campaign: SOURCE_CHANGED, as before', async () => {
    const { path, handle } = await started('changed.txt', 1000);
    writeFileSync(path, env.ids(400, 5000).join('\n') + '\n');
    const result = await campaignResult(handle);
    assert.equal(result.state, 'aborted');
    assert.match(result.reason ?? '', /SOURCE_CHANGED: source file \S+ changed since the campaign started/);
    assert.deepEqual(countBy(env.ids(400, 5000), (id) => String(env.sim.instance(id)?.resets ?? 0)), { '0': 400 });
  });
});
