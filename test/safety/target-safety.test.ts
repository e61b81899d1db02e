import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { CampaignStatus } from '../../src/campaign/status';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { operatorCli } from '../cli/run-cli';
import { standaloneDevServer } from '../cli/standalone-server';
import { campaignResult } from '../../src/temporal/campaign-result';

// Never reset a phone nobody asked for: the three ways a new user could do it (issue 14), each
// reproduced through the built CLI, a real dev server, the simulator and a real worker, and
// judged by the simulator's own per-phone reset counts.
describe('target safety: campaign identity, pinned targets, phone leases', () => {
  const stopServer = standaloneDevServer();
  const env = campaignEnv({ instances: 20_000, jobDurationMs: '200..500' });
  stopServer();
  const cli = operatorCli(
    env,
    () => ({ KOOPHONE_ENDPOINT: env.sim.url, KOOPHONE_TOKEN: 'sim-token' }),
    120_000,
  );
  const resets = (ids: string[]) => countBy(ids, (id) => String(env.sim.instance(id)?.resets ?? 0));
  const fast = ['--canary', '0', '--rate', '20', '--concurrency', '10'];
  const deleteHistory = async (id: string) => {
    await env.temporal.client.workflowService.deleteWorkflowExecution({
      namespace: env.temporal.namespace,
      workflowExecution: { workflowId: id },
    });
    await waitFor(
      () =>
        env.temporal.client.workflow
          .getHandle(id)
          .describe()
          .then(
            () => false,
            (e: Error) => e.name === 'WorkflowNotFoundError',
          ),
      120_000, // deletion is asynchronous and slow on a busy server
    );
  };
  const prepared = (id: string) =>
    waitFor(async () => {
      const s = (await env.temporal.client.workflow.getHandle(id).query('status')) as CampaignStatus;
      return s.total > 0;
    }, 30_000);

  it('a reused campaign id is refused while its old store exists, and --archive-old resets exactly the new phones', async () => {
    const id = `weekly-${randomUUID().slice(0, 6)}`;
    const a = env.ids(100, 0);
    const b = env.ids(100, 1000);
    const fileA = env.writeIdsFile(`${id}-a.txt`, a.join('\n') + '\n');
    const fileB = env.writeIdsFile(`${id}-b.txt`, b.join('\n') + '\n');
    const first = await cli(['start', '--ids-file', fileA, '--campaign-id', id, '--wait', ...fast]);
    assert.equal(first.code, 0, first.stderr);
    await deleteHistory(id);

    const reused = await cli(['start', '--ids-file', fileB, '--campaign-id', id, '--wait', ...fast]);
    assert.equal(reused.code, 2, reused.stdout + reused.stderr);
    assert.match(
      reused.stderr,
      new RegExp(`campaign id ${id} already has stored data from an earlier campaign \\(completed 20\\d\\d-`),
    );
    assert.match(reused.stderr, /--archive-old/);
    await assert.rejects(env.temporal.client.workflow.getHandle(id).describe(), {
      name: 'WorkflowNotFoundError',
    });
    assert.deepEqual(resets(b), { '0': 100 });

    const archived = await cli([
      'start',
      '--ids-file',
      fileB,
      '--campaign-id',
      id,
      '--wait',
      '--archive-old',
      ...fast,
    ]);
    assert.equal(archived.code, 0, archived.stderr);
    assert.deepEqual(resets(b), { '1': 100 }, 'every phone of B reset exactly once');
    assert.deepEqual(resets(a), { '1': 100 }, 'no phone of A reset again');
    const lines = await env.report(id);
    assert.deepEqual(lines.map((l) => l.instance_id).sort(), [...b].sort());
    assert.ok(lines.every((l) => l.outcome === 'succeeded' && l.resets === 1));
  });

  it('a direct start that reuses a stored id (no CLI) fails in prepare and resets nothing', async () => {
    const id = `direct-${randomUUID().slice(0, 6)}`;
    const a = env.ids(50, 2000);
    const b = env.ids(50, 2100);
    await env.run({ campaignId: id, canary: 0 }, { kind: 'inline', ids: a });
    await deleteHistory(id);
    const { result } = await env.run({ campaignId: id, canary: 0 }, { kind: 'inline', ids: b });
    assert.equal(result.state, 'failed');
    assert.match(result.reason ?? '', /already has stored data from an earlier campaign/);
    assert.equal(result.batchResetCalls, 0);
    assert.deepEqual(resets(b), { '0': 50 });
    assert.deepEqual(resets(a), { '1': 50 });
  });

  it('an id file changed between plan and prepare fails the campaign with SOURCE_CHANGED and resets nothing', async () => {
    await env.stopWorker();
    try {
      const id = `changed-${randomUUID().slice(0, 6)}`;
      const planned = env.ids(100, 3000);
      const other = env.ids(100, 3200);
      const file = env.writeIdsFile(`${id}.txt`, planned.join('\n') + '\n');
      const start = await cli(['start', '--ids-file', file, '--campaign-id', id, ...fast]);
      assert.equal(start.code, 0, start.stderr);
      writeFileSync(file, other.join('\n') + '\n');
      await env.startWorker();
      const result = await campaignResult(env.temporal.client.workflow.getHandle(id));
      assert.equal(result.state, 'failed');
      // Its bytes are compared with the plan's before anything is parsed.
      assert.match(
        result.reason ?? '',
        new RegExp(
          `^SOURCE_CHANGED: the id file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not the one the plan read ` +
            '\\(its sha256 is now \\w+…, was \\w+…\\), but the plan approved 100 phones, sha256 \\w+…; nothing was reset',
        ),
      );
      assert.deepEqual(resets(planned), { '0': 100 });
      assert.deepEqual(resets(other), { '0': 100 });
      const status = await cli(['status', id, '--json']);
      assert.equal((JSON.parse(status.stdout) as CampaignStatus).state, 'failed');
    } finally {
      if (!env.worker) await env.startWorker();
    }
  });

  it('overlapping campaigns: refused at start naming the holder; --skip-overlap resets every shared phone once in total', async () => {
    const x = `hold-${randomUUID().slice(0, 6)}`;
    const y = `overlap-${randomUUID().slice(0, 6)}`;
    const xs = env.ids(1500, 5000);
    const ys = env.ids(1500, 5500); // 1 000 shared: 5500..6499
    const fileX = env.writeIdsFile(`${x}.txt`, xs.join('\n') + '\n');
    const fileY = env.writeIdsFile(`${y}.txt`, ys.join('\n') + '\n');
    // X goes slowly, front to back: its shared phones (the last 1 000) are all still held.
    const startX = await cli([
      'start',
      '--ids-file',
      fileX,
      '--campaign-id',
      x,
      '--canary',
      '0',
      '--rate',
      '1',
      '--concurrency',
      '1',
    ]);
    assert.equal(startX.code, 0, startX.stderr);
    await prepared(x);

    const refused = await cli(['start', '--ids-file', fileY, '--campaign-id', y, ...fast]);
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(`1,000 of these 1,500 phones are held by running campaigns: 1,000 by ${x}`),
    );
    assert.match(refused.stderr, /--skip-overlap/);
    await assert.rejects(env.temporal.client.workflow.getHandle(y).describe(), {
      name: 'WorkflowNotFoundError',
    });

    const skipping = await cli([
      'start',
      '--ids-file',
      fileY,
      '--campaign-id',
      y,
      '--skip-overlap',
      '--wait',
      ...fast,
    ]);
    assert.equal(skipping.code, 0, skipping.stderr);
    const yLines = await env.report(y);
    assert.equal(yLines.length, 1500);
    const skipped = yLines.filter((l) => l.outcome === 'skipped');
    assert.equal(skipped.length, 1000);
    assert.ok(
      skipped.every(
        (l) => l.error_code === 'LEASED_BY' && l.error_msg.startsWith(`LEASED_BY ${x}`) && l.resets === 0,
      ),
    );
    await env.temporal.client.workflow
      .getHandle(x)
      .executeUpdate('resume')
      .catch(() => undefined);
    await campaignResult(env.temporal.client.workflow.getHandle(x));
    assert.deepEqual(
      resets([...new Set([...xs, ...ys])]),
      { '1': 2000 },
      'every phone of both reset exactly once in total',
    );
  });

  it('two overlapping campaigns started at the same moment: one holds the phones, the other fails PHONES_LEASED before any call', async () => {
    const ids = env.ids(400, 8000);
    const [h1, h2] = await Promise.all([
      env.start({ canary: 0, rate: 5, concurrency: 2 }, { kind: 'inline', ids: ids.slice(0, 300) }),
      env.start({ canary: 0, rate: 5, concurrency: 2 }, { kind: 'inline', ids: ids.slice(100) }),
    ]);
    const results = await Promise.all([campaignResult(h1), campaignResult(h2)]);
    const failed = results.filter((r) => r.state === 'failed');
    assert.equal(failed.length, 1, JSON.stringify(results.map((r) => [r.state, r.reason])));
    assert.match(
      failed[0]!.reason ?? '',
      /^PHONES_LEASED: 200 of these 300 phones are held by running campaigns/,
    );
    assert.equal(failed[0]!.batchResetCalls, 0);
    const winner = results.find((r) => r.state === 'completed')!;
    assert.equal(winner.counts.succeeded, 300);
    assert.equal(env.sim.stats().resets.max >= 1, true);
    assert.deepEqual(resets(ids.slice(100, 300)), { '1': 200 });
  });

  it("a terminated campaign's leases are released: a new campaign over its phones starts", async () => {
    const ids = env.ids(300, 9000);
    const file = env.writeIdsFile(`term-${randomUUID().slice(0, 6)}.txt`, ids.join('\n') + '\n');
    const held = await env.start(
      { canary: 0, rate: 0.5, concurrency: 1 },
      { kind: 'file', path: file, format: 'auto' },
    );
    await prepared(held.workflowId);
    const next = `after-term-${randomUUID().slice(0, 6)}`;
    const refused = await cli(['start', '--ids-file', file, '--campaign-id', next, ...fast]);
    assert.equal(refused.code, 2, 'held while it runs');
    await held.terminate('operator terminated it from the Temporal UI');
    const started = await cli(['start', '--ids-file', file, '--campaign-id', next, '--wait', ...fast]);
    assert.equal(started.code, 0, started.stderr);
    const lines = await env.report(next);
    assert.equal(lines.filter((l) => l.outcome === 'succeeded').length, 300);
  });

  it('a fleet-wide start asks first: without a terminal it needs --yes, and nothing starts without it', async () => {
    const id = `fleet-${randomUUID().slice(0, 6)}`;
    const refused = await cli(['start', '--all', '--campaign-id', id, ...fast]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /20,000 phones of the fleet needs confirmation and there is no terminal to ask on: pass --yes/,
    );
    await assert.rejects(env.temporal.client.workflow.getHandle(id).describe(), {
      name: 'WorkflowNotFoundError',
    });
    const dry = await cli(['start', '--all', '--campaign-id', id, '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal((JSON.parse(dry.stdout) as { plan: { instances: number } }).plan.instances, 20_000);
  });
});
