import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client } from 'pg';
import type { ReportLineJson } from '../../src/cli/json-output';
import { campaignEnv } from '../helpers/campaign-env';
import { killHard, spawnWorker } from '../helpers/worker-process';
import { cliEnv, runCli } from '../cli/run-cli';
import { clusterLayout } from './layout';
import { campaignResult } from '../../src/temporal/campaign-result';

// The PostgreSQL report sink on the cluster's own PostgreSQL server, as in docker-compose.yml:
// its own database and role (deploy/postgres/10-koophone-reports.sh), kept out of Temporal's.
describe('the PostgreSQL report sink on the cluster PostgreSQL', () => {
  const layout = clusterLayout();
  const env = campaignEnv({ jobDurationMs: '200..600' }, { worker: false });
  const workers: ReturnType<typeof spawnWorker>[] = [];
  after(async () => {
    for (const w of workers) await killHard(w);
  });

  it('two workers write one row per phone; the CLI reads them; the sink role cannot read Temporal', async () => {
    const workerEnv = env.workerProcessEnv({
      REPORT_SINK: layout.reportSink,
      REPORT_DIR: '/nonexistent/folder-sink-must-not-be-used',
    });
    workers.push(spawnWorker(workerEnv), spawnWorker(workerEnv));
    const ids = env.ids(1000, 6000);
    const handle = await env.start(
      { concurrency: 6, rate: 20, batchSize: 50, canary: 0 },
      { kind: 'inline', ids },
    );
    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed');

    const cli = await runCli(
      ['report', handle.workflowId, '--format', 'ndjson'],
      cliEnv({ REPORT_SINK: layout.reportSink, TEMPORAL_ADDRESS: env.temporal.address }),
    );
    assert.equal(cli.code, 0, cli.stderr);
    const lines = cli.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ReportLineJson);
    assert.equal(lines.length, 1000);
    assert.deepEqual(new Set(lines.map((l) => l.instanceId)), new Set(ids));
    assert.ok(
      lines.every(
        (l) => l.outcome === 'succeeded' && l.resets === (env.sim.instance(l.instanceId)?.resets ?? 0),
      ),
    );
    for (const w of workers)
      assert.ok(!w.output().includes(layout.secrets.koophonePassword), 'password not logged');

    const sink = new Client({ connectionString: layout.reportSink.replace(/\/koophone$/, '/temporal') });
    await sink.connect();
    try {
      await assert.rejects(sink.query('SELECT count(*) FROM executions'), /permission denied/);
    } finally {
      await sink.end();
    }
  });
});
