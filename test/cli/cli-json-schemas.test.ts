import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { projectRoot } from '../../src/project-root';
import { buildProgram } from '../../src/cli/program';
import { processContext } from '../../src/cli/context';
import { campaignEnv } from '../helpers/campaign-env';
import { freePort } from '../../src/temporal/free-port';
import { CLI, cliEnv, hasStackTrace, operatorCli, runCliIn } from './run-cli';
import { standaloneDevServer } from './standalone-server';

const SCHEMAS = join(projectRoot, 'docs', 'schemas');
/** Which schema each command's --json output follows (report: its ndjson lines). */
const SCHEMA_OF: Record<string, string> = {
  start: 'start',
  watch: 'status',
  status: 'status',
  list: 'list',
  pause: 'control',
  resume: 'control',
  cancel: 'control',
  report: 'report',
  rerun: 'rerun',
  'schedule create': 'schedule',
  'schedule update': 'schedule',
  'schedule describe': 'schedule',
  'schedule list': 'schedule-list',
  'schedule pause': 'schedule-change',
  'schedule unpause': 'schedule-change',
  'schedule delete': 'schedule-change',
  'schedule trigger': 'schedule-trigger',
  account: 'account',
  check: 'check',
  // Long-running processes: every stdout line is a log line (log-line), the first of them says
  // where it listens (their *-started schema).
  worker: 'worker-started',
  simulator: 'simulator-started',
  'dev-server': 'dev-server-started',
  demo: 'demo',
  completion: 'completion',
  help: 'help',
};

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
for (const file of readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json')))
  ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as object, file);

function snakeKeys(value: unknown, at = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => snakeKeys(v, `${at}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(k.includes('_') ? [`${at}.${k}`] : []),
    ...snakeKeys(v, `${at}.${k}`),
  ]);
}

function assertValid(schema: string, value: unknown, what: string): void {
  const validate = ajv.getSchema(`${schema}.schema.json`);
  assert.ok(validate, `docs/schemas/${schema}.schema.json exists`);
  assert.ok(
    validate(value),
    `${what} against ${schema}.schema.json: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value, null, 2)}`,
  );
  assert.deepEqual(snakeKeys(value), [], `${what}: every key camelCase`);
}

/** Every command of the tree that runs something (a group such as `schedule` only holds others). */
function commandsOf(cmd: Command, prefix = ''): { name: string; json: boolean }[] {
  return cmd.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    const own = c.commands.length ? [] : [{ name, json: c.options.some((o) => o.long === '--json') }];
    return [...own, ...commandsOf(c, `${name} `)];
  });
}

function commandsWithJson(cmd: Command): string[] {
  return commandsOf(cmd)
    .filter((c) => c.json)
    .map((c) => c.name);
}

/** `script` gives a command a terminal (a pty) as its stdout, as an operator's shell does. */
const SCRIPT = spawnSync('script', ['--version']).status === 0;

/**
 * Runs the built CLI as a long-running process until a stdout line `until` accepts, then stops it
 * as an operator does (Ctrl-C); returns every stdout line. With `tty`, stdout is a terminal
 * (through `script`) and Ctrl-C is the terminal's own ^C.
 */
function runUntilLine(
  args: string[],
  vars: Record<string, string>,
  until: (line: string) => boolean,
  tty = false,
  timeoutMs = 120_000,
): Promise<{ code: number; lines: string[]; stderr: string }> {
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = tty
    ? spawn('script', ['-qfec', quoted, '/dev/null'], { env: cliEnv(vars), stdio: 'pipe' })
    : spawn(process.execPath, [CLI, ...args], { env: cliEnv(vars), stdio: 'pipe' });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let stopping = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `koophone-reset ${args.join(' ')}: no such line within ${timeoutMs} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stopping || !stdout.split(/\r?\n/).some((l) => l.trim() && until(l))) return;
      stopping = true;
      if (tty) child.stdin.write('\x03');
      else child.kill('SIGINT');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      // The terminal echoes the ^C it was given; it is no line the process printed.
      const lines = stdout
        .split(/\r?\n/)
        .map((l) => l.replace(/^\^C/, ''))
        .filter((l) => l.trim());
      resolve({ code: code ?? -1, lines, stderr });
    });
  });
}

/** Every line is a JSON log line; the one `first` picks follows `schema`. */
function assertLogLines(
  lines: string[],
  schema: string,
  first: (v: Record<string, unknown>) => boolean,
  what: string,
) {
  const values = lines.map((l, i) => {
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(l) as Record<string, unknown>;
    } catch {
      assert.fail(`${what}: line ${i} is not JSON: ${l}`);
    }
    assertValid('log-line', v, `${what} line ${i}`);
    return v;
  });
  const start = values.find(first);
  assert.ok(start, `${what}: a start-up line\n${lines.join('\n')}`);
  assertValid(schema, start, `${what} start-up line`);
  return start;
}

// Every --json output, from the built CLI against a real server, worker and simulator, checked
// against the JSON Schemas in docs/schemas (the documented contract) and the camelCase rule.
describe('--json outputs and their schemas', () => {
  const stopServer = standaloneDevServer();
  const env = campaignEnv({ instances: 3000, jobDurationMs: '50..150' });
  stopServer();
  // --all lists the fleet in the operator's shell before a schedule is made.
  const operator = operatorCli(
    env,
    () => ({ KOOPHONE_ENDPOINT: env.sim.url, KOOPHONE_TOKEN: 'sim-token' }),
    180_000,
  );
  const cli = async (args: string[], expectCode = 0) => {
    const run = await operator(args);
    assert.equal(run.code, expectCode, `koophone-reset ${args.join(' ')}\n${run.stderr}`);
    return run;
  };
  const json = async (schema: string, args: string[]) => {
    const value = JSON.parse((await cli(args)).stdout) as unknown;
    assertValid(schema, value, args.join(' '));
    return value as Record<string, unknown>;
  };

  it('every command has --json', () => {
    const missing = commandsOf(buildProgram(processContext()))
      .filter((c) => !c.json)
      .map((c) => c.name);
    assert.deepEqual(missing, [], 'commands without --json');
  });

  it('every command with --json has a schema, and every schema file is used', () => {
    const withJson = commandsWithJson(buildProgram(processContext()));
    assert.deepEqual(
      withJson.filter((c) => !SCHEMA_OF[c]),
      [],
      'commands with --json but no schema',
    );
    const used = new Set([...Object.values(SCHEMA_OF), 'plan', 'report-line', 'log-line', 'notification']);
    const files = readdirSync(SCHEMAS).map((f) => f.replace('.schema.json', ''));
    assert.deepEqual(
      files.filter((f) => !used.has(f)),
      [],
      'schema files nothing prints',
    );
  });

  it('campaign commands: start, status, watch, report, list, rerun, pause/resume/cancel, account, check', async () => {
    await json('check', ['check', '--json']);
    await json('start', ['start', ...env.ids(300), '--dry-run', '--json']);
    const done = `json-${randomUUID().slice(0, 8)}`;
    const waited = await json('start', [
      'start',
      ...env.ids(300),
      '--campaign-id',
      done,
      '--rate',
      '50',
      '--canary',
      '0',
      '--abort-timed-out',
      '5%',
      '--wait',
      '--json',
    ]);
    assert.equal((waited.status as { succeeded: number }).succeeded, 300);
    const finished = await json('status', ['status', done, '--json']);
    assert.equal(finished.timedOut, 0);
    assert.ok(finished.cost !== undefined, 'a finished campaign says what it cost, from its result');
    const watched = (await cli(['watch', done, '--json'])).stdout.trim().split('\n');
    assert.ok(watched.length >= 1);
    watched.forEach((l, i) => assertValid('status', JSON.parse(l), `watch line ${i}`));
    const report = (await cli(['report', done, '--format', 'ndjson'])).stdout.trim().split('\n');
    assert.equal(report.length, 300);
    report.forEach((l, i) => assertValid('report-line', JSON.parse(l), `report line ${i}`));
    const out = join(env.reportDir, 'exports', `${done}.ndjson`);
    const written = await json('report', ['report', done, '--format', 'ndjson', '--out', out, '--json']);
    assert.deepEqual([written.lines, written.partial], [300, false]);
    const listed = await json('list', ['list', '--json']);
    assert.ok((listed as unknown as { campaignId: string }[]).some((c) => c.campaignId === done));
    const rerun = await json('rerun', ['rerun', done, '--json']);
    assert.equal(rerun.campaignId, null, 'nothing failed: nothing to rerun');

    // A slow campaign, to see the live status object and the control commands.
    const slow = `json-slow-${randomUUID().slice(0, 8)}`;
    const started = await json('start', [
      'start',
      ...env.ids(2000, 300),
      '--campaign-id',
      slow,
      '--rate',
      '1',
      '--concurrency',
      '1',
      '--json',
    ]);
    assert.equal(started.campaignId, slow);
    const live = await json('status', ['status', slow, '--json']);
    assert.ok(live.cost !== undefined, 'a running campaign answers with every field');
    await json('control', ['pause', slow, '--json']);
    await json('control', ['resume', slow, '--json']);
    await json('control', ['cancel', slow, '--json']);
    await json('account', ['account', '--json']);
  });

  it('schedule commands: create, list, describe, update, pause, unpause, trigger, delete', async () => {
    const name = `json-${randomUUID().slice(0, 8)}`;
    const created = await json('schedule', [
      'schedule',
      'create',
      name,
      '--cron',
      '0 3 * * *',
      '--all',
      '--yes',
      '--paused',
      '--rate',
      '3',
      '--abort-timed-out',
      '5',
      '--json',
    ]);
    const options = created.options as { rate: number; abortOn: Record<string, unknown> };
    assert.deepEqual(options.abortOn, { timedOut: { kind: 'count', value: 5 } });
    const list = await json('schedule-list', ['schedule', 'list', '--json']);
    assert.ok((list as unknown as { name: string }[]).some((s) => s.name === name));
    await json('schedule', ['schedule', 'describe', name, '--json']);

    // update: only what is given changes; the rest of the options stay as created.
    const updated = await json('schedule', [
      'schedule',
      'update',
      name,
      '--cron',
      '30 4 * * *',
      '--timezone',
      'Asia/Shanghai',
      '--rate',
      '7',
      '--json',
    ]);
    const after = updated.options as { rate: number; abortOn: Record<string, unknown>; batchSize: number };
    assert.deepEqual(
      [updated.cron, updated.timezone, after.rate, after.abortOn, after.batchSize, updated.paused],
      ['30 4 * * *', 'Asia/Shanghai', 7, { timedOut: { kind: 'count', value: 5 } }, 100, true],
    );
    const relisted = (await json('schedule-list', ['schedule', 'list', '--json'])) as unknown as {
      name: string;
      cron: string;
    }[];
    assert.equal(relisted.find((s) => s.name === name)?.cron, '30 4 * * *', 'list shows the new cron');
    const nothing = await cli(['schedule', 'update', name], 2);
    assert.match(nothing.stderr, /nothing to change/);
    const bad = await cli(['schedule', 'update', name, '--rate', '0'], 2);
    assert.match(bad.stderr, /--rate/);
    assert.equal(
      ((await json('schedule', ['schedule', 'describe', name, '--json'])).options as { rate: number }).rate,
      7,
    );

    await json('schedule-change', ['schedule', 'unpause', name, '--json']);
    await json('schedule-change', ['schedule', 'pause', name, '--json']);
    const triggered = await json('schedule-trigger', ['schedule', 'trigger', name, '--json']);
    if (typeof triggered.campaignId === 'string') await cli(['cancel', triggered.campaignId]);
    await json('schedule-change', ['schedule', 'delete', name, '--json']);
  });

  it('completion --json: the command tree the scripts are made from', async () => {
    const tree = (await json('completion', ['completion', '--json'])) as unknown as {
      path: string;
      subcommands: string[];
      flags: string[];
    }[];
    assert.deepEqual(tree[0]!.path, '');
    assert.ok(tree[0]!.subcommands.includes('schedule'));
    assert.ok(tree.find((l) => l.path === 'schedule create')?.flags.includes('--cron'));
    const bash = (await cli(['completion', 'bash'])).stdout;
    for (const l of tree) assert.ok(bash.includes(`"${l.path}")`), `the bash script has "${l.path}"`);
    assert.match((await cli(['completion', 'bash', '--json'], 2)).stderr, /give a shell or --json/);
    assert.match((await cli(['completion'], 2)).stderr, /completion bash/);
  });

  it('help --json: a command help, the environment variables and the exit codes as data', async () => {
    const top = await json('help', ['help', '--json']);
    assert.deepEqual([top.command, (top.subcommands as string[]).includes('schedule')], ['', true]);
    const create = await json('help', ['help', 'schedule', 'create', '--json']);
    const options = create.options as { flags: string; default?: string }[];
    assert.ok(options.some((o) => o.flags.startsWith('--cron')));
    assert.ok((create.examples as string[]).length > 0, 'with its examples');
    const dev = (await json('help', ['help', 'dev-server', '--json'])).options as typeof options;
    assert.equal(dev.find((o) => o.flags.startsWith('--port'))?.default, '7233');

    const environment = await json('help', ['help', 'environment', '--json']);
    const names = (environment.variables as { name: string }[]).map((v) => v.name);
    const text = (await cli(['help', 'environment'])).stdout;
    assert.ok(names.includes('TEMPORAL_ADDRESS') && names.includes('KOOPHONE_IAM_PROJECT_ID'));
    assert.deepEqual(
      names.filter((n) => !new RegExp(`\\b${n}\\b`).test(text)),
      [],
      'the text names every variable the JSON lists',
    );
    const codes = await json('help', ['help', 'exit-codes', '--json']);
    assert.deepEqual(
      (codes.exitCodes as { code: number }[]).map((c) => c.code),
      [0, 1, 2, 3, 4, 130],
    );
  });

  it('simulator --json and dev-server --json: JSON log lines, the start-up line first', async () => {
    const sim = await runUntilLine(['simulator', '--port', '0', '--instances', '10', '--json'], {}, (l) =>
      l.includes('listening on'),
    );
    assert.equal(sim.code, 0, sim.stderr);
    const simStart = assertLogLines(sim.lines, 'simulator-started', (v) => v.url !== undefined, 'simulator');
    assert.deepEqual([simStart.instances, simStart.defaultToken], [10, true]);
    assert.ok(
      sim.lines.some((l) => l.includes('simulator stopped')),
      'stopping is logged too',
    );

    const [port, uiPort] = [await freePort(), await freePort()];
    const db = join(mkdtempSync(join(tmpdir(), 'koophone-dev-')), 'temporal.db');
    const dev = await runUntilLine(
      ['dev-server', '--port', String(port), '--ui-port', String(uiPort), '--db', db, '--headless', '--json'],
      {},
      (l) => l.includes('listening on'),
    );
    assert.equal(dev.code, 0, dev.stderr);
    const devStart = assertLogLines(
      dev.lines,
      'dev-server-started',
      (v) => v.address !== undefined,
      'dev-server',
    );
    assert.deepEqual(
      [devStart.address, devStart.dbFile, devStart.uiUrl],
      [`127.0.0.1:${port}`, db, undefined],
    );
  });

  it('worker --json: every line JSON, on a terminal too; without it a terminal gets lines for people', async () => {
    const vars = {
      TEMPORAL_ADDRESS: env.temporal.address,
      TEMPORAL_NAMESPACE: env.temporal.namespace,
      // A queue of its own: this worker must take none of the other tests' tasks.
      TEMPORAL_TASK_QUEUE: `json-worker-${randomUUID().slice(0, 8)}`,
      REPORT_DIR: env.reportDir,
      KOOPHONE_ENDPOINT: env.sim.url,
      KOOPHONE_TOKEN: 'sim-token',
    };
    const started = (l: string) => l.includes('worker started');
    const piped = await runUntilLine(['worker', '--json'], vars, started);
    assert.equal(piped.code, 0, piped.stderr);
    assert.ok(!hasStackTrace(piped.stderr), piped.stderr);
    const start = assertLogLines(piped.lines, 'worker-started', (v) => v.msg === 'worker started', 'worker');
    assert.deepEqual([start.taskQueue, start.endpoint], [vars.TEMPORAL_TASK_QUEUE, env.sim.url]);
    assert.ok(!JSON.stringify(piped.lines).includes('sim-token'), 'the token is never logged');
    if (!SCRIPT) return;
    // Stopped by the terminal's ^C (it exits 130 there); what matters is every line.
    const onTerminal = await runUntilLine(['worker', '--json'], vars, started, true);
    assert.ok(
      onTerminal.lines.some((l) => l.includes('"worker stopped"')),
      onTerminal.lines.join('\n'),
    );
    assertLogLines(
      onTerminal.lines,
      'worker-started',
      (v) => v.msg === 'worker started',
      'worker on a terminal',
    );
    const forPeople = await runUntilLine(['worker'], vars, started, true);
    const line = forPeople.lines.find(started) ?? '';
    assert.throws(() => JSON.parse(line), `without --json a terminal gets pino-pretty: ${line}`);
  });

  it('demo --json: the result as one JSON object on stdout, progress on stderr', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'koophone-demo-json-'));
    const [port, uiPort] = [await freePort(), await freePort()];
    const args = ['demo', '--instances', '20', '--rate', '20', '--temporal-address', `127.0.0.1:${port}`];
    const run = await runCliIn(cwd, [...args, '--ui-port', String(uiPort), '--json'], 170_000);
    assert.ok([0, 1].includes(run.code), `demo exit ${run.code}\n${run.stderr}`);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    assertValid('demo', result, 'demo --json');
    const status = result.status as { total: number; state: string };
    assert.deepEqual([status.total, result.exitCode], [20, run.code]);
    assert.equal((result.temporal as { address: string }).address, `127.0.0.1:${port}`);
    assert.match(run.stderr, /KooPhone simulator: http/, 'progress goes to stderr');
    assert.ok(existsSync((result.report as { html: string }).html), 'the HTML report it names exists');
  });
});
