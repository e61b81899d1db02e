import { execFileSync, spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../../src/temporal/free-port';

export interface TestPostgres {
  /** postgres://koophone:<password>@127.0.0.1:<port>/koophone */
  url: string;
  password: string;
  port: number;
  stop(): void;
  /** Stops the server (fast shutdown: sessions are ended), keeping its data: an outage. */
  halt(): void;
  /** Starts it again on the same port with the same data: the outage is over. */
  restart(): void;
}

const INSTALL_HINT =
  'install the Debian package `postgresql` (`apt-get update && apt-get install -y postgresql`; .ci/run does this) or set PG_BIN to the folder holding initdb and pg_ctl';

/** The folder with initdb and pg_ctl: PG_BIN, Debian's /usr/lib/postgresql/<newest>/bin, or PATH. */
export function postgresBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) candidates.push(onPath.replace(/\/initdb$/, ''));
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found) throw new Error(`PostgreSQL server binaries (initdb, pg_ctl) not found: ${INSTALL_HINT}`);
  return found;
}

/**
 * A throwaway PostgreSQL cluster for one test file: initdb into a temp folder, a free loopback
 * port, password authentication (so tests can check the password never leaks), no fsync. The
 * server refuses to run as root, so as root it runs as the `postgres` user the Debian package
 * creates. Always stopped: by stop(), and on process exit if a test forgot.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    try {
      owner = {
        uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
        gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
      };
    } catch {
      throw new Error(
        `running as root and there is no "postgres" user to run the server as: ${INSTALL_HINT}`,
      );
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'koophone-pg-'));
  const data = join(dir, 'data');
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  writeFileSync(join(dir, 'pwfile'), `${password}\n`, { mode: 0o600 });
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(join(dir, 'pwfile'), owner.uid, owner.gid);
  }
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]]
      : [join(bin, cmd), args];
    const r = spawnSync(file, argv, { encoding: 'utf8', cwd: dir, timeout: 60_000 });
    if (r.status !== 0) {
      const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '';
      throw new Error(
        `${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}\n${log}`,
      );
    }
  };
  run('initdb', [
    '-D',
    data,
    '-U',
    'koophone',
    `--pwfile=${join(dir, 'pwfile')}`,
    '--auth=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
    '--no-instructions',
  ]);
  const port = await freePort();
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses='127.0.0.1'",
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=60',
  ].join(' ');
  const startServer = () =>
    run('pg_ctl', ['-D', data, '-o', settings, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  startServer();

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stop);
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  process.on('exit', stop);

  try {
    const admin = new Client({ host: '127.0.0.1', port, user: 'koophone', password, database: 'postgres' });
    await admin.connect();
    await admin.query('CREATE DATABASE koophone');
    await admin.end();
  } catch (err) {
    stop();
    throw err;
  }
  return {
    url: `postgres://koophone:${password}@127.0.0.1:${port}/koophone`,
    password,
    port,
    stop,
    halt: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    restart: startServer,
  };
}
