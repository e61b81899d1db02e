import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { INVALID_CAMPAIGN_INPUT } from '../../src/campaign/campaign-input';
import { campaignOptionsSchema } from '../../src/campaign/options';
import { requireTemporalCli } from '../../src/temporal/locate-cli';
import { campaignResult } from '../../src/temporal/campaign-result';
import { operatorCli } from '../cli/run-cli';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { killHard, spawnWorker } from '../helpers/worker-process';
import { CAMPAIGN_WORKFLOW } from '../../src/campaign/campaign-workflow';

const execFileAsync = promisify(execFile);

/** `bytes` of `unit` repeated after `head`: a 300 MB file in about a second. */
function writeRepeated(path: string, bytes: number, unit: string, head = '', tail = ''): void {
  const block = Buffer.from(unit.repeat(Math.ceil((1 << 20) / unit.length)));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    for (let left = bytes; left > 0; left -= block.length)
      writeSync(fd, left >= block.length ? block : block.subarray(0, left));
    writeSync(fd, tail);
  } finally {
    closeSync(fd);
  }
}

// What reaches a worker is not always what the CLI checked: a pinned file replaced before
// prepare, a file nobody pinned, a workflow started by hand with any id and input. None of it
// may take the worker process down (issue 25, items 4 and 5) or write outside REPORT_DIR: each
// ends its own campaign with a named cause, and the campaigns beside it go on.
describe('hostile inputs reach the worker: it stays up, each bad campaign ends with its cause', () => {
  const env = campaignEnv({ instances: 5_000, jobDurationMs: '200..500' }, { worker: false });
  const cli = operatorCli(env, () => ({ KOOPHONE_ENDPOINT: env.sim.url, KOOPHONE_TOKEN: 'sim-token' }));
  let worker: ReturnType<typeof spawnWorker> | undefined;
  let pid: number | undefined;
  const big: string[] = [];
  after(async () => {
    if (worker) await killHard(worker);
    for (const f of big) rmSync(f, { force: true });
  });

  const resets = (ids: string[]) => countBy(ids, (id) => String(env.sim.instance(id)?.resets ?? 0));
  const workerAlive = () => {
    assert.ok(worker && pid !== undefined, 'the worker was started');
    assert.equal(worker.pid, pid);
    assert.equal(worker.exitCode, null, `the worker exited:\n${worker.output().slice(-3000)}`);
    assert.equal(worker.signalCode, null, `the worker was killed:\n${worker.output().slice(-3000)}`);
    process.kill(pid, 0); // throws when no such process
  };

  it('a pinned id file replaced by a 300 MB JSON array before prepare: SOURCE_CHANGED, the worker stays up, a bystander completes', async () => {
    const tag = randomUUID().slice(0, 6);
    const bystander = env.ids(200, 0);
    const poisoned = env.ids(100, 1000);
    const bystanderFile = env.writeIdsFile(`bystander-${tag}.txt`, bystander.join('\n') + '\n');
    const poisonedFile = env.writeIdsFile(`poisoned-${tag}.json`, JSON.stringify(poisoned));
    big.push(poisonedFile);
    // Both are planned and pinned while no worker runs; then the file is swapped.
    const slow = ['--canary', '0', '--batch-size', '10', '--rate', '5', '--concurrency', '2'];
    for (const [file, id] of [
      [bystanderFile, `bystander-${tag}`],
      [poisonedFile, `poisoned-${tag}`],
    ] as const) {
      const started = await cli(['start', '--ids-file', file, '--campaign-id', id, ...slow]);
      assert.equal(started.code, 0, started.stderr);
    }
    writeRepeated(poisonedFile, 300_000_000, '1,', '[', '1]');

    worker = spawnWorker(env.workerProcessEnv());
    pid = worker.pid;
    const result = await Promise.race([
      campaignResult(env.temporal.client.workflow.getHandle(`poisoned-${tag}`)),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no result within a minute')), 60_000),
      ),
    ]);
    assert.equal(result.state, 'failed');
    assert.match(
      result.reason ?? '',
      /^SOURCE_CHANGED: the id file .*poisoned-\w+\.json now holds 286\.1 MiB where the plan read [\d,]+ bytes, but the plan approved 100 phones, sha256 \w+…; nothing was reset/,
    );
    assert.equal(result.batchResetCalls, 0);
    assert.deepEqual(resets(poisoned), { '0': 100 });

    const done = await campaignResult(env.temporal.client.workflow.getHandle(`bystander-${tag}`));
    assert.equal(done.state, 'completed', done.reason);
    assert.deepEqual(resets(bystander), { '1': 200 }, 'every bystander phone reset exactly once');
    const lines = await env.report(`bystander-${tag}`);
    assert.equal(lines.length, 200);
    assert.ok(lines.every((l) => l.outcome === 'succeeded' && l.resets === 1));
    workerAlive();
  });

  it('an unpinned 250 MB JSON array of numbers (a direct start): read as a stream, refused InvalidSource; the worker stays up', async () => {
    const path = env.writeIdsFile(`numbers-${randomUUID().slice(0, 6)}.json`, '');
    big.push(path);
    writeRepeated(path, 250_000_000, '1,', '[', '1]');
    const { result } = await env.run({ canary: 0 }, { kind: 'file', path, format: 'auto' });
    assert.equal(result.state, 'failed');
    assert.match(
      result.reason ?? '',
      /^could not read the instance source: .*numbers-\w+\.json: element 0 is number, not a string/,
    );
    assert.equal(result.batchResetCalls, 0);
    rmSync(path, { force: true });
    workerAlive();
  });

  describe('temporal workflow start with what the CLI would refuse: fails at once with its reason', () => {
    const options = JSON.stringify(campaignOptionsSchema.parse({ canary: 0 }));
    const start = async (workflowId: string, input: string) => {
      await execFileAsync(
        requireTemporalCli().path,
        [
          'workflow',
          'start',
          '--type',
          CAMPAIGN_WORKFLOW,
          '--task-queue',
          env.taskQueue,
          '--workflow-id',
          workflowId,
          '--input',
          input,
          '--address',
          env.temporal.address,
          '--namespace',
          env.temporal.namespace,
        ],
        { timeout: 60_000 },
      );
      return env.temporal.client.workflow.getHandle(workflowId);
    };
    /** The failure, and that it came from the first workflow task (no task-failure loop). */
    const failure = async (handle: ReturnType<typeof env.temporal.client.workflow.getHandle>) => {
      const err = await handle.result().then(
        () => assert.fail('the execution completed'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof WorkflowFailedError, String(err));
      const cause = err.cause;
      assert.ok(cause instanceof ApplicationFailure, String(cause));
      assert.equal(cause.type, INVALID_CAMPAIGN_INPUT);
      assert.equal(cause.nonRetryable, true);
      const events = (await handle.fetchHistory()).events as temporal.api.history.v1.IHistoryEvent[];
      assert.equal(
        events.filter((e) => e.workflowTaskFailedEventAttributes).length,
        0,
        'no workflow task failed',
      );
      assert.equal(events.filter((e) => e.activityTaskScheduledEventAttributes).length, 0, 'no activity ran');
      return cause.message;
    };

    it("workflow id '../adv-…/pwn': refused naming the id; nothing written outside REPORT_DIR", async () => {
      const escape = `adv-${randomUUID().slice(0, 8)}`;
      const parent = dirname(env.reportDir);
      const before = new Set(readdirSync(parent));
      const ids = env.ids(3, 2000);
      const handle = await start(
        `../${escape}/pwn`,
        JSON.stringify({ options: JSON.parse(options), source: { kind: 'inline', ids } }),
      );
      const message = await failure(handle);
      assert.match(
        message,
        new RegExp(
          `^${INVALID_CAMPAIGN_INPUT}: workflow id: campaign id must be 1-128 characters .* \\(got "\\.\\./${escape}/pwn"\\)`,
        ),
      );
      assert.ok(!existsSync(join(parent, escape)), `${join(parent, escape)} was created`);
      const created = readdirSync(parent).filter((n) => !before.has(n) && n.startsWith('adv-'));
      assert.deepEqual(created, [], `new folders beside REPORT_DIR: ${created.join(', ')}`);
      assert.deepEqual(resets(ids), { '0': 3 });
      workerAlive();
    });

    it('an input missing its options: refused naming them', async () => {
      const id = `no-options-${randomUUID().slice(0, 6)}`;
      const handle = await start(id, JSON.stringify({ source: { kind: 'inline', ids: env.ids(3, 2100) } }));
      assert.match(
        await failure(handle),
        new RegExp(`^${INVALID_CAMPAIGN_INPUT}: options: missing \\(every campaign option must be given\\)`),
      );
      const { maxErrors: _drop, ...partial } = JSON.parse(options) as Record<string, unknown>;
      const id2 = `no-max-errors-${randomUUID().slice(0, 6)}`;
      const handle2 = await start(
        id2,
        JSON.stringify({ options: partial, source: { kind: 'inline', ids: env.ids(3, 2100) } }),
      );
      assert.match(
        await failure(handle2),
        new RegExp(`^${INVALID_CAMPAIGN_INPUT}: options: missing maxErrors$`),
      );
      assert.ok(!existsSync(join(env.reportDir, id)), 'nothing stored for a refused campaign');
      workerAlive();
    });

    it('a valid input through the same door runs (the refusals above are about the input)', async () => {
      const id = `by-hand-${randomUUID().slice(0, 6)}`;
      const ids = env.ids(5, 2200);
      const handle = await start(
        id,
        JSON.stringify({ options: JSON.parse(options), source: { kind: 'inline', ids } }),
      );
      const result = await campaignResult(handle);
      assert.equal(result.state, 'completed', result.reason);
      assert.deepEqual(resets(ids), { '1': 5 });
      await waitFor(async () => (await env.report(id)).length === 5, 10_000);
      workerAlive();
    });
  });
});
