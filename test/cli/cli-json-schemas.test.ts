import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { projectRoot } from '../../src/project-root';
import { buildProgram } from '../../src/cli/program';
import { processContext } from '../../src/cli/context';
import { campaignEnv } from '../helpers/campaign-env';
import { operatorCli } from './run-cli';
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

function commandsWithJson(cmd: Command, prefix = ''): string[] {
  return cmd.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    const own = c.options.some((o) => o.long === '--json') ? [name] : [];
    return [...own, ...commandsWithJson(c, `${name} `)];
  });
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

  it('every command with --json has a schema, and every schema file is used', () => {
    const withJson = commandsWithJson(buildProgram(processContext()));
    assert.deepEqual(
      withJson.filter((c) => !SCHEMA_OF[c]),
      [],
      'commands with --json but no schema',
    );
    const used = new Set([...Object.values(SCHEMA_OF), 'plan', 'report-line']);
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
});
