// `npm run setup:temporal-server`: builds the pinned Temporal server and its SQL schema tool from
// the Go module proxy into this machine's cache (scripts/temporal-server.ts), for the local
// multi-service cluster (scripts/cluster.ts). Returns at once when that version is built and its
// schemas are in Go's module cache. The first build takes ~8 min on 2 cores (README,
// "Production"); Go's own caches (GOCACHE, GOMODCACHE, in the home folder) make a rebuild quick.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  TEMPORAL_SERVER_MODULE,
  TEMPORAL_SERVER_VERSION,
  temporalServerBuild,
  temporalServerSchemaDir,
} from './temporal-server';

const build = temporalServerBuild();

function go(args: string[], env: Record<string, string> = {}): void {
  const r = spawnSync('go', args, {
    cwd: build.dir,
    env: { ...process.env, GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.error)
    throw new Error(`setup:temporal-server: Go is needed to build the server (${r.error.message})`);
  if (r.status !== 0) throw new Error(`setup:temporal-server: go ${args.join(' ')} failed`);
}

function main(): void {
  mkdirSync(build.dir, { recursive: true });
  const version = `${TEMPORAL_SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}`;
  if (existsSync(build.server) && existsSync(build.sqlTool)) {
    // The cluster also reads the schemas from Go's module cache, which can be cleaned on its own.
    if (!existsSync(temporalServerSchemaDir())) go(['mod', 'download', version]);
    console.log(
      `setup:temporal-server: Temporal server ${TEMPORAL_SERVER_VERSION} already built in ${build.dir}`,
    );
    return;
  }
  const started = Date.now();
  console.log(
    `setup:temporal-server: go install ${version} (cmd/server, cmd/tools/sql) into ${build.dir}; minutes on a cold cache`,
  );
  // Built beside, then moved in: a build cut short (or a second one at once) leaves no half binary.
  const gobin = join(build.dir, `gobin-${process.pid}`);
  rmSync(gobin, { recursive: true, force: true });
  try {
    go(
      [
        'install',
        `${TEMPORAL_SERVER_MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
        `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
      ],
      { GOBIN: gobin },
    );
    renameSync(join(gobin, 'sql'), build.sqlTool);
    renameSync(join(gobin, 'server'), build.server);
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
  console.log(
    `setup:temporal-server: built ${build.server} and ${build.sqlTool} in ${Math.round((Date.now() - started) / 1000)} s`,
  );
}

try {
  main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
