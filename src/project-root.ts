import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

// The same code runs from src/ (tsx) and from dist/ (built): walk up to the package.json.
function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
  return dir;
}

export const projectRoot = findRoot(__dirname);
