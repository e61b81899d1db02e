import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { campaignResult } from '../../src/temporal/campaign-result';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { killHard, spawnWorker } from '../helpers/worker-process';

// A bad journal entry costs one item, not the campaign: journal files garbled between a worker's
// SIGKILL and its restart (cut off, `{}`, empty, a forged mark, one copied from another item) are
// never acted on. Their items are written `failed JOURNAL_UNREADABLE` naming the file, counting a
// possible reset, and never sent again; the rest of the campaign completes. Counted at the
// simulator: every phone it reset has a line with at least as many resets.

describe('garbled journals after a crash', () => {
  const env = campaignEnv({ jobDurationMs: '1500..3000' }, { worker: false });
  const children: ReturnType<typeof spawnWorker>[] = [];
  after(async () => {
    for (const c of children) await killHard(c);
  });
  const worker = () => {
    const w = spawnWorker(env.workerProcessEnv());
    children.push(w);
    return w;
  };

  it('each garbled item is written with its file named, nothing of it sent again; the campaign completes', async () => {
    env.sim.reset();
    const first = worker();
    const ids = env.ids(600, 0);
    const handle = await env.start(
      { concurrency: 6, rate: 6, batchSize: 20, canary: 0, heartbeatTimeoutMs: 5000 },
      { kind: 'inline', ids },
    );
    const dir = join(env.reportDir, handle.workflowId);
    // Items whose call went and whose lines are not written yet: their journals are what a
    // restarted worker reads first.
    const unfinished = () =>
      existsSync(join(dir, 'jobs'))
        ? readdirSync(join(dir, 'jobs'))
            .filter((f) => /^b\d+\.json$/.test(f))
            .map((f) => f.slice(0, -'.json'.length))
            .filter((key) => !existsSync(join(dir, 'parts', `${key}.ndjson`)))
            .sort()
        : [];
    const finished = () =>
      existsSync(join(dir, 'parts')) ? readdirSync(join(dir, 'parts')).filter((f) => /^b\d+\.ndjson$/.test(f)) : [];
    await waitFor(() => unfinished().length >= 5 && finished().length >= 3, 120_000, 20);
    await killHard(first);
    const keys = unfinished().slice(0, 5);
    assert.equal(keys.length, 5);
    const path = (key: string) => join(dir, 'jobs', `${key}.json`);
    const donor = readFileSync(path(finished()[0]!.replace('.ndjson', '')), 'utf8');
    const garbled = [
      readFileSync(path(keys[0]!), 'utf8').slice(0, 30), // cut off mid-way
      '{}',
      '', // empty
      // A forged mark: well-formed, claiming the call was refused, for phones not its item's.
      JSON.stringify({
        taskId: '',
        jobs: [],
        submittedAt: Date.now(),
        uncertain: 0,
        by: 'forged',
        answered: true,
        item: { range: { start: 0, end: 600 }, resets: 0 },
        campaign: handle.workflowId,
        key: keys[3],
      }),
      donor, // another item's journal, copied over this one's
    ];
    keys.forEach((key, i) => writeFileSync(path(key), garbled[i]!));
    const resetsAtKill = new Map(ids.map((id) => [id, env.sim.instance(id)?.resets ?? 0]));
    const second = worker();

    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed', result.reason);
    const lines = await env.report(handle.workflowId);
    assert.equal(lines.length, 600);
    assert.deepEqual(new Set(lines.map((l) => l.instance_id)), new Set(ids));
    // Every phone the simulator reset has a line counting at least as many resets.
    for (const l of lines) {
      const applied = env.sim.instance(l.instance_id)?.resets ?? 0;
      assert.ok(l.resets >= applied, `${l.instance_id}: applied ${applied}, report ${l.resets}`);
    }
    // Each garbled item: its phones failed JOURNAL_UNREADABLE naming its file, a possible reset
    // counted, and not one call more after the restart.
    for (const key of keys) {
      const start = Number(key.slice(1)) * 20;
      const phones = ids.slice(start, start + 20);
      for (const id of phones) {
        const line = lines.find((l) => l.instance_id === id)!;
        assert.equal(line.outcome, 'failed', `${id} (${key})`);
        assert.equal(line.error_code, 'JOURNAL_UNREADABLE');
        assert.ok(line.error_msg.startsWith(`JOURNAL_UNREADABLE ${path(key)}: `), line.error_msg);
        assert.match(line.error_msg, /1 possible reset counted: its journal could not be read/);
        assert.equal(line.resets, 1);
        assert.equal(env.sim.instance(id)?.resets ?? 0, resetsAtKill.get(id), `${id}: not sent again`);
      }
    }
    const others = lines.filter((l) => !keys.some((k) => l.error_msg.includes(`/jobs/${k}.json`)));
    assert.deepEqual(countBy(others, (l) => l.outcome), { succeeded: 500 });
    assert.deepEqual(
      result.anomalies?.find((a) => a.kind === 'journal_unreadable')?.count,
      5,
      'status shows the unreadable journals',
    );
    // The restarted worker says which file and why, and no error reaches its log as `{}`.
    const log = second.output();
    for (const key of keys) assert.ok(log.includes(path(key)), `the log names ${path(key)}`);
    assert.ok(!log.includes('"error":{}'), 'errors are logged with their message');
  });
});
