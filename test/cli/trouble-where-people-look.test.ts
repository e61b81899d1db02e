import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { before, describe, it } from 'node:test';
import { projectRoot } from '../../src/project-root';
import { createKoophoneClient, Secret } from '../../src/koophone';
import { createCampaignWorker } from '../../src/worker';
import { campaignEnv, waitFor, workflowBundle } from '../helpers/campaign-env';
import { cliEnv, operatorCli, runCliIn } from './run-cli';

// Issue 27's reproduction: a worker with a wrong KOOPHONE_ENDPOINT. `status` named the cause and
// its fix while `watch` and `start --wait` showed only "canary 0/100 | ETA --" and `list` a count.
describe('trouble where people look: watch, start --wait and list say what status says', () => {
  const env = campaignEnv({}, { worker: false });
  const cli = operatorCli(env);
  const SAYS = /TROUBLE {2}KooPhone cannot be reached \(.*\) on \d+ calls? since .* — check KOOPHONE_ENDPOINT/;

  before(async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    // In the env's worker slot: its teardown stops it before closing the connection.
    env.worker = await createCampaignWorker({
      connection: env.temporal.nativeConnection,
      namespace: env.temporal.namespace,
      taskQueue: env.taskQueue,
      client: createKoophoneClient({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 2000, auth: { kind: 'static', token: new Secret('t') } }),
      store: env.store,
      workflowBundle: await workflowBundle(),
    });
    env.workerRun = env.worker.run();
    await env.startAccountWorker();
  });

  /** The CLI run for `ms`, then stopped as a person stops a watch (its output so far). */
  const forAWhile = (args: string[], ms: number) =>
    runCliIn(
      projectRoot,
      args,
      ms,
      cliEnv({
        TEMPORAL_ADDRESS: env.temporal.address,
        TEMPORAL_NAMESPACE: env.temporal.namespace,
        TEMPORAL_TASK_QUEUE: env.taskQueue,
        REPORT_DIR: env.reportDir,
      }),
    );

  it('start --wait, then watch and list, name the cause and its fix once each', async () => {
    const id = 'c-unreachable';
    const started = await forAWhile(['start', ...env.ids(50, 0), '--campaign-id', id, '--canary', '0', '--wait'], 25_000);
    assert.match(started.stderr + started.stdout, SAYS);
    assert.equal((started.stderr.match(/TROUBLE {2}/g) ?? []).length, 1, started.stderr);

    const watched = await forAWhile(['watch', id], 10_000);
    assert.match(watched.stderr + watched.stdout, SAYS);

    // status knew it all along; list says it too, under its table.
    const status = await cli(['status', id]);
    assert.match(status.stdout, /KooPhone cannot be reached/);
    await waitFor(async () => /c-unreachable: TROUBLE {2}KooPhone cannot be reached .* check KOOPHONE_ENDPOINT/.test((await cli(['list'])).stdout), 30_000);
    const listed = JSON.parse((await cli(['list', '--json'])).stdout) as { campaignId: string; waitingOn?: string }[];
    assert.match(listed.find((c) => c.campaignId === id)?.waitingOn ?? '', /KooPhone cannot be reached/);
    assert.equal((await cli(['cancel', id])).code, 0);
  });
});
