import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { projectRoot } from '../project-root';

/** Where the Temporal CLI was found, for messages that tell the operator which binary ran. */
export interface TemporalCli {
  path: string;
  source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'project';
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the Temporal CLI in the documented order: TEMPORAL_CLI_PATH, `temporal` on PATH, then the
 * project-local install made by `npm run setup:temporal`. Returns undefined when none exists so the
 * caller can decide whether the SDK's own download is an acceptable last resort.
 */
export function locateTemporalCli(env: NodeJS.ProcessEnv = process.env): TemporalCli | undefined {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not an executable file`);
    }
    return { path: explicit, source: 'TEMPORAL_CLI_PATH' };
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'temporal');
    if (isExecutable(candidate)) return { path: candidate, source: 'PATH' };
  }
  for (const candidate of [
    join(projectRoot, '.temporal', 'pip', 'bin', 'temporal'),
    join(projectRoot, '.temporal', 'go-bin', 'temporal'),
  ]) {
    if (existsSync(candidate) && isExecutable(candidate)) return { path: candidate, source: 'project' };
  }
  return undefined;
}

export function requireTemporalCli(env: NodeJS.ProcessEnv = process.env): TemporalCli {
  const cli = locateTemporalCli(env);
  if (!cli) {
    throw new Error(
      'Temporal CLI not found: run `npm run setup:temporal` (installs it into .temporal/), ' +
        'or set TEMPORAL_CLI_PATH, or put `temporal` on PATH.',
    );
  }
  return cli;
}

/** The Java time-skipping test server (a native binary), found like the CLI: env, PATH, project. */
export function locateTestServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TEMPORAL_TEST_SERVER_PATH) return env.TEMPORAL_TEST_SERVER_PATH;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'temporal-test-server'))) return join(dir, 'temporal-test-server');
  }
  const local = join(projectRoot, '.temporal', 'test-server', 'bin', 'temporal-test-server');
  return isExecutable(local) ? local : undefined;
}
