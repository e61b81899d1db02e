// The workflow code as workers load it: bundled ahead of time by `npm run build` (which runs this
// file after tsc) into dist/workflow-bundle.js, so a worker polls within a second of starting
// instead of running webpack first (seconds of CPU and hundreds of MB at every start).
//
// It is bundled from the TypeScript sources (src/workflows): their ES imports let webpack leave out
// what no workflow module imports (zod's CommonJS entry, which tsc's output requires, would bring
// all of zod, locales included). The bundle records the hash of every file it was built from: the
// sources, the dist/ file tsc compiled from each in the same build, and the modules of
// node_modules. A worker checks the files it would bundle itself — src/ when it runs from the
// sources (tsx: `npm run worker`, the tests), dist/ when it runs built (the image has no src/) —
// and never loads a bundle of other workflow code than its own without saying so
// (loadWorkflowBundle below).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import type { Logger } from '@temporalio/common';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleOption } from '@temporalio/worker';
import { projectRoot } from './project-root';

/** Where `npm run build` writes the bundle, and where a worker looks for it. */
export const WORKFLOW_BUNDLE_FILE = join(projectRoot, 'dist', 'workflow-bundle.js');

// A comment line just before the bundle's inline source map (the SDK reads the map from the last
// `//# sourceMappingURL=` to the end, and code lines above it keep their mapped positions).
const MANIFEST_MARK = '//# koophone-reset-workflow-bundle=';
const SOURCE_MAP_MARK = '//# sourceMappingURL=data:';

interface BundleManifest {
  /** @temporalio/worker's version that bundled it: the worker loading it must be the same. */
  bundler: string;
  /** Every module file in the bundle (src/… and node_modules/…), by path from the project root. */
  sources: Record<string, string>;
  /** The dist/….js file tsc compiled from each src/ module in the same build. */
  compiled: Record<string, string>;
}

export type BundleCheck = { fresh: true } | { fresh: false; reason: string };

const toPosix = (path: string) => path.split(sep).join('/');
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const bundlerVersion = () =>
  (
    JSON.parse(readFileSync(require.resolve('@temporalio/worker/package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

/** Whether this process runs the TypeScript sources (tsx) rather than the compiled dist/. */
const runsFromSources = () => __filename.endsWith('.ts');

/** The files a bundle's modules came from, collected as webpack builds it. */
type WebpackPlugin = NonNullable<
  Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0]['plugins']
>[number];
function moduleFiles(into: Set<string>): WebpackPlugin {
  return (compiler) => {
    compiler.hooks.done.tap('koophone-reset-bundle-sources', (stats) => {
      const { chunkGraph, modules } = stats.compilation;
      for (const module of modules) {
        // Modules webpack built but left out (re-exports of side-effect-free packages) are not in it.
        if (chunkGraph.getNumberOfModuleChunks(module) === 0) continue;
        const resource = (module as { resource?: string }).resource;
        // The SDK's generated entry point is a virtual module: no file, made from the bundler's version.
        if (resource && existsSync(resource)) into.add(resource);
      }
    });
  };
}

/**
 * How every bundle of the workflows is made, prebuilt or at a worker's start: the one place for
 * bundler options (a workflow interceptor module goes in `workflowInterceptorModules` here — a
 * worker given a bundle ignores WorkerOptions.interceptors.workflowModules).
 */
/** The workflow interceptors every workflow runs under, beside the workflows' entry (same extension). */
export function interceptorsBeside(workflowsPath: string): string {
  return join(dirname(workflowsPath), `interceptors${extname(workflowsPath)}`);
}

function bundleOptions(workflowsPath: string, logger: Logger, plugins: WebpackPlugin[] = []): BundleOptions {
  return {
    workflowsPath,
    // Never decide on a stale clock (src/workflows/activation-clock.ts).
    workflowInterceptorModules: [interceptorsBeside(workflowsPath)],
    logger,
    webpackConfigHook: (config) => ({
      ...config,
      // Positions without the sources' text (1.3 MB of a 1.7 MB map): stack traces still name
      // file:line:column, and each worker's isolates do not each hold every source file (~38 MB of
      // a worker's idle RSS, bench worker-start); only the UI's stack-trace view shows no code.
      devtool: 'inline-nosources-source-map',
      plugins: [...(config.plugins ?? []), ...plugins],
    }),
  };
}

/**
 * Bundles the workflows (src/workflows) into `out` with their manifest: what `npm run build` runs
 * after tsc, in the image's build stage too. The dist/ file of each module is hashed now, right
 * after tsc compiled it, so that a worker running built can tell the bundle still matches it.
 */
export async function buildWorkflowBundle(
  out = WORKFLOW_BUNDLE_FILE,
): Promise<{ bytes: number; modules: number }> {
  const files = new Set<string>();
  const { code } = await bundleWorkflowCode(
    bundleOptions(join(projectRoot, 'src', 'workflows', 'index.ts'), quietLogger, [moduleFiles(files)]),
  );
  const manifest: BundleManifest = { bundler: bundlerVersion(), sources: {}, compiled: {} };
  for (const file of [...files].sort()) {
    const path = toPosix(relative(projectRoot, file));
    manifest.sources[path] = sha256(file);
    if (!path.startsWith('src/')) continue;
    const compiled = `dist/${path.slice('src/'.length).replace(/\.ts$/, '.js')}`;
    if (!existsSync(join(projectRoot, compiled)))
      throw new Error(`${path} has no ${compiled}: run \`npm run build\``);
    manifest.compiled[compiled] = sha256(join(projectRoot, compiled));
  }
  const at = code.lastIndexOf(SOURCE_MAP_MARK);
  if (at < 0) throw new Error('the workflow bundle has no inline source map');
  const line = `${MANIFEST_MARK}${Buffer.from(JSON.stringify(manifest)).toString('base64')}\n`;
  const bundled = code.slice(0, at) + line + code.slice(at);
  writeFileSync(out, bundled);
  return { bytes: Buffer.byteLength(bundled), modules: files.size };
}

function readManifest(code: string): BundleManifest | undefined {
  const at = code.lastIndexOf(MANIFEST_MARK);
  if (at < 0) return undefined;
  const end = code.indexOf('\n', at);
  try {
    return JSON.parse(
      Buffer.from(code.slice(at + MANIFEST_MARK.length, end), 'base64').toString(),
    ) as BundleManifest;
  } catch {
    return undefined;
  }
}

export interface CheckOptions {
  /** The project the recorded paths are in (default this one). */
  root?: string;
  /** Which files to compare: the sources (tsx) or dist/ (built); by default what this process runs. */
  from?: 'sources' | 'compiled';
}

/**
 * Whether the bundle at `path` holds the workflow code this process would bundle itself: every
 * file it was built from unchanged (src/ when running from the sources, dist/ when built), and
 * the same bundler.
 */
export function checkWorkflowBundle(path: string, options: CheckOptions = {}): BundleCheck {
  const root = options.root ?? projectRoot;
  const from = options.from ?? (runsFromSources() ? 'sources' : 'compiled');
  const manifest = readManifest(readFileSync(path, 'utf8'));
  if (!manifest) return { fresh: false, reason: 'it records no sources (not built by `npm run build`)' };
  const bundler = bundlerVersion();
  if (manifest.bundler !== bundler)
    return {
      fresh: false,
      reason: `it was bundled by @temporalio/worker ${manifest.bundler}, this is ${bundler}`,
    };
  const files =
    from === 'sources'
      ? manifest.sources
      : {
          ...Object.fromEntries(Object.entries(manifest.sources).filter(([p]) => !p.startsWith('src/'))),
          ...manifest.compiled,
        };
  const changed = Object.entries(files)
    .filter(([file, hash]) => {
      const full = join(root, file);
      return !existsSync(full) || sha256(full) !== hash;
    })
    .map(([file]) => file);
  if (changed.length === 0) return { fresh: true };
  const named =
    changed.slice(0, 3).join(', ') + (changed.length > 3 ? ` and ${changed.length - 3} more` : '');
  return { fresh: false, reason: `${named} changed since it was built` };
}

/**
 * The workflow code a worker runs. The prebuilt bundle when it matches the workflow sources;
 * `explicitPath` (WORKFLOW_BUNDLE) must, or the worker refuses to start. Without one, a missing
 * or outdated dist/workflow-bundle.js is said in a warning and the workflows are bundled here
 * (seconds): `npm run worker` right after editing workflow code still runs that code.
 */
export async function loadWorkflowBundle(
  logger: Logger,
  explicitPath?: string,
  defaultPath = WORKFLOW_BUNDLE_FILE,
): Promise<WorkflowBundleOption> {
  const path = explicitPath ?? defaultPath;
  if (existsSync(path)) {
    const check = checkWorkflowBundle(path);
    if (check.fresh) return { codePath: path };
    const problem = `the workflow bundle ${path} is not this worker's workflow code: ${check.reason}`;
    if (explicitPath !== undefined)
      throw new Error(`${problem} — rebuild it with \`npm run build\`, or unset WORKFLOW_BUNDLE`);
    logger.warn(`${problem}; bundling the workflows now (seconds) — \`npm run build\` rebuilds it`);
  } else {
    logger.warn(
      `no workflow bundle at ${path}: bundling the workflows now (seconds) — \`npm run build\` builds it`,
    );
  }
  return bundleWorkflowCode(bundleOptions(require.resolve('./workflows'), logger));
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

if (require.main === module) {
  buildWorkflowBundle()
    .then(({ bytes, modules }) =>
      console.log(
        `workflow bundle: ${relative(projectRoot, WORKFLOW_BUNDLE_FILE)} (${(bytes / 1024 / 1024).toFixed(2)} MiB, ${modules} modules)`,
      ),
    )
    .catch((err: unknown) => {
      console.error(`workflow bundle failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
