import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../src/project-root';
import { campaignSearchAttributes } from '../../src/temporal/search-attributes';
import { DYNAMIC_CONFIG_FILE, SERVER_CONFIG_FILE } from '../cluster/layout';
import { composeConfig, composeRun, SECRETS, TEMPORAL_SERVICES } from './helpers/compose';
import { TEMPORAL_SERVER_VERSION } from '../../scripts/temporal-server';
import { CAMPAIGN_WORKFLOW } from '../../src/campaign/campaign-workflow';
import { checkWorkflowBundle, WORKFLOW_BUNDLE_FILE } from '../../src/prebuilt-bundle';

const file = (name: string) => readFileSync(join(projectRoot, name), 'utf8');
function seconds(duration: string | undefined): number {
  const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration ?? '');
  return m ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : 0;
}

describe('deployment files', () => {
  const scripts = (JSON.parse(file('package.json')) as { scripts: Record<string, string> }).scripts;

  it('docker-compose.yml validates; ports on 127.0.0.1 only; a scalable worker on the PostgreSQL sink', () => {
    const { services } = composeConfig();
    for (const name of [
      'postgresql',
      'temporal-schema',
      ...Object.keys(TEMPORAL_SERVICES),
      'temporal-setup',
      'temporal-ui',
      'worker',
      'simulator',
      'cli',
    ]) {
      assert.ok(services[name], `service ${name}`);
    }
    assert.match(services.temporal!.image ?? '', /^temporalio\/server:/);
    assert.match(services['temporal-ui']!.image ?? '', /^temporalio\/ui:/);
    assert.match(services['temporal-setup']!.image ?? '', /^temporalio\/admin-tools:/);
    for (const [name, service] of Object.entries(services)) {
      for (const port of service.ports ?? []) {
        const hostIp = typeof port === 'string' ? port.split(':')[0] : port.host_ip;
        assert.equal(hostIp, '127.0.0.1', `${name} publishes ${JSON.stringify(port)} beyond loopback`);
      }
    }
    const worker = services.worker!;
    assert.ok(worker.build, 'the worker is built from the repository');
    assert.equal(worker.container_name, undefined, 'a fixed container name would forbid --scale worker=N');
    assert.equal(worker.ports, undefined, 'a published host port would forbid --scale worker=N');
    const env = worker.environment ?? {};
    assert.match(env.REPORT_SINK ?? '', /^postgres:\/\/[^@]+@postgresql:5432\/koophone$/);
    assert.equal(env.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.deepEqual(
      worker.expose?.map(String).sort(),
      [env.METRICS_PORT, String(Number(env.METRICS_PORT) + 1)].sort(),
    );
    assert.equal(worker.depends_on?.['temporal-setup']?.condition, 'service_completed_successfully');
    // Docker's stop grace must outlast the worker's own (20 s default), or SIGKILL cuts batches off.
    assert.ok(seconds(worker.stop_grace_period) > 20, `stop_grace_period ${worker.stop_grace_period}`);
    assert.deepEqual(services.simulator!.profiles, ['sim']);
    assert.ok(services.simulator!.command?.includes('0.0.0.0'), 'the simulator listens beyond its container');
    assert.equal(
      services.cli!.environment?.REPORT_SINK,
      env.REPORT_SINK,
      'the CLI reads the sink the workers write',
    );
  });

  it('the Temporal services run the built server version on the same config files as the local cluster', () => {
    const { services } = composeConfig();
    for (const [name, role] of Object.entries(TEMPORAL_SERVICES)) {
      const service = services[name]!;
      assert.equal(service.image, `temporalio/server:${TEMPORAL_SERVER_VERSION}`, name);
      assert.equal(service.environment?.TEMPORAL_SERVICES, role, name);
      const mounted = Object.fromEntries(
        (service.volumes ?? []).map((v) => v.split(':')).map(([source, target]) => [target, source]),
      );
      assert.equal(mounted[service.environment!.TEMPORAL_SERVER_CONFIG_FILE_PATH!], SERVER_CONFIG_FILE, name);
      assert.equal(mounted[service.environment!.DYNAMIC_CONFIG_FILE_PATH!], DYNAMIC_CONFIG_FILE, name);
    }
    for (const name of ['temporal-schema', 'temporal-setup']) {
      assert.equal(services[name]!.image, `temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`, name);
    }
    // The jobs run the scripts cluster:up runs.
    const cluster = file('scripts/cluster.ts');
    for (const script of ['deploy/temporal/setup-schema.sh', 'deploy/temporal/setup-namespace.sh']) {
      assert.ok(cluster.includes(script), `cluster.ts runs ${script}`);
    }
    assert.ok(
      services['temporal-schema']!.volumes?.some((v) =>
        v.startsWith(join(projectRoot, 'deploy/temporal/setup-schema.sh')),
      ),
    );
    assert.ok(
      services['temporal-setup']!.volumes?.some((v) =>
        v.startsWith(join(projectRoot, 'deploy/temporal/setup-namespace.sh')),
      ),
    );
  });

  it('no auto-setup image, every image pinned, healthchecks, memory limits and log rotation', () => {
    const { services } = composeConfig();
    for (const [name, service] of Object.entries(services)) {
      const image = service.image ?? '';
      assert.doesNotMatch(image, /auto-setup/, name);
      assert.match(image, /:[\w.-]+$/, `${name}: ${image} has a tag`);
      assert.doesNotMatch(image, /:latest$/, name);
      assert.equal(service.logging?.driver, 'json-file', name);
      assert.ok(
        service.logging?.options?.['max-size'] && service.logging.options['max-file'],
        `${name} rotates its log`,
      );
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        assert.ok(
          ['service_healthy', 'service_completed_successfully'].includes(condition),
          `${name} waits for ${dependency} to be ${condition}`,
        );
      }
      if (service.restart !== 'unless-stopped') continue;
      assert.ok(service.healthcheck?.test, `${name} runs long and has a healthcheck`);
      assert.ok(service.mem_limit, `${name} has a memory limit`);
    }
    assert.equal(services.worker!.mem_limit, '512m');
    assert.match(services.worker!.healthcheck!.test.join(' '), /9464\/healthz/);
    assert.equal(services.worker!.environment?.METRICS_PORT, '9464');
  });

  it('config fails when a secret is unset, and no secret has a default', () => {
    for (const name of Object.keys(SECRETS)) {
      const run = composeRun({ ...SECRETS, [name]: undefined });
      assert.notEqual(run.status, 0, `config passes without ${name}`);
      assert.match(run.stderr, new RegExp(`set ${name}`));
    }
    const text = file('docker-compose.yml');
    for (const name of [...Object.keys(SECRETS), 'KOOPHONE_TOKEN', 'KOOPHONE_IAM_PASSWORD']) {
      assert.doesNotMatch(text, new RegExp(`\\$\\{${name}:-[^}]`), `${name} has a default value`);
    }
  });

  it('the compose setup registers exactly the search attributes the workflows upsert', () => {
    const script = file('deploy/temporal/setup-namespace.sh');
    const listed = Object.fromEntries(
      [...script.matchAll(/\b(Campaign\w+)=(\w+)/g)].map((m) => [m[1], m[2]]),
    );
    assert.deepEqual(listed, campaignSearchAttributes);
  });

  it('the Dockerfile is multi-stage and non-root, and its commands exist in package.json and dist', () => {
    const dockerfile = file('Dockerfile');
    const stages = dockerfile.split(/^FROM /m).slice(1);
    assert.ok(stages.length >= 2, 'multi-stage');
    // Node 24 (LTS), pinned to a release: Node 20 reached its end of life in April 2026.
    assert.match(dockerfile, /^ARG NODE_VERSION=24\.\d+\.\d+$/m);
    const [build, runtime] = [stages[0]!, stages[stages.length - 1]!];
    assert.match(build, /RUN npm ci\b/);
    assert.match(runtime, /RUN npm ci --omit=dev\b/, 'production dependencies only in the image');
    assert.doesNotMatch(runtime, /npm run build/);
    const user = /^USER (\S+)/m.exec(runtime)?.[1];
    assert.ok(user && user !== 'root' && user !== '0', `runtime user: ${user}`);
    for (const [, script] of dockerfile.matchAll(/npm run ([\w:-]+)/g)) {
      assert.ok(scripts[script!], `Dockerfile runs "npm run ${script}", missing from package.json scripts`);
    }
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runtime)?.[1] ?? 'null') as string[] | null;
    assert.deepEqual(cmd, ['node', 'dist/cli/index.js', 'worker']);
    // dist/cli/index.js is what `npm run build` (tsc, rootDir src) makes of src/cli/index.ts.
    assert.ok(existsSync(join(projectRoot, 'src/cli/index.ts')));
    assert.match(file('tsconfig.build.json'), /"rootDir":\s*"src"/);
    // The build stage's `npm run build` writes dist/workflow-bundle.js, the bundle a worker loads
    // by default: no WORKFLOW_BUNDLE to keep in step.
    assert.match(build, /RUN npm run build\b/);
    assert.doesNotMatch(runtime, /WORKFLOW_BUNDLE/);
    const ignore = file('.dockerignore').split('\n');
    for (const entry of ['node_modules', 'dist', '.temporal', '.git', '.env'])
      assert.ok(ignore.includes(entry), `.dockerignore: ${entry}`);
  });

  it('the built CLI has the worker command, and npm run build made the workflow bundle', () => {
    const cli = join(projectRoot, 'dist/cli/index.js');
    assert.ok(existsSync(cli), 'dist/cli/index.js is missing: run `npm run build` (npm test does)');
    assert.ok(
      statSync(cli).mtimeMs >= statSync(join(projectRoot, 'src/cli/index.ts')).mtimeMs,
      'dist is older than src: run `npm run build`',
    );
    const help = execFileSync(process.execPath, [cli, 'worker', '--help'], { encoding: 'utf8' });
    assert.match(help, /Usage: .*worker/);
    const code = readFileSync(WORKFLOW_BUNDLE_FILE, 'utf8');
    assert.ok(
      code.length > 100_000 && code.includes(CAMPAIGN_WORKFLOW),
      'the bundle holds the campaign workflow',
    );
    // As the image's worker checks it (from dist/) and as the tests' workers do (from src/).
    assert.deepEqual(checkWorkflowBundle(WORKFLOW_BUNDLE_FILE, { from: 'compiled' }), { fresh: true });
    assert.deepEqual(checkWorkflowBundle(WORKFLOW_BUNDLE_FILE, { from: 'sources' }), { fresh: true });
  });

  it('the example scrape config targets both metrics ports of every worker', () => {
    const prometheus = file('deploy/prometheus/prometheus.yml');
    assert.match(prometheus, /port: 9464/);
    assert.match(prometheus, /port: 9465/);
    assert.match(prometheus, /names: \[worker\]/);
  });
});
