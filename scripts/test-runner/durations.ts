import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root';
import { userCacheDir } from '../cache-dir';

/** Each test file's wall time in its last run (ms), by path from the project root. */
export type Durations = Record<string, number>;

const file = () => join(userCacheDir(), 'test-durations.json');

/** The durations the last runs on this machine left; none on a new machine. */
export function loadDurations(): Durations {
  try {
    return JSON.parse(readFileSync(file(), 'utf8')) as Durations;
  } catch {
    return {};
  }
}

/**
 * Keeps this run's durations beside the older ones (a run of a few files forgets no others), and
 * forgets files that are gone.
 */
export function saveDurations(measured: Durations): void {
  const path = file();
  mkdirSync(join(path, '..'), { recursive: true });
  const kept = Object.entries({ ...loadDurations(), ...measured }).filter(([f]) =>
    existsSync(join(projectRoot, f)),
  );
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(Object.fromEntries(kept), null, 1)}\n`);
  renameSync(tmp, path);
}
