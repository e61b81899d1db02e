import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { composeConfig, TEMPORAL_SERVICES } from '../production/helpers/compose';
import { SERVER_CONFIG_FILE } from './layout';
import { temporalServerBuild } from '../../scripts/temporal-server';

const { server } = temporalServerBuild();

/** The server's own rendering of deploy/temporal/server.yaml with a given environment. */
function render(env: Record<string, string>) {
  // render-config reads <config dir>/development.yaml (relative to the working directory), not
  // --config-file.
  const dir = mkdtempSync(join(tmpdir(), 'koophone-server-config-'));
  copyFileSync(SERVER_CONFIG_FILE, join(dir, 'development.yaml'));
  return spawnSync(server, ['--config', basename(dir), 'render-config'], {
    cwd: tmpdir(),
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
}

// The server.yaml compose mounts renders, with each container's environment, into a config
// that reaches compose's PostgreSQL and frontend (the local cluster runs it on every start).
describe('deploy/temporal/server.yaml in the compose containers', () => {
  it('renders with every Temporal service environment of docker-compose.yml', () => {
    const { services } = composeConfig();
    for (const name of Object.keys(TEMPORAL_SERVICES)) {
      // The image's entrypoint sets BIND_ON_IP to the container's address.
      const run = render({ ...services[name]!.environment, BIND_ON_IP: '172.18.0.5' });
      assert.equal(run.status, 0, `${name}: ${run.stdout}${run.stderr}`);
      assert.match(run.stdout, /connectAddr: postgresql:5432/, name);
      assert.match(run.stdout, /bindOnIP: 172\.18\.0\.5/, name);
      assert.match(run.stdout, /rpcAddress: temporal:7233/, name);
      assert.match(run.stdout, /numHistoryShards: 4/, name);
      assert.match(run.stdout, /filepath: \/etc\/temporal\/config\/dynamicconfig\/koophone\.yaml/, name);
    }
  });

  it('refuses to render without the database password', () => {
    const { services } = composeConfig();
    const env = { ...services['temporal-history']!.environment };
    delete env.POSTGRES_PWD;
    const run = render(env);
    assert.notEqual(run.status, 0);
    assert.match(run.stdout + run.stderr, /POSTGRES_PWD is required/);
  });
});
