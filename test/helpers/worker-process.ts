import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root';
import { workflowBundle } from './campaign-env';

/** A real `koophone-reset worker` process (tsx on the sources), for crash tests. */
export function spawnWorker(env: Record<string, string>): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'src', 'worker.ts')], {
    cwd: projectRoot,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

let bundlePath: Promise<string> | undefined;

/**
 * The workflows bundled once for the test file and written where WORKFLOW_BUNDLE can point:
 * worker processes then start in about a second instead of each running webpack.
 */
export function prebuiltBundlePath(): Promise<string> {
  bundlePath ??= workflowBundle().then(({ code }) => {
    const path = join(mkdtempSync(join(tmpdir(), 'koophone-bundle-')), 'workflow-bundle.js');
    writeFileSync(path, code);
    return path;
  });
  return bundlePath;
}
