import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { findCoordinator, recordEvents } from '../../src/account/coordinator';
import { foldRecord } from '../../src/account/record';
import { startDevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/free-port';
import {
  ACCOUNT_TASK_QUEUE,
  ACCOUNT_WORKFLOW,
  ACCOUNT_WORKFLOW_ID,
} from '../../src/workflows/account-definitions';
import { closeTestTemporal, testTemporal, type TestTemporal } from '../helpers/temporal';
import { hasStackTrace, runCliIn, type CliRun } from './run-cli';

/** The demo over 10 simulated phones, run from `cwd`. */
function demo(args: string[], cwd: string): Promise<CliRun> {
  return runCliIn(cwd, ['demo', '--instances', '10', ...args], 60_000);
}

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

// The demo starts its own parts; what is someone else's it refuses before writing or starting
// anything (docs/design.md "demo").
describe('koophone-reset demo refuses what it did not start', () => {
  let temporal: TestTemporal;
  let busy: { server: Server; port: number };
  before(async () => {
    temporal = await testTemporal();
    busy = await listen();
  });
  after(async () => {
    busy.server.close();
    await closeTestTemporal();
  });

  it('a Temporal server already answering: exit 2, nothing started or written there', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'koophone-demo-'));
    const run = await demo(['--temporal-address', temporal.address], cwd);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /did not start already answers on .*--reuse-server/s);
    assert.ok(!hasStackTrace(run.stderr), run.stderr);
    assert.ok(!existsSync(join(cwd, '.data')), 'the demo wrote nothing');
    const demos = temporal.client.workflow.list({ query: `WorkflowId STARTS_WITH "demo-"` });
    for await (const w of demos) assert.fail(`the demo started ${w.workflowId} on a server it did not start`);
  });

  it('a port another program holds: exit 2 naming the flag, nothing started', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'koophone-demo-'));
    const [free, freeUi] = [await freePort(), await freePort()];
    const cases: [flag: string, args: string[]][] = [
      ['--temporal-address', ['--temporal-address', `127.0.0.1:${busy.port}`]],
      ['--ui-port', ['--temporal-address', `127.0.0.1:${free}`, '--ui-port', String(busy.port)]],
      [
        '--sim-port',
        [
          '--temporal-address',
          `127.0.0.1:${free}`,
          '--ui-port',
          String(freeUi),
          '--sim-port',
          String(busy.port),
        ],
      ],
    ];
    for (const [flag, args] of cases) {
      const run = await demo(args, cwd);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`${flag}: port ${busy.port} is already in use`));
      assert.ok(!existsSync(join(cwd, '.data')), 'the demo wrote nothing');
    }
  });

  it('bad port flags: exit 2 before anything', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'koophone-demo-'));
    const bad = await demo(['--temporal-address', 'nowhere'], cwd);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--temporal-address: expected HOST:PORT/);
    const sim = await demo(['--sim-port', '70000'], cwd);
    assert.equal(sim.code, 2);
    assert.match(sim.stderr, /--sim-port/);
  });
});

// One `account --rate` tried on a laptop stays in the demo's .data/temporal.db: every later demo
// must run under it (every worker serves the coordinator), never wait without a word (issue 24 item 6).
describe('koophone-reset demo with an account limit left in .data', () => {
  it('a coordinator an earlier version made on a task queue no worker polls now: moved, served by the demo worker, the demo completes under the limit', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'koophone-demo-account-'));
    const [port, uiPort] = [await freePort(), await freePort()];
    const address = `127.0.0.1:${port}`;
    const dbFile = join(cwd, '.data', 'temporal.db');
    const withServer = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
      const server = await startDevServer({ port, headless: true, dbFile });
      const connection = await Connection.connect({ address });
      try {
        return await fn(new Client({ connection }));
      } finally {
        await connection.close();
        await server.stop();
      }
    };
    // An earlier version ran the coordinator on the shell's task queue (here the default one).
    await withServer((client) =>
      client.workflow.start(ACCOUNT_WORKFLOW, {
        workflowId: ACCOUNT_WORKFLOW_ID,
        taskQueue: 'koophone-reset',
        args: [{ limits: { rate: 5 } }],
      }),
    );
    const run = await runCliIn(
      cwd,
      ['demo', '--instances', '10', '--temporal-address', address, '--ui-port', String(uiPort), '--json'],
      170_000,
    );
    assert.ok([0, 1].includes(run.code), `demo exit ${run.code}\n${run.stderr}`);
    const result = JSON.parse(run.stdout) as { campaignId: string; status: { state: string } };
    assert.equal(result.status.state, 'completed', run.stderr);
    await withServer(async (client) => {
      const found = await findCoordinator(client);
      assert.ok(found.status === 'running' && found.taskQueue === ACCOUNT_TASK_QUEUE, JSON.stringify(found));
      const history = await client.workflow.getHandle(ACCOUNT_WORKFLOW_ID, found.runId).fetchHistory();
      const events = recordEvents(history, defaultPayloadConverter);
      assert.deepEqual(foldRecord(events).limits, { rate: 5 }, 'moved with its limit');
      assert.ok(
        events.some(
          (e) =>
            e.kind === 'update' &&
            e.name === 'join' &&
            (e.arg as { campaignId: string }).campaignId === result.campaignId,
        ),
        'the demo campaign joined it',
      );
    });
  });
});
