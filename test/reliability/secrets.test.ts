import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { startSimulator, type RunningSimulator } from '../../src/simulator';
import { freePort } from '../../src/temporal/free-port';
import { cliEnv, parseCsv, type CliRun } from '../cli/run-cli';
import { waitFor } from '../helpers/campaign-env';
import { closeTestTemporal, testTemporal, type TestTemporal } from '../helpers/temporal';
import { killHard, spawnWorker } from '../helpers/worker-process';
import { runCliBounded } from './support/cli';
import { startIamRecorder, type IamRecorder } from './support/iam-recorder';
import { SecretSearch, type Needle } from './support/secret-search';
import { temporalJson } from './support/temporal-cli';
import { listExecutions, onQueue, terminateAll } from './support/workflows';

// Secrets live only in the worker's environment (design.md): never in workflow inputs, history,
// search attributes, memo, logs or reports. Two real campaigns — one whose worker signs in to IAM
// with a password, one with a static token — run through the CLI, and then every place an
// operator or an attacker could read is searched for the password, the static token and every
// token IAM issued. The searcher is shown to find planted secrets first, so zero hits means zero.

const PASSWORD = 'Hunter2-Secret-Pw!';
const STATIC_TOKEN = 'tok-Secret-123';
const IAM_USER = 'reset-operator';
const IAM_DOMAIN = 'acme-domain';
/** The simulator's IAM tokens: `sim-iam-` and 48 hex digits. Catches ones the recorder missed. */
const IAM_TOKEN_SHAPE = /sim-iam-[0-9a-f]{48}/;

type Worker = ChildProcess & { output: () => string };

describe('secrets: the token and the IAM password appear nowhere outside the worker environment', () => {
  const run = randomUUID().slice(0, 8);
  const iamQueue = `secrets-iam-${run}`;
  const staticQueue = `secrets-static-${run}`;
  const iamCampaign = `sec-iam-${run}`;
  const staticCampaign = `sec-static-${run}`;
  const scheduleName = `sec-schedule-${run}`;
  const root = mkdtempSync(join(tmpdir(), 'koophone-secrets-'));
  const reportDir = join(root, 'reports');
  const outDir = join(root, 'out');
  const idsFile = join(root, 'inputs', 'iam-campaign.txt');

  let temporal: TestTemporal;
  let sim: RunningSimulator;
  let iam: IamRecorder;
  const workers: { name: string; child: Worker }[] = [];
  /** Every CLI run, with the arguments that made it (never the environment). */
  const cliRuns: { what: string; run: CliRun }[] = [];
  let iamEnv: NodeJS.ProcessEnv;
  let staticEnv: NodeJS.ProcessEnv;

  async function cli(what: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliRun> {
    const r = await runCliBounded(args, env, input, 240_000);
    cliRuns.push({ what: `${what}: koophone-reset ${args.join(' ')}`, run: r });
    assert.ok(!r.timedOut, `${what} did not finish: ${r.stderr}`);
    return r;
  }

  async function startWorker(name: string, env: Record<string, string>): Promise<Worker> {
    const child = spawnWorker({
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      KOOPHONE_ENDPOINT: sim.url,
      REPORT_DIR: reportDir,
      // Debug lines (the SDK's and ours) are searched too.
      LOG_LEVEL: 'debug',
      // Whatever the test runner's shell holds must not decide which credentials are used.
      KOOPHONE_TOKEN: '',
      KOOPHONE_IAM_USERNAME: '',
      KOOPHONE_IAM_PASSWORD: '',
      KOOPHONE_IAM_DOMAIN: '',
      KOOPHONE_IAM_ENDPOINT: '',
      METRICS_PORT: '',
      ...env,
    });
    workers.push({ name, child });
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`worker ${name} exited:\n${child.output()}`);
        return /"msg":"worker started"/.test(child.output());
      },
      180_000,
      250,
    );
    return child;
  }

  async function stopWorker(child: Worker): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const stopped = await Promise.race([
      exited.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 30_000)),
    ]);
    if (!stopped) await killHard(child);
  }

  before(async () => {
    temporal = await testTemporal();
    sim = await startSimulator({
      port: 0,
      instances: 400,
      token: STATIC_TOKEN,
      iamUser: IAM_USER,
      iamPassword: PASSWORD,
      jobDurationMs: '100..400',
      // Error paths write error text into reports and logs: exercise them too.
      jobFailureRate: 0.1,
      frozenRate: 0.02,
      fault5xxRate: 0.05,
      http200ErrorRate: 0.05,
    });
    iam = await startIamRecorder(sim.url);
    mkdirSync(join(root, 'inputs'), { recursive: true });
    mkdirSync(outDir, { recursive: true });
    writeFileSync(idsFile, sim.fleet.ids(0, 300).join('\n') + '\n');
    const base = {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      REPORT_DIR: reportDir,
      KOOPHONE_ENDPOINT: sim.url,
    };
    // The operator's shell holds the workers' settings, as the compose `cli` service does.
    const iamVars = {
      KOOPHONE_IAM_ENDPOINT: iam.url,
      KOOPHONE_IAM_USERNAME: IAM_USER,
      KOOPHONE_IAM_PASSWORD: PASSWORD,
      KOOPHONE_IAM_DOMAIN: IAM_DOMAIN,
    };
    iamEnv = cliEnv({ ...base, ...iamVars, TEMPORAL_TASK_QUEUE: iamQueue });
    staticEnv = cliEnv({ ...base, KOOPHONE_TOKEN: STATIC_TOKEN, TEMPORAL_TASK_QUEUE: staticQueue });
    await Promise.all([
      startWorker('iam', { ...iamVars, TEMPORAL_TASK_QUEUE: iamQueue }),
      startWorker('static', { KOOPHONE_TOKEN: STATIC_TOKEN, TEMPORAL_TASK_QUEUE: staticQueue }),
    ]);
  });

  after(async () => {
    await Promise.all(workers.map((w) => stopWorker(w.child)));
    if (temporal) {
      await temporal.client.schedule
        .getHandle(scheduleName)
        .delete()
        .catch(() => undefined);
      for (const q of [iamQueue, staticQueue])
        await terminateAll(temporal.client, onQueue(q), 'secrets test over');
    }
    await iam?.close();
    await sim?.close();
    await closeTestTemporal();
    rmSync(root, { recursive: true, force: true });
  });

  it('the searcher finds planted secrets, as text and inside base64 payloads', () => {
    const planted = mkdtempSync(join(tmpdir(), 'koophone-planted-'));
    try {
      const needles: Needle[] = [
        { label: 'IAM password', value: PASSWORD },
        { label: 'static token', value: STATIC_TOKEN },
        { label: 'IAM token shape', pattern: IAM_TOKEN_SHAPE },
      ];
      const search = new SecretSearch(needles);
      writeFileSync(join(planted, 'clean.log'), '{"level":30,"msg":"worker started","token":"[redacted]"}\n');
      writeFileSync(join(planted, 'leak.log'), `{"level":20,"msg":"calling","password":"${PASSWORD}"}\n`);
      mkdirSync(join(planted, 'nested'));
      // The shape of `temporal workflow show --output json`: payload data is base64 JSON.
      const payload = Buffer.from(JSON.stringify({ options: { auth: STATIC_TOKEN } })).toString('base64');
      writeFileSync(
        join(planted, 'nested', 'history.json'),
        JSON.stringify({
          events: [{ input: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: payload }] } }],
        }),
      );
      assert.equal(search.searchTree(planted), 3);
      assert.equal(search.search('clean text', 'nothing to see here, sim-iam-short').length, 0);
      assert.deepEqual(
        search
          .search('form-encoded', new URLSearchParams({ password: PASSWORD }).toString())
          .map((h) => h.via),
        ['encoded'],
      );
      const issued = `sim-iam-${'0a'.repeat(24)}`;
      assert.deepEqual(
        search
          .search(
            'double base64',
            Buffer.from(Buffer.from(`{"t":"${issued}"}`).toString('base64')).toString('base64'),
          )
          .map((h) => h.label),
        ['IAM token shape'],
      );
      const byPlace = search.hits.map((h) => `${h.place.replace(planted, '')} ${h.label} ${h.via}`).sort();
      assert.deepEqual(byPlace, [
        'double base64 IAM token shape base64',
        'file /leak.log IAM password text',
        'file /nested/history.json static token base64',
        'form-encoded IAM password encoded',
      ]);
    } finally {
      rmSync(planted, { recursive: true, force: true });
    }
  });

  it('runs an IAM campaign and a static-token campaign through the CLI', async () => {
    // Force a second IAM sign-in mid-campaign: the refresh path is where tokens get logged.
    const revoked = (async () => {
      // Once the IAM worker holds a token (it signs in on its first call), take it away.
      await waitFor(() => iam.issued.length >= 1, 120_000, 50);
      sim.revokeTokens();
    })();
    const common = [
      '--max-errors',
      '100%',
      '--rate',
      '10',
      '--retry-delay',
      '1s',
      '--job-timeout',
      '1m',
      '--wait',
      '--json',
    ];
    const [a, b] = await Promise.all([
      cli(
        'IAM campaign',
        [
          'start',
          '--ids-file',
          idsFile,
          '--campaign-id',
          iamCampaign,
          '--batch-size',
          '50',
          '--concurrency',
          '3',
          '--retry-failed',
          '1',
          ...common,
        ],
        iamEnv,
      ),
      cli(
        'static-token campaign',
        [
          'start',
          '--ids-file',
          '-',
          '--campaign-id',
          staticCampaign,
          '--batch-size',
          '25',
          '--concurrency',
          '4',
          '--retry-failed',
          '0',
          ...common,
        ],
        staticEnv,
        sim.fleet.ids(300, 100).join('\n') + '\n',
      ),
    ]);
    await revoked;
    for (const [r, total] of [
      [a, 300],
      [b, 100],
    ] as const) {
      assert.ok([0, 1].includes(r.code), `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      const { status } = JSON.parse(r.stdout) as {
        status: { state: string; total: number; succeeded: number };
      };
      assert.equal(status.state, 'completed', r.stdout);
      assert.equal(status.total, total);
      assert.ok(status.succeeded > total / 2, `most instances reset: ${r.stdout}`);
    }
    // The IAM worker really signed in (twice: once at start, once after the revocation), and the
    // CLI counting the fleet with IAM settings signs in too; the static one uses its token.
    for (const [what, env] of [
      ['IAM fleet count', iamEnv],
      ['static-token fleet count', staticEnv],
    ] as const) {
      const plan = await cli(what, ['start', '--all', '--dry-run', '--json'], env);
      assert.equal(plan.code, 0, plan.stderr);
      // The plan counts the phones it will reset: frozen ones are listed but skipped.
      const unfrozen = sim.fleet.ids(0, 400).filter((id) => !sim.instance(id)?.frozen).length;
      assert.ok(unfrozen < 400, 'the fleet has frozen phones');
      assert.equal((JSON.parse(plan.stdout) as { plan: { instances: number } }).plan.instances, unfrozen);
    }
    assert.ok(iam.issued.length >= 3, `IAM issued ${iam.issued.length} tokens`);
    assert.ok(iam.issued.every((t) => IAM_TOKEN_SHAPE.test(t)));

    for (const [id, env] of [
      [iamCampaign, iamEnv],
      [staticCampaign, staticEnv],
    ] as const) {
      const status = await cli('status', ['status', id, '--json'], env);
      assert.equal(status.code, 0, status.stderr);
      assert.equal((JSON.parse(status.stdout) as { campaignId: string }).campaignId, id);
      const watched = await cli('watch', ['watch', id, '--json'], env);
      assert.ok([0, 1].includes(watched.code), watched.stderr);
      for (const format of ['csv', 'ndjson', 'html']) {
        const r = await cli(
          'report',
          ['report', id, '--format', format, '--out', join(outDir, `${id}.${format}`)],
          env,
        );
        assert.equal(r.code, 0, r.stderr);
      }
      const csv = await cli('report to stdout', ['report', id], env);
      assert.equal(csv.code, 0, csv.stderr);
      assert.equal(parseCsv(csv.stdout).length - 1, id === iamCampaign ? 300 : 100);
    }
    assert.equal((await cli('list', ['list', '--json'], iamEnv)).code, 0);

    // A schedule keeps its campaign input on the server: searched too.
    const created = await cli(
      'schedule create',
      [
        'schedule',
        'create',
        scheduleName,
        '--ids-file',
        idsFile,
        '--cron',
        '0 3 * * SUN',
        '--paused',
        '--json',
      ],
      iamEnv,
    );
    assert.equal(created.code, 0, created.stderr);
    assert.equal(
      (await cli('schedule describe', ['schedule', 'describe', scheduleName, '--json'], iamEnv)).code,
      0,
    );

    // Failures with the secrets in the environment: the messages must not echo them.
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = await cli('unreachable KooPhone', ['start', '--all', '--dry-run'], {
      ...staticEnv,
      KOOPHONE_ENDPOINT: closed,
    });
    assert.equal(down.code, 3, down.stderr);
    const refused = await cli('IAM refuses the user', ['start', '--all', '--dry-run'], {
      ...iamEnv,
      KOOPHONE_IAM_USERNAME: 'nobody',
    });
    assert.equal(refused.code, 2, refused.stderr);
    const badConfig = await cli('worker with a bad endpoint', ['worker'], {
      ...iamEnv,
      KOOPHONE_TOKEN: STATIC_TOKEN,
      KOOPHONE_ENDPOINT: 'ftp://x',
    });
    assert.equal(badConfig.code, 2, badConfig.stderr);
  });

  it('no history, search attribute, memo, report, log or CLI output holds a secret', async () => {
    await Promise.all(workers.map((w) => stopWorker(w.child)));
    const needles: Needle[] = [
      { label: 'IAM password', value: PASSWORD },
      { label: 'static token', value: STATIC_TOKEN },
      ...iam.issued.map((value, i) => ({ label: `IAM-issued token #${i + 1}`, value })),
      { label: 'any IAM-issued token', pattern: IAM_TOKEN_SHAPE },
    ];
    const search = new SecretSearch(needles);
    const counts = { histories: 0, describes: 0, schedules: 0, files: 0, workerOutputs: 0, cliOutputs: 0 };

    // Every run of every workflow on both queues: full history and description.
    const runs = [
      ...(await listExecutions(temporal.client, onQueue(iamQueue))),
      ...(await listExecutions(temporal.client, onQueue(staticQueue))),
    ];
    const ids = new Set(runs.map((r) => r.workflowId));
    assert.ok(
      ids.has(iamCampaign) && ids.has(staticCampaign),
      `both campaigns listed: ${[...ids].join(', ')}`,
    );
    let events = 0;
    for (const r of runs) {
      const history = await temporalJson(
        ['workflow', 'show', '--workflow-id', r.workflowId, '--run-id', r.runId],
        temporal,
      );
      events += (JSON.parse(history) as { events: unknown[] }).events.length;
      search.search(`history ${r.workflowId}/${r.runId}`, history);
      counts.histories += 1;
      search.search(
        `describe ${r.workflowId}/${r.runId}`,
        await temporalJson(
          ['workflow', 'describe', '--workflow-id', r.workflowId, '--run-id', r.runId],
          temporal,
        ),
      );
      const handle = temporal.client.workflow.getHandle(r.workflowId, r.runId);
      const d = await handle.describe();
      search.search(
        `memo, search attributes, summary ${r.workflowId}/${r.runId}`,
        JSON.stringify({
          memo: d.memo,
          searchAttributes: d.searchAttributes,
          typed: d.typedSearchAttributes,
          summary: await d.staticSummary(),
          details: await d.staticDetails(),
        }),
      );
      counts.describes += 2;
    }
    assert.ok(events > 20, `histories hold the campaigns (${events} events)`);
    // The payloads really were decoded: the campaign input (its ids file path) is in the history.
    const iamHistory = await temporalJson(['workflow', 'show', '--workflow-id', iamCampaign], temporal);
    assert.equal(
      new SecretSearch([{ label: 'ids file path', value: idsFile }]).search('control', iamHistory).length,
      1,
    );

    search.search(
      'schedule (temporal CLI)',
      await temporalJson(['schedule', 'describe', '--schedule-id', scheduleName], temporal),
    );
    const schedule = await temporal.client.schedule.getHandle(scheduleName).describe();
    search.search(
      'schedule (SDK)',
      JSON.stringify({ action: schedule.action, memo: schedule.memo, state: schedule.state }),
    );
    counts.schedules += 2;

    counts.files += search.searchTree(reportDir);
    counts.files += search.searchTree(outDir);
    assert.ok(counts.files >= 6 + 2, `report store and --out files searched (${counts.files})`);

    for (const w of workers) {
      const output = w.child.output();
      assert.match(output, /"level":20/, `worker ${w.name} logged at debug level`);
      search.search(`worker ${w.name} stdout+stderr`, output);
      counts.workerOutputs += 1;
    }
    for (const { what, run: r } of cliRuns) {
      search.search(`${what} (stdout)`, r.stdout);
      search.search(`${what} (stderr)`, r.stderr);
      counts.cliOutputs += 2;
    }

    console.log(
      `secret hits: ${search.hits.length}; places searched: ${search.places.length} ` +
        `(${counts.histories} histories of ${runs.length} runs with ${events} events, ${counts.describes} describes, ` +
        `${counts.schedules} schedule views, ${counts.files} files, ${counts.workerOutputs} worker outputs, ` +
        `${counts.cliOutputs} CLI outputs); needles: password, static token, ${iam.issued.length} IAM-issued tokens, the IAM token shape`,
    );
    assert.deepEqual(
      search.hits.map((h) => `${h.label} in ${h.place} (${h.via})`),
      [],
      'no secret anywhere',
    );
  });
});
