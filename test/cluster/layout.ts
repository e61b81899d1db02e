import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../../src/project-root';

/** The four server services, each its own process (and container in docker-compose.yml). */
export const SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;
export type ClusterService = (typeof SERVICES)[number];

/** The server's config files: docker-compose.yml mounts these same two into every server container. */
export const SERVER_CONFIG_FILE = join(projectRoot, 'deploy/temporal/server.yaml');
export const DYNAMIC_CONFIG_FILE = join(projectRoot, 'deploy/temporal/dynamicconfig.yaml');

const Secrets = z.object({ temporalPassword: z.string().min(16), koophonePassword: z.string().min(16) });

/**
 * Where the local cluster lives and how it is reached, shared by scripts/cluster.ts and the
 * cluster tests. Ports are Temporal's own numbers moved up by CLUSTER_PORT_BASE (27000 by default),
 * so the cluster never clashes with a dev server or a system PostgreSQL on the default ports.
 * Passwords are made on first use and kept in .data/cluster/secrets.json (mode 600, git-ignored).
 */
export function clusterLayout(env: NodeJS.ProcessEnv = process.env) {
  const base = z.coerce
    .number()
    .int()
    .min(1024)
    .max(60000)
    .parse(env.CLUSTER_PORT_BASE ?? 27000);
  const dir = join(projectRoot, '.data', 'cluster');
  const secretsFile = join(dir, 'secrets.json');
  if (!existsSync(secretsFile)) {
    mkdirSync(dir, { recursive: true });
    const secret = () => randomBytes(18).toString('base64url');
    writeFileSync(secretsFile, JSON.stringify({ temporalPassword: secret(), koophonePassword: secret() }), {
      mode: 0o600,
    });
  }
  const secrets = Secrets.parse(JSON.parse(readFileSync(secretsFile, 'utf8')));
  const postgresPort = base + 432;
  const address = `127.0.0.1:${base + 233}`;
  /** The server's environment: what compose sets per container, with ports apart on one host. */
  const serverEnv: Record<string, string> = {
    TEMPORAL_SERVER_CONFIG_FILE_PATH: SERVER_CONFIG_FILE,
    DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG_FILE,
    POSTGRES_SEEDS: '127.0.0.1',
    DB_PORT: String(postgresPort),
    POSTGRES_USER: 'temporal',
    POSTGRES_PWD: secrets.temporalPassword,
    NUM_HISTORY_SHARDS: '4',
    BIND_ON_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    PUBLIC_FRONTEND_ADDRESS: address,
    LOG_LEVEL: 'warn',
    FRONTEND_GRPC_PORT: String(base + 233),
    FRONTEND_HTTP_PORT: String(base + 243),
    FRONTEND_MEMBERSHIP_PORT: String(base + 933),
    HISTORY_GRPC_PORT: String(base + 234),
    HISTORY_MEMBERSHIP_PORT: String(base + 934),
    MATCHING_GRPC_PORT: String(base + 235),
    MATCHING_MEMBERSHIP_PORT: String(base + 935),
    WORKER_GRPC_PORT: String(base + 239),
    WORKER_MEMBERSHIP_PORT: String(base + 939),
  };
  return {
    dir,
    address,
    postgresPort,
    secrets,
    serverEnv,
    /** The PostgreSQL report sink on the cluster's PostgreSQL: its own database and role. */
    reportSink: `postgres://koophone:${secrets.koophonePassword}@127.0.0.1:${postgresPort}/koophone`,
  };
}
