import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { freePort } from '../../src/temporal/free-port';
import { testTemporal, type TestTemporal } from '../helpers/temporal';
import { cliEnv, hasStackTrace, runCli, type CliRun } from './run-cli';
import { standaloneDevServer } from './standalone-server';

// Operator mistakes and broken infrastructure: each gets one line on stderr, the documented exit
// code, and no stack trace — and nothing is started.
describe('koophone-reset errors and exit codes', () => {
  const stopServer = standaloneDevServer();
  let temporal: TestTemporal;
  let env: NodeJS.ProcessEnv;
  let dir: string;

  before(async () => {
    temporal = await testTemporal();
    dir = mkdtempSync(join(tmpdir(), 'koophone-cli-errors-'));
    env = cliEnv({
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      // No worker polls this queue: whatever starts here stays put until the test ends it.
      TEMPORAL_TASK_QUEUE: `cli-errors-${randomUUID()}`,
      REPORT_DIR: join(dir, 'reports'),
    });
  });
  stopServer();

  function assertOneLineError(run: CliRun, code: number, pattern: RegExp): void {
    assert.equal(run.code, code, `exit code\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
    assert.match(run.stderr, pattern);
    assert.ok(!hasStackTrace(run.stderr), `no stack trace expected:\n${run.stderr}`);
    assert.equal(run.stderr.trim().split('\n').length, 1, `one line expected:\n${run.stderr}`);
  }

  const usageCases: [string, string[], RegExp][] = [
    ['unknown flag', ['start', 'a1', '--frobnicate'], /unknown option '--frobnicate'/],
    ['unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['non-numeric --rate', ['start', 'a1', '--rate', 'fast'], /--rate: expected a number, got "fast"/],
    ['zero --rate', ['start', 'a1', '--rate', '0'], /--rate/],
    [
      '--max-errors over 100%',
      ['start', 'a1', '--max-errors', '150%'],
      /--max-errors: 150% is more than 100%/,
    ],
    ['--max-errors garbage', ['start', 'a1', '--max-errors', 'lots'], /--max-errors: "lots" must be a count/],
    ['bad --retry-delay', ['start', 'a1', '--retry-delay', '5 weeks'], /--retry-delay: invalid duration/],
    ['--batch-size above 100', ['start', 'a1', '--batch-size', '101'], /--batch-size/],
    [
      'bad --pool-tag',
      ['start', '--all', '--pool-tag', 'TOASTER'],
      /Allowed choices are CLOUD_APP, CLOUD_PHONE/,
    ],
    ['no instances', ['start'], /no instances given/],
    ['ids and --all together', ['start', 'a1', '--all'], /not more than one/],
    ['bad id argument', ['start', 'a1', 'not an id!'], /argument:2: instance id contains characters/],
    [
      'bad cron',
      ['schedule', 'create', 'n1', '--cron', '61 3 * * *', '--all'],
      /--cron "61 3 \* \* \*": minute 61 is outside 0-59/,
    ],
    [
      'cron with 4 fields',
      ['schedule', 'create', 'n1', '--cron', '0 3 * *', '--all'],
      /has 4 fields; expected 5/,
    ],
    [
      'bad timezone',
      ['schedule', 'create', 'n1', '--cron', '0 3 * * SUN', '--timezone', 'Mars/Olympus', '--all'],
      /unknown time zone "Mars\/Olympus"/,
    ],
    ['report in an unknown format', ['report', 'x', '--format', 'xml'], /Allowed choices are csv, ndjson/],
  ];
  // Independent subprocesses: run side by side to keep the file fast.
  describe('usage errors', { concurrency: true }, () => {
    for (const [name, args, pattern] of usageCases) {
      it(`${name} → exit 2`, async () => {
        assertOneLineError(await runCli(args, env), 2, pattern);
      });
    }
  });

  it('a missing ids file → exit 2, naming the file', async () => {
    const path = join(dir, 'nope.txt');
    assertOneLineError(
      await runCli(['start', '--ids-file', path], env),
      2,
      new RegExp(`${path}: cannot read file \\(ENOENT\\)`),
    );
  });

  it('a bad id in a file → exit 2 with file:line', async () => {
    const path = join(dir, 'ids.txt');
    writeFileSync(path, `# fleet A\nabc123\n${'x'.repeat(40)}\ndef456\n`);
    const run = await runCli(['start', '--ids-file', path], env);
    assertOneLineError(run, 2, new RegExp(`${path}:3: instance id is 40 characters \\(max 32\\)`));
  });

  it('a bad id on stdin → exit 2 with stdin:line', async () => {
    const run = await runCli(['start', '--ids-file', '-'], env, 'abc123\nhas space\n');
    assertOneLineError(run, 2, /stdin:2: instance id contains characters/);
  });

  it('an unreachable Temporal server → exit 3 for every command that needs it', async () => {
    const closed = cliEnv({ ...env, TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    const commands = [
      ['start', 'a1'],
      ['list'],
      ['status', 'x'],
      ['pause', 'x'],
      ['report', 'x'],
      ['schedule', 'list'],
    ];
    const runs = await Promise.all(commands.map((args) => runCli(args, closed)));
    for (const run of runs)
      assertOneLineError(run, 3, /cannot reach the Temporal server at 127\.0\.0\.1:\d+/);
  });

  it('--dry-run prints the plan and starts nothing', async () => {
    const before = JSON.parse((await runCli(['list', '--json', '--limit', '1000'], env)).stdout) as unknown[];
    const campaignId = `dry-${randomUUID().slice(0, 8)}`;
    const run = await runCli(
      ['start', 'a1', 'a2', 'a1', 'b7', '--campaign-id', campaignId, '--batch-size', '2', '--dry-run'],
      env,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`Campaign ${campaignId}`));
    assert.match(run.stdout, /instances\s+3 \(1 duplicate dropped\)/);
    assert.match(run.stdout, /batches\s+2 of up to 2/);
    assert.match(run.stdout, /API calls/);
    assert.match(run.stdout, /duration\s+~/);
    assert.match(run.stdout, /dry run: nothing started/);
    const json = await runCli(['start', 'a1', '--campaign-id', campaignId, '--dry-run', '--json'], env);
    assert.equal((JSON.parse(json.stdout) as { plan: { instances: number } }).plan.instances, 1);
    const after = JSON.parse((await runCli(['list', '--json', '--limit', '1000'], env)).stdout) as {
      campaignId: string;
    }[];
    assert.equal(after.length, before.length);
    assert.ok(!after.some((c) => c.campaignId === campaignId));
  });

  it('a second campaign with an existing --campaign-id → exit 2, and the first is untouched', async () => {
    const campaignId = `dup-${randomUUID().slice(0, 8)}`;
    const first = await runCli(['start', 'abc1', 'abc2', '--campaign-id', campaignId], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /no worker is polling task queue/);
    const second = await runCli(['start', 'abc3', '--campaign-id', campaignId], env);
    assertOneLineError(second, 2, new RegExp(`a campaign with id ${campaignId} already exists`));
    const handle = temporal.client.workflow.getHandle(campaignId);
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    // Ended here, not in an after hook: the shared connection may be closed by then.
    await handle.terminate('test over');
  });

  it('an unknown campaign → exit 2 for status, pause, report', async () => {
    const commands = [
      ['status', 'no-such-campaign'],
      ['pause', 'no-such-campaign'],
      ['report', 'no-such-campaign'],
    ];
    const runs = await Promise.all(commands.map((args) => runCli(args, env)));
    for (const run of runs) assertOneLineError(run, 2, /no campaign no-such-campaign/);
  });
});
