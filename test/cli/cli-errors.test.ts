import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { readIdFile } from '../../src/sources';
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
    // zod's own wording never reaches the operator.
    assert.doesNotMatch(run.stderr, /Too (small|big)|expected number to be|Invalid input/);
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
    [
      'bad --retry-delay',
      ['start', 'a1', '--retry-delay', '5 weeks'],
      /--retry-delay: "5 weeks" is not a duration: write e.g. 90s, 5m, 1h30m/,
    ],
    ['--retry-delay without a unit', ['start', 'a1', '--retry-delay', '5'], /--retry-delay: "5" has no unit/],
    [
      '--job-timeout too short',
      ['start', 'a1', '--job-timeout', '500ms'],
      /--job-timeout must be at least 1s/,
    ],
    [
      '--batch-size above 100',
      ['start', 'a1', '--batch-size', '101'],
      /^error: --batch-size: must be at most 100 \(got "101"\)$/m,
    ],
    [
      '--concurrency 0',
      ['start', 'a1', '--concurrency', '0'],
      /^error: --concurrency: must be at least 1 \(got "0"\)$/m,
    ],
    ['--canary 1.5', ['start', 'a1', '--canary', '1.5'], /--canary: must be a whole number \(got "1.5"\)/],
    ['list --limit 0', ['list', '--limit', '0'], /--limit: expected a whole number 1\.\.10000, got "0"/],
    ['check --timeout 5', ['check', '--timeout', '5'], /--timeout: "5" has no unit/],
    [
      'window with a bad time zone, said once',
      ['start', 'a1', '--window', '0 1 * * SUN/4h/Mars/Olympus'],
      /^error: --window: unknown time zone "Mars\/Olympus" \(use an IANA name such as UTC or Asia\/Shanghai\)$/m,
    ],
    [
      'window with a bad cron',
      ['start', 'a1', '--window', '0 25 * * SUN/4h'],
      /^error: --window "0 25 \* \* SUN": invalid value for hour: 25$/m,
    ],
    [
      'cron with L (croner reads it, Temporal schedules do not)',
      ['schedule', 'create', 'n1', '--cron', '0 3 L * *', '--all'],
      /Temporal schedules do not read L, W or #/,
    ],
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
      /--cron "61 3 \* \* \*": invalid value for minute: 61/,
    ],
    [
      'cron with 4 fields',
      ['schedule', 'create', 'n1', '--cron', '0 3 * *', '--all'],
      /has 4 fields; expected 5/,
    ],
    [
      'bad timezone',
      ['schedule', 'create', 'n1', '--cron', '0 3 * * SUN', '--timezone', 'Mars/Olympus', '--all'],
      /^error: --timezone: unknown time zone "Mars\/Olympus" \(use an IANA name such as UTC or Asia\/Shanghai\)$/m,
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

  it('an RFC 4180 CSV with quoted commas, quotes and line breaks before instance_id is read right', async () => {
    const path = join(dir, 'fleet.csv');
    writeFileSync(
      path,
      'region,instance_id,note\r\n' +
        '"Shanghai, pool A",abc123,ok\r\n' +
        '"Beijing ""north""",def456,"two\nlines"\r\n' +
        '"Shanghai, pool A",abc123,again\r\n',
    );
    const { ids, duplicates, entries } = await readIdFile(path);
    assert.deepEqual({ ids, duplicates, entries }, { ids: ['abc123', 'def456'], duplicates: 1, entries: 3 });
    const run = await runCli(['start', '--ids-file', path, '--dry-run', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { plan: { instances: number } }).plan.instances, 2);
    // A bad id after a multi-line cell is reported on the line it is on.
    writeFileSync(path, 'region,instance_id\n"a\nb",abc123\n"Shanghai, pool A",bad id\n');
    assertOneLineError(
      await runCli(['start', '--ids-file', path], env),
      2,
      new RegExp(`${path}:4: instance id contains characters`),
    );
    writeFileSync(path, 'region,instance_id\n"Shanghai, pool A,abc123\n');
    assertOneLineError(await runCli(['start', '--ids-file', path], env), 2, /not valid CSV: .*opening quote/);
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
