import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { campaignOptionsSchema } from '../../src/campaign/options';
import { loadTemporalSettings } from '../../src/temporal/connection-config';
import { resetCampaign } from '../../src/workflows';
import { campaignEnv, countBy } from '../helpers/campaign-env';
import { killHard } from '../helpers/worker-process';
import { makeTestCerts, startTlsProxy, type TestCerts, type TlsProxy } from './helpers/tls';
import { jsonLines, startWorkerProcess, workerStarted, type WorkerProcess } from './helpers/workers';
import { campaignResult } from '../../src/temporal/campaign-result';

describe('a worker on a TLS endpoint (mutual TLS, settings from the environment)', () => {
  const env = campaignEnv({ jobDurationMs: '200..600' }, { worker: false });
  let certs: TestCerts;
  let proxy: TlsProxy;
  const workers: WorkerProcess[] = [];
  before(async () => {
    certs = makeTestCerts();
    // campaignEnv's own before hook has run: the dev server is up.
    proxy = await startTlsProxy(certs, env.temporal.address);
  });
  after(async () => {
    for (const w of workers) await killHard(w);
    await proxy?.close();
  });

  const tlsEnv = (): Record<string, string> => ({
    // "localhost" is what the server certificate names; envconfig verifies it against the CA.
    TEMPORAL_ADDRESS: `localhost:${proxy.port}`,
    TEMPORAL_NAMESPACE: env.temporal.namespace,
    TEMPORAL_TASK_QUEUE: env.taskQueue,
    TEMPORAL_TLS_CERT: certs.clientCert,
    TEMPORAL_TLS_KEY: certs.clientKey,
    TEMPORAL_TLS_CA: certs.caCert,
  });

  it('refuses a worker without a client certificate', async () => {
    const { TEMPORAL_TLS_CERT: _c, TEMPORAL_TLS_KEY: _k, ...withoutClientCert } = tlsEnv();
    const refusedBefore = proxy.refused;
    const worker = await startWorkerProcess({
      ...withoutClientCert,
      KOOPHONE_ENDPOINT: env.sim.url,
      KOOPHONE_TOKEN: 'sim-token',
      REPORT_DIR: env.reportDir,
    });
    workers.push(worker);
    const code = await new Promise<number | null>((resolve) => worker.once('exit', resolve));
    assert.notEqual(code, 0, 'the worker must not start without its client certificate');
    assert.ok(proxy.refused > refusedBefore, 'the TLS endpoint refused the handshake');
    assert.ok(!worker.output().includes('"worker started"'));
  });

  it('runs a campaign with the worker and the client both connected through TLS', async () => {
    const worker = await startWorkerProcess({
      ...tlsEnv(),
      KOOPHONE_ENDPOINT: env.sim.url,
      KOOPHONE_TOKEN: 'sim-token',
      REPORT_DIR: env.reportDir,
    });
    workers.push(worker);
    await workerStarted(worker);
    const started = jsonLines(worker.output()).find((l) => l.msg === 'worker started');
    assert.equal(started?.tls, true);
    assert.equal(started?.address, `localhost:${proxy.port}`);

    // The operator side reads the same variables: address, namespace, TLS files.
    const settings = loadTemporalSettings(tlsEnv());
    const { address, tls } = settings.connection;
    assert.ok(
      tls && typeof tls === 'object' && tls.clientCertPair,
      'envconfig loaded the client certificate pair',
    );
    const connection = await Connection.connect({ address, tls });
    try {
      const client = new Client({ connection, namespace: settings.namespace });
      const ids = env.ids(150, 9000);
      env.sim.reset();
      const campaignId = `tls-${Date.now()}`;
      const options = campaignOptionsSchema.parse({ campaignId, rate: 20, concurrency: 2, batchSize: 50 });
      const handle = await client.workflow.start(resetCampaign, {
        taskQueue: settings.taskQueue,
        workflowId: campaignId,
        args: [{ options, source: { kind: 'inline', ids } }],
      });
      const result = await campaignResult(handle);
      assert.equal(result.state, 'completed', worker.output().slice(-3000));
      assert.equal(result.counts.succeeded, 150);
      const lines = await env.report(handle.workflowId);
      assert.equal(lines.length, 150);
      assert.deepEqual(
        countBy(lines, (l) => l.outcome),
        { succeeded: 150 },
      );
      assert.equal(env.sim.stats().calls.batchReset, 3);
    } finally {
      await connection.close();
    }
    // Every connection through the endpoint presented the test CA's client certificate: the
    // worker's (polling) and the client's.
    assert.ok(proxy.clients.length >= 2, `${proxy.clients.length} TLS connections`);
    assert.ok(
      proxy.clients.every((cn) => cn === 'koophone-worker'),
      proxy.clients.join(', '),
    );
  });
});
