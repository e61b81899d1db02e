import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../src/project-root';

/** Every workflow source file, recursively. */
function workflowSources(dir = join(projectRoot, 'src', 'workflows')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? workflowSources(join(dir, e.name)) : e.name.endsWith('.ts') ? [readFileSync(join(dir, e.name), 'utf8')] : [],
  );
}

/**
 * The patch ids the workflows use: literal ids given to `patched(…)` / `deprecatePatch(…)` or to
 * the engine's `.patch(…)`, and constants given to them (`const X = 'id'` … `patched(X)`).
 */
function patchIdsInCode(): Set<string> {
  const ids = new Set<string>();
  for (const code of workflowSources()) {
    for (const m of code.matchAll(/\b(?:patched|deprecatePatch|\.patch)\(\s*'([^']+)'/g)) ids.add(m[1]!);
    for (const m of code.matchAll(/\b(?:patched|deprecatePatch|\.patch)\(\s*([A-Z_][A-Z0-9_]*)\s*\)/g)) {
      const declared = new RegExp(`const ${m[1]} = '([^']+)'`).exec(code);
      assert.ok(declared, `patch constant ${m[1]} is declared in the file that uses it`);
      ids.add(declared[1]!);
    }
  }
  return ids;
}

/** The ids of docs/campaign-engine.md's patch table (its first column). */
function patchIdsInDocs(): Set<string> {
  const doc = readFileSync(join(projectRoot, 'docs', 'campaign-engine.md'), 'utf8');
  return new Set([...doc.matchAll(/^\| `([a-z0-9-]+)` \| `\w+` \|/gm)].map((m) => m[1]!));
}

describe('the patch list', () => {
  it('docs/campaign-engine.md names every patch id of the workflows, and no other', () => {
    const code = [...patchIdsInCode()].sort();
    assert.ok(code.length >= 10, `found ${code.length} patch ids: the scan is broken`);
    assert.deepEqual([...patchIdsInDocs()].sort(), code);
  });
});
