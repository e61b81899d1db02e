// A real Temporal cluster on this machine: PostgreSQL (Debian's server binaries, data in
// .data/cluster/, loopback only, non-default ports), the schemas made by temporal-sql-tool, and
// the server built by `npm run setup:temporal-server` run as four separate processes (frontend,
// history, matching, worker) on deploy/temporal/server.yaml and dynamicconfig.yaml, the files
// docker-compose.yml mounts. The namespace and search attributes are set up by
// deploy/temporal/setup-namespace.sh through the operator service, as compose's job does.
//
//   npm run cluster:up      start what is missing (idempotent; restarts a dead service)
//   npm run cluster:down    stop the services and PostgreSQL (data kept; --purge deletes it)
//   npm run cluster:status  one line per process
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { projectRoot } from '../src/project-root';
import { requireTemporalCli } from '../src/temporal/locate-cli';
import { postgresBinDir } from '../test/production/helpers/postgres';
import { clusterLayout, SERVICES, type ClusterService } from '../test/cluster/layout';
import { temporalServerBuild, temporalServerSchemaDir } from './temporal-server';

const layout = clusterLayout();
const { server: serverBin, sqlTool } = temporalServerBuild();
const pgData = join(layout.dir, 'postgres');
const runDir = join(layout.dir, 'run');
const logDir = join(layout.dir, 'logs');
const asRoot = process.getuid?.() === 0;

function log(message: string): void {
  console.log(`cluster: ${message}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The service's process id from its PID file, if that process still runs the server. */
function runningPid(service: ClusterService): number | undefined {
  const file = join(runDir, `${service}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8'));
  if (!Number.isInteger(pid) || !alive(pid)) return undefined;
  // A recycled pid would belong to another program: check it is a Temporal server for this service
  // (by name: one started from an older build's folder is still ours to stop).
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  return basename(cmdline[0] ?? '') === basename(serverBin) && cmdline.includes(service) ? pid : undefined;
}

function postgres(cmd: string, args: string[]): void {
  const path = join(postgresBinDir(), cmd);
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
  const r = spawnSync(file, argv, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
}

function postgresRunning(): boolean {
  const path = join(postgresBinDir(), 'pg_ctl');
  const args = ['-D', pgData, 'status'];
  const r = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', path, ...args]) : spawnSync(path, args);
  return r.status === 0;
}

function startPostgres(): void {
  mkdirSync(layout.dir, { recursive: true });
  if (!existsSync(join(pgData, 'PG_VERSION'))) {
    const pwfile = join(layout.dir, 'pwfile');
    writeFileSync(pwfile, `${layout.secrets.temporalPassword}\n`, { mode: 0o600 });
    mkdirSync(pgData, { recursive: true, mode: 0o700 });
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
      for (const path of [pgData, pwfile]) chownSync(path, uid, gid);
    }
    // The superuser is Temporal's role, as POSTGRES_USER makes it in the compose PostgreSQL.
    postgres('initdb', [
      '-D',
      pgData,
      '-U',
      'temporal',
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-instructions',
    ]);
    rmSync(pwfile);
    log(`initialised PostgreSQL in ${pgData}`);
  }
  if (postgresRunning()) return;
  // Four services × (20 default + 10 visibility) connections, the sink and the tests.
  const settings = `-p ${layout.postgresPort} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=250`;
  postgres('pg_ctl', [
    '-D',
    pgData,
    '-o',
    settings,
    '-l',
    join(pgData, 'server.log'),
    '-w',
    '-t',
    '60',
    'start',
  ]);
  log(`PostgreSQL on 127.0.0.1:${layout.postgresPort}`);
}

function psql(database: string, sql: string): string {
  return execFileSync(
    'psql',
    ['-h', '127.0.0.1', '-p', String(layout.postgresPort), '-U', 'temporal', '-d', database, '-tAc', sql],
    {
      encoding: 'utf8',
      env: { ...process.env, PGPASSWORD: layout.secrets.temporalPassword },
    },
  ).trim();
}

/** Both stores created and migrated by the script compose's temporal-schema job runs. */
function migrateSchemas(): void {
  const schemaRoot = temporalServerSchemaDir();
  if (!existsSync(schemaRoot))
    throw new Error(`${schemaRoot} missing: run \`npm run setup:temporal-server\``);
  const run = spawnSync('sh', [join(projectRoot, 'deploy/temporal/setup-schema.sh')], {
    encoding: 'utf8',
    env: {
      ...process.env,
      PATH: `${join(sqlTool, '..')}:${process.env.PATH ?? ''}`,
      TEMPORAL_SCHEMA_DIR: schemaRoot,
      SQL_HOST: '127.0.0.1',
      SQL_PORT: String(layout.postgresPort),
      SQL_USER: 'temporal',
      SQL_PASSWORD: layout.secrets.temporalPassword,
    },
  });
  if (run.status !== 0)
    throw new Error(`deploy/temporal/setup-schema.sh failed:\n${run.stdout}${run.stderr}`);
  if (psql('postgres', "SELECT 1 FROM pg_database WHERE datname = 'koophone'") !== '1') {
    // The report sink's own role and database: the same script the compose PostgreSQL runs.
    execFileSync('sh', [join(projectRoot, 'deploy/postgres/10-koophone-reports.sh')], {
      env: {
        ...process.env,
        PGHOST: '127.0.0.1',
        PGPORT: String(layout.postgresPort),
        PGPASSWORD: layout.secrets.temporalPassword,
        POSTGRES_USER: 'temporal',
        KOOPHONE_DB_PASSWORD: layout.secrets.koophonePassword,
      },
      stdio: 'pipe',
    });
    log('created database and role koophone (report sink)');
  }
}

function startService(service: ClusterService): void {
  mkdirSync(runDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const out = openSync(join(logDir, `${service}.log`), 'a');
  const child = spawn(serverBin, ['--allow-no-auth', 'start', '--service', service], {
    cwd: layout.dir,
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...layout.serverEnv },
  });
  writeFileSync(join(runDir, `${service}.pid`), String(child.pid));
  child.unref();
  log(`started ${service} (pid ${child.pid}, log ${join(logDir, `${service}.log`)})`);
}

async function waitFor(ready: () => boolean, service: ClusterService): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!ready()) {
    if (!runningPid(service))
      throw new Error(`the ${service} service exited: see ${join(logDir, `${service}.log`)}`);
    if (Date.now() > deadline) throw new Error(`the ${service} service did not initialise in 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const temporalCli = () => requireTemporalCli().path;

async function waitForHealth(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = spawnSync(temporalCli(), ['operator', 'cluster', 'health', '--address', layout.address], {
      encoding: 'utf8',
    });
    if (r.status === 0 && /SERVING/.test(r.stdout)) return;
    for (const service of SERVICES) {
      if (!runningPid(service))
        throw new Error(`the ${service} service exited: see ${join(logDir, `${service}.log`)}`);
    }
    if (Date.now() > deadline)
      throw new Error(`the frontend at ${layout.address} is not SERVING after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function up(): Promise<void> {
  const started = Date.now();
  if (!existsSync(serverBin) || !existsSync(sqlTool)) {
    throw new Error('the Temporal server is not built: run `npm run setup:temporal-server` first');
  }
  startPostgres();
  migrateSchemas();
  const missing = SERVICES.filter((service) => !runningPid(service));
  for (const [index, service] of missing.entries()) {
    startService(service);
    // On a new database every service would write the cluster metadata at once, and all but one
    // fail on the duplicate key: the first one writes it alone.
    if (index === 0)
      await waitFor(() => psql('temporal', 'SELECT count(*) FROM cluster_metadata_info') !== '0', service);
  }
  await waitForHealth(120_000);
  execFileSync('sh', [join(projectRoot, 'deploy/temporal/setup-namespace.sh')], {
    env: {
      ...process.env,
      PATH: `${join(temporalCli(), '..')}:${process.env.PATH ?? ''}`,
      TEMPORAL_ADDRESS: layout.address,
      TEMPORAL_NAMESPACE: 'default',
    },
    stdio: 'inherit',
  });
  const what = missing.length === 0 ? 'already running' : `started ${missing.join(', ')}`;
  log(`SERVING at ${layout.address} (${what}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  log(`report sink: ${layout.reportSink.replace(layout.secrets.koophonePassword, '***')}`);
}

async function stopService(service: ClusterService): Promise<void> {
  const pid = runningPid(service);
  rmSync(join(runDir, `${service}.pid`), { force: true });
  if (!pid) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 20_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  log(`stopped ${service} (pid ${pid})`);
}

async function down(purge: boolean): Promise<void> {
  // The frontend first, so clients see it go before the services behind it.
  for (const service of ['frontend', 'worker', 'matching', 'history'] as const) await stopService(service);
  if (existsSync(join(pgData, 'PG_VERSION')) && postgresRunning()) {
    postgres('pg_ctl', ['-D', pgData, '-m', 'fast', '-w', 'stop']);
    log('stopped PostgreSQL');
  }
  if (purge) {
    rmSync(layout.dir, { recursive: true, force: true });
    log(`deleted ${layout.dir}`);
  }
}

function status(): void {
  for (const service of SERVICES) {
    const pid = runningPid(service);
    console.log(`${service.padEnd(9)} ${pid ? `running (pid ${pid})` : 'stopped'}`);
  }
  console.log(
    `${'postgres'.padEnd(9)} ${existsSync(join(pgData, 'PG_VERSION')) && postgresRunning() ? 'running' : 'stopped'}`,
  );
}

async function main(): Promise<number> {
  const [command, ...flags] = process.argv.slice(2);
  if (command === 'up') await up();
  else if (command === 'down') await down(flags.includes('--purge'));
  else if (command === 'status') status();
  else {
    console.error('usage: tsx scripts/cluster.ts up | down [--purge] | status');
    return 2;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`cluster: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
