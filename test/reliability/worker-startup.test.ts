import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WORKFLOW_BUNDLE_FILE } from '../../src/prebuilt-bundle';
import { spawnWorker } from '../helpers/worker-process';

/**
 * A TCP listener posing as the Temporal server: it only counts connections. A worker that
 * refuses at start must never reach it; one that passes its checks does (and then fails on it).
 */
let fakeTemporal: Server;
let connections = 0;
let address = '';

before(async () => {
  fakeTemporal = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  fakeTemporal.listen(0, '127.0.0.1');
  await once(fakeTemporal, 'listening');
  const a = fakeTemporal.address();
  assert.ok(a !== null && typeof a === 'object');
  address = `127.0.0.1:${a.port}`;
});
after(() => fakeTemporal.close());

async function start(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string; connected: number }> {
  const before = connections;
  const child = spawnWorker({
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    KOOPHONE_ENDPOINT: 'http://127.0.0.1:1',
    KOOPHONE_TOKEN: 'sim-token',
    REPORT_SINK: '',
    ...env,
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output: child.output(), connected: connections - before };
}

describe('worker start-up refuses what would fail later', () => {
  it('a KOOPHONE_ENDPOINT with user:password@ is refused, naming the variable, never the password', async () => {
    const r = await start({
      KOOPHONE_ENDPOINT: 'https://ops:endpoint-pass-1234@koophone.example.com',
      REPORT_DIR: mkdtempSync(join(tmpdir(), 'koophone-startup-')),
    });
    assert.notEqual(r.code, 0);
    assert.match(r.output, /KOOPHONE_ENDPOINT: must not carry credentials/);
    assert.doesNotMatch(r.output, /endpoint-pass-1234/);
    assert.equal(r.connected, 0, 'refused before connecting to Temporal');
  });

  it('a WORKFLOW_BUNDLE not made by npm run build from this code is refused, naming it, before connecting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'koophone-startup-'));
    const code = readFileSync(WORKFLOW_BUNDLE_FILE, 'utf8');
    const mark = code.lastIndexOf('//# koophone-reset-workflow-bundle=');
    const bundle = join(dir, 'workflow-bundle.js');
    // The same code with no record of its sources (as bundleWorkflowCode alone writes it).
    writeFileSync(bundle, code.slice(0, mark) + code.slice(code.indexOf('\n', mark) + 1));
    const r = await start({ WORKFLOW_BUNDLE: bundle, REPORT_DIR: dir });
    assert.notEqual(r.code, 0);
    assert.match(
      r.output,
      /the workflow bundle .*workflow-bundle\.js is not this worker's workflow code: it records no sources/,
    );
    assert.match(r.output, /rebuild it with `npm run build`, or unset WORKFLOW_BUNDLE/);
    assert.equal(r.connected, 0, 'refused before connecting to Temporal');
  });

  it('a REPORT_DIR that cannot be written (under a regular file: fails even as root) is refused before polling', async () => {
    const r = await start({ REPORT_DIR: '/etc/passwd/reports' });
    assert.notEqual(r.code, 0);
    assert.match(r.output, /report store \/etc\/passwd\/reports \(REPORT_DIR\) cannot be written: .*ENOTDIR/);
    assert.match(r.output, /fix REPORT_DIR/);
    assert.equal(r.connected, 0, 'refused before connecting to Temporal');
  });

  it('an unreachable REPORT_SINK database is refused, naming REPORT_SINK, never its password', async () => {
    const r = await start({ REPORT_SINK: 'postgres://ops:sink-pass-5678@127.0.0.1:1/koophone' });
    assert.notEqual(r.code, 0);
    assert.match(
      r.output,
      /report store postgres:\/\/127\.0\.0\.1:1\/koophone \(REPORT_SINK\) cannot be written/,
    );
    assert.doesNotMatch(r.output, /sink-pass-5678/);
    assert.equal(r.connected, 0);
  });

  it('a writable REPORT_DIR passes the check: the worker goes on to Temporal', async () => {
    const r = await start({ REPORT_DIR: mkdtempSync(join(tmpdir(), 'koophone-startup-')) });
    assert.ok(r.connected > 0, `it connected to the (fake) Temporal server: ${r.output}`);
    assert.doesNotMatch(r.output, /cannot be written/);
  });
});
