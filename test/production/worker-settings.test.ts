import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createCampaignStore, FolderStore, PostgresStore, redactPostgresUrl } from '../../src/report';
import { loadWorkerConfig } from '../../src/worker-config';

const base = { KOOPHONE_TOKEN: 'k-token-value' };

describe('production worker settings', () => {
  it('Temporal Cloud with an API key (the README example): TLS on, key passed, namespace and queue from the environment', () => {
    const c = loadWorkerConfig({
      ...base,
      TEMPORAL_ADDRESS: 'us-east-1.aws.api.temporal.io:7233',
      TEMPORAL_NAMESPACE: 'koophone-prod.a1b2c',
      TEMPORAL_API_KEY: 'cloud-api-key',
      TEMPORAL_TASK_QUEUE: 'koophone-reset-prod',
    });
    assert.equal(c.temporal.connection.address, 'us-east-1.aws.api.temporal.io:7233');
    assert.equal(c.temporal.connection.apiKey, 'cloud-api-key');
    assert.equal(c.temporal.connection.tls, true);
    assert.equal(c.temporal.namespace, 'koophone-prod.a1b2c');
    assert.equal(c.temporal.taskQueue, 'koophone-reset-prod');
  });

  it('Temporal Cloud with mTLS (the README example): the certificate pair is read from TEMPORAL_TLS_CERT / _KEY', () => {
    const dir = mkdtempSync(join(tmpdir(), 'koophone-mtls-'));
    writeFileSync(join(dir, 'client.pem'), 'CERT');
    writeFileSync(join(dir, 'client.key'), 'KEY');
    const c = loadWorkerConfig({
      ...base,
      TEMPORAL_ADDRESS: 'koophone-prod.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'koophone-prod.a1b2c',
      TEMPORAL_TLS_CERT: join(dir, 'client.pem'),
      TEMPORAL_TLS_KEY: join(dir, 'client.key'),
    });
    const tls = c.temporal.connection.tls;
    assert.ok(tls && typeof tls === 'object');
    assert.equal(Buffer.from(tls.clientCertPair!.crt).toString(), 'CERT');
    assert.equal(Buffer.from(tls.clientCertPair!.key).toString(), 'KEY');
  });

  it('metrics are off unless METRICS_PORT is set; the SDK exporter takes the next port', () => {
    assert.equal(loadWorkerConfig(base).metrics, undefined);
    assert.deepEqual(loadWorkerConfig({ ...base, METRICS_PORT: '9464' }).metrics, {
      host: '0.0.0.0',
      port: 9464,
      sdkPort: 9465,
    });
    assert.deepEqual(loadWorkerConfig({ ...base, METRICS_PORT: '9100', METRICS_HOST: '127.0.0.1' }).metrics, {
      host: '127.0.0.1',
      port: 9100,
      sdkPort: 9101,
    });
  });

  it('the shutdown grace outlasts a KooPhone call unless set', () => {
    assert.equal(loadWorkerConfig(base).shutdownGraceMs, 20_000);
    assert.equal(loadWorkerConfig({ ...base, KOOPHONE_TIMEOUT_MS: '60000' }).shutdownGraceMs, 65_000);
    assert.equal(loadWorkerConfig({ ...base, WORKER_SHUTDOWN_GRACE_MS: '5000' }).shutdownGraceMs, 5000);
  });

  it('reports every bad production variable on a line of its own, without the database password', () => {
    assert.throws(
      () =>
        loadWorkerConfig({
          ...base,
          METRICS_PORT: '65535',
          REPORT_SINK: 'mysql://u:hunter2@db/x',
          WORKFLOW_BUNDLE: '/nonexistent/workflow-bundle.js',
          WORKER_SHUTDOWN_GRACE_MS: 'soon',
        }),
      (e: Error) => {
        const lines = e.message.split('\n');
        assert.ok(lines.some((l) => /^ {2}- METRICS_PORT: /.test(l)));
        assert.ok(
          lines.some((l) => /^ {2}- REPORT_SINK: expected file:PATH or a postgres:\/\/… URL/.test(l)),
        );
        assert.ok(lines.some((l) => /^ {2}- WORKFLOW_BUNDLE: no such file/.test(l)));
        assert.ok(lines.some((l) => /^ {2}- WORKER_SHUTDOWN_GRACE_MS: /.test(l)));
        assert.doesNotMatch(e.message, /hunter2/);
        return true;
      },
    );
    assert.doesNotThrow(() =>
      loadWorkerConfig({ ...base, REPORT_SINK: 'postgresql://u:p@db:5432/reports?sslmode=require' }),
    );
  });

  it('REPORT_SINK picks the store; the PostgreSQL location never carries credentials or options', async () => {
    const pg = createCampaignStore({
      REPORT_SINK: 'postgres://koophone:s3cret@db.internal:5432/reports?sslmode=require',
    });
    assert.ok(pg instanceof PostgresStore);
    assert.equal(pg.location('c-1'), 'postgres://db.internal:5432/reports/c-1');
    await pg.close();
    assert.equal(redactPostgresUrl('postgresql://u:p@h/db'), 'postgresql://h/db');
    assert.ok(createCampaignStore({ REPORT_SINK: 'file:/tmp/r' }) instanceof FolderStore);
    assert.ok(createCampaignStore({ REPORT_DIR: '/tmp/r' }) instanceof FolderStore);
    assert.throws(
      () => createCampaignStore({ REPORT_SINK: 's3://bucket' }),
      /postgres:\/\/ URL or a file: path/,
    );
  });
});
