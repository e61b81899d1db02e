import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { projectRoot } from '../../../src/project-root';

export const PROFILES = ['--profile', 'sim', '--profile', 'cli', '--profile', 'metrics'];
/** The secrets compose requires, with dummy values: `config` refuses to render without them. */
export const SECRETS = { POSTGRES_PASSWORD: 'dummy-pg', KOOPHONE_DB_PASSWORD: 'dummy-sink' };

export interface ComposeService {
  image?: string;
  build?: unknown;
  container_name?: string;
  ports?: (string | { host_ip?: string; published?: number | string })[];
  expose?: string[];
  environment?: Record<string, string>;
  profiles?: string[];
  command?: string[];
  entrypoint?: string[];
  stop_grace_period?: string;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  mem_limit?: string;
  volumes?: string[];
  logging?: { driver: string; options?: Record<string, string> };
}

export function composeRun(secrets: Record<string, string | undefined>) {
  const env: NodeJS.ProcessEnv = { ...process.env, COMPOSE_PROJECT_NAME: 'koophone-check' };
  for (const [name, value] of Object.entries(secrets)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return spawnSync('docker-compose', [...PROFILES, 'config'], { cwd: projectRoot, encoding: 'utf8', env });
}

/** `docker-compose config` (the Debian package), as JSON through the PyYAML it depends on. */
export function composeConfig(secrets: Record<string, string | undefined> = SECRETS): {
  services: Record<string, ComposeService>;
} {
  const which = spawnSync('sh', ['-c', 'command -v docker-compose'], { encoding: 'utf8' });
  if (which.status !== 0) {
    throw new Error(
      'docker-compose is not installed: `apt-get update && apt-get install -y docker-compose` (.ci/run does this)',
    );
  }
  const run = composeRun(secrets);
  assert.equal(run.status, 0, `docker-compose config failed:\n${run.stderr}`);
  const json = execFileSync(
    'python3',
    ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'],
    { input: run.stdout, encoding: 'utf8' },
  );
  return JSON.parse(json) as { services: Record<string, ComposeService> };
}

/** The Temporal server services, one container each, like the local cluster's processes. */
export const TEMPORAL_SERVICES = {
  temporal: 'frontend',
  'temporal-history': 'history',
  'temporal-matching': 'matching',
  'temporal-worker': 'worker',
};
