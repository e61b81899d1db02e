// The workflow bundle `npm run build` makes (npm test's pretest runs it): a worker loads it only
// while every file it was built from is unchanged, and says so otherwise.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkWorkflowBundle, loadWorkflowBundle, WORKFLOW_BUNDLE_FILE } from '../../src/prebuilt-bundle';
import { projectRoot } from '../../src/project-root';

const MARK = '//# koophone-reset-workflow-bundle=';
type Manifest = { bundler: string; sources: Record<string, string>; compiled: Record<string, string> };

/** The manifest the bundle's marker line records (its format is part of what is tested). */
function manifestOf(code: string): Manifest {
  const at = code.lastIndexOf(MARK);
  assert.ok(at > 0, 'the bundle records its sources');
  return JSON.parse(
    Buffer.from(code.slice(at + MARK.length, code.indexOf('\n', at)), 'base64').toString(),
  ) as Manifest;
}

function withManifest(code: string, manifest: Manifest): string {
  const at = code.lastIndexOf(MARK);
  const end = code.indexOf('\n', at);
  return `${code.slice(0, at)}${MARK}${Buffer.from(JSON.stringify(manifest)).toString('base64')}${code.slice(end)}`;
}

const warnings: string[] = [];
const logger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => void warnings.push(message),
  error: () => undefined,
};

describe('the prebuilt workflow bundle', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'koophone-prebuilt-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const code = readFileSync(WORKFLOW_BUNDLE_FILE, 'utf8');
  const manifest = manifestOf(code);

  it("records the workflow sources, their dist/ files and the node_modules it holds, not zod's CommonJS build", () => {
    const sources = Object.keys(manifest.sources);
    for (const file of [
      'src/workflows/index.ts',
      'src/workflows/engine/campaign-engine.ts',
      'src/campaign/options.ts',
    ])
      assert.ok(sources.includes(file), file);
    assert.ok(Object.keys(manifest.compiled).includes('dist/workflows/index.js'));
    assert.ok(sources.some((f) => f.startsWith('node_modules/@temporalio/workflow/')));
    // Activities are imported as types only: none of their code is in the bundle.
    assert.ok(!sources.some((f) => f.startsWith('src/activities/')), 'no activity code');
    // Bundled from ES imports: zod's locales and its CommonJS files (tsc's require('zod')) stay out.
    const zod = sources.filter((f) => f.startsWith('node_modules/zod/'));
    assert.deepEqual(
      zod.filter((f) => f.includes('/locales/')),
      ['node_modules/zod/v4/locales/en.js'],
    );
    assert.deepEqual(
      zod.filter((f) => f.endsWith('.cjs')),
      [],
    );
  });

  it('maps its code to the sources by position, without carrying their text', () => {
    const at = code.lastIndexOf('//# sourceMappingURL=data:');
    const map = JSON.parse(
      Buffer.from(code.slice(code.indexOf('base64,', at) + 'base64,'.length).trim(), 'base64').toString(),
    ) as { sources: string[]; mappings: string; sourcesContent?: unknown };
    assert.ok(map.sources.some((s) => s.endsWith('src/workflows/engine/campaign-engine.ts')));
    assert.ok(map.mappings.length > 100_000);
    assert.equal(map.sourcesContent, undefined);
  });

  it('is fresh while every recorded file is as built, and names the file that changed or went', () => {
    // A copy of the project holding exactly the recorded files.
    const root = join(tmp, 'project');
    for (const file of [...Object.keys(manifest.sources), ...Object.keys(manifest.compiled)]) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      copyFileSync(join(projectRoot, file), join(root, file));
    }
    for (const from of ['sources', 'compiled'] as const)
      assert.deepEqual(checkWorkflowBundle(WORKFLOW_BUNDLE_FILE, { root, from }), { fresh: true }, from);

    writeFileSync(join(root, 'src/campaign/windows.ts'), '// edited\n', { flag: 'a' });
    assert.deepEqual(checkWorkflowBundle(WORKFLOW_BUNDLE_FILE, { root, from: 'sources' }), {
      fresh: false,
      reason: 'src/campaign/windows.ts changed since it was built',
    });
    // A worker running built compares dist/, which tsc has not rebuilt yet.
    assert.deepEqual(checkWorkflowBundle(WORKFLOW_BUNDLE_FILE, { root, from: 'compiled' }), { fresh: true });
    writeFileSync(join(root, 'dist/campaign/windows.js'), '// edited\n', { flag: 'a' });
    rmSync(join(root, 'dist/campaign/options.js'));
    assert.deepEqual(checkWorkflowBundle(WORKFLOW_BUNDLE_FILE, { root, from: 'compiled' }), {
      fresh: false,
      reason: 'dist/campaign/options.js, dist/campaign/windows.js changed since it was built',
    });
    const zod = Object.keys(manifest.sources).find((f) => f.startsWith('node_modules/zod/'))!;
    writeFileSync(join(root, zod), '// upgraded\n', { flag: 'a' });
    const check = checkWorkflowBundle(WORKFLOW_BUNDLE_FILE, { root, from: 'sources' });
    assert.ok(!check.fresh && check.reason.includes(zod), JSON.stringify(check));
  });

  it('refuses a WORKFLOW_BUNDLE of other workflow code, or with no record of its sources', async () => {
    const stale = join(tmp, 'stale-bundle.js');
    writeFileSync(
      stale,
      withManifest(code, {
        ...manifest,
        sources: { ...manifest.sources, 'src/workflows/index.ts': '0'.repeat(64) },
      }),
    );
    await assert.rejects(loadWorkflowBundle(logger, stale), (err: Error) => {
      assert.match(
        err.message,
        /is not this worker's workflow code: src\/workflows\/index\.ts changed since it was built/,
      );
      assert.match(err.message, /rebuild it with `npm run build`, or unset WORKFLOW_BUNDLE/);
      return true;
    });
    const unrecorded = join(tmp, 'plain-bundle.js');
    writeFileSync(
      unrecorded,
      code.slice(0, code.lastIndexOf(MARK)) + code.slice(code.indexOf('\n', code.lastIndexOf(MARK)) + 1),
    );
    await assert.rejects(loadWorkflowBundle(logger, unrecorded), /records no sources/);
    const otherSdk = join(tmp, 'other-sdk-bundle.js');
    writeFileSync(otherSdk, withManifest(code, { ...manifest, bundler: '0.0.1' }));
    await assert.rejects(loadWorkflowBundle(logger, otherSdk), /bundled by @temporalio\/worker 0\.0\.1/);
    assert.deepEqual(warnings, []);
  });

  it('outdated or missing where npm run build puts it: said in a warning, and the workflows bundled now', async () => {
    const outdated = join(tmp, 'outdated-bundle.js');
    writeFileSync(
      outdated,
      withManifest(code, {
        ...manifest,
        sources: { ...manifest.sources, 'src/campaign/windows.ts': '0'.repeat(64) },
      }),
    );
    const bundled = await loadWorkflowBundle(logger, undefined, outdated);
    assert.ok('code' in bundled && bundled.code.includes('resetCampaign'), 'bundled from the sources');
    assert.ok(!('codePath' in bundled));
    assert.deepEqual(warnings, [
      `the workflow bundle ${outdated} is not this worker's workflow code: src/campaign/windows.ts changed since it was built; bundling the workflows now (seconds) — \`npm run build\` rebuilds it`,
    ]);
    warnings.length = 0;
    const missing = join(tmp, 'no-such-bundle.js');
    assert.ok('code' in (await loadWorkflowBundle(logger, undefined, missing)));
    assert.deepEqual(warnings, [
      `no workflow bundle at ${missing}: bundling the workflows now (seconds) — \`npm run build\` builds it`,
    ]);
    warnings.length = 0;
  });

  it('is what a worker loads by default when it matches the sources', async () => {
    assert.deepEqual(await loadWorkflowBundle(logger), { codePath: WORKFLOW_BUNDLE_FILE });
    assert.deepEqual(warnings, []);
  });
});
