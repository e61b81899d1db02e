import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { projectRoot } from '../../src/project-root';

// docs/architecture.md draws src/ as rooms with arrows one way. Lint forbids the wrong arrows one
// by one (import-zones.test.ts); this reads every import of src/ (type-only ones too) and checks
// that the rooms, taken together, have no cycle.

const SRC = join(projectRoot, 'src');

/** The workflows' message types are a room of their own: clients and activities use them, not workflow code. */
const MESSAGE_TYPES = new Set(['workflows/definitions.ts', 'workflows/account-definitions.ts']);

/** A file's room: its folder under src/ (a file at the top is a room of its own), or the message types. */
function roomOf(file: string): string {
  const path = relative(SRC, file).split('\\').join('/');
  if (MESSAGE_TYPES.has(path)) return 'workflows (message types)';
  const [first] = path.split('/');
  return first!.replace(/\.ts$/, '');
}

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The src/ files `file` imports, by `import`, `import type`, `export … from` or `import()`. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => {
      const base = resolve(dirname(file), name);
      const found = [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
      assert.ok(found, `${relative(projectRoot, file)} imports ${name}, which resolves to no file`);
      return found;
    });
}

/** Room → rooms it imports, each arrow with one import that draws it (for the message). */
function roomGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sources()) {
    const from = roomOf(file);
    for (const target of importsOf(file)) {
      const to = roomOf(target);
      if (to === from) continue;
      const arrows = graph.get(from) ?? new Map<string, string>();
      if (!arrows.has(to)) arrows.set(to, `${relative(SRC, file)} -> ${relative(SRC, target)}`);
      graph.set(from, arrows);
    }
  }
  return graph;
}

/** Every cycle met by a depth-first walk, each as its arrows (empty: none). */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const walk = (room: string, path: string[]): void => {
    state.set(room, 'open');
    for (const next of graph.get(room)?.keys() ?? []) {
      if (state.get(next) === 'open') {
        const loop = [...path.slice(path.indexOf(next)), next];
        found.push(loop.slice(1).map((to, i) => graph.get(loop[i]!)!.get(to)!));
      } else if (!state.has(next)) walk(next, [...path, next]);
    }
    state.set(room, 'done');
  };
  for (const room of graph.keys()) if (!state.has(room)) walk(room, [room]);
  return found;
}

describe('the rooms of src/ (docs/architecture.md)', () => {
  it('import one another without a cycle, type-only imports included', () => {
    const graph = roomGraph();
    assert.ok(graph.get('workflows')?.has('campaign'), 'the graph is read (workflows import the domain)');
    assert.deepEqual(cycles(graph), []);
  });

  it('finds a cycle where there is one', () => {
    const graph = new Map([
      ['campaign', new Map([['workflows', 'campaign/x.ts -> workflows/y.ts']])],
      ['workflows', new Map([['campaign', 'workflows/y.ts -> campaign/x.ts']])],
    ]);
    assert.deepEqual(cycles(graph), [['campaign/x.ts -> workflows/y.ts', 'workflows/y.ts -> campaign/x.ts']]);
  });
});
