// `npm test`: every test/**/*.test.ts (or the files given: `npm test -- FILE…`), each in a
// `node --test` process of its own, several side by side, against real Temporal dev servers this
// script starts on free loopback ports (in-memory, headless, search attributes registered) and
// always stops — on success, failure, Ctrl-C or SIGTERM. Each file's output is printed whole when
// it ends, with its duration; the run ends with the slowest files and one summary line.
//
// The files of QUIET_FILES (scripts/test-runner/plan.ts) run first, one at a time, alone: they
// time things a starved CPU would break. The rest run TEST_CONCURRENCY at a time, longest first
// (by their durations in the last run on this machine), each on the dev server with the fewest
// files. RECORD_HISTORIES=1 runs one file at a time: the replay test reads what the others write.
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../src/project-root';
import { startDevServer, type DevServer } from '../src/temporal/dev-server';
import { loadDurations, saveDurations } from './test-runner/durations';
import { interruptedBySignal } from './test-runner/interrupted';
import { planRun } from './test-runner/plan';
import { scrubNamespace } from './test-runner/scrub-namespace';
import { runSuite } from './test-runner/suite';

/** Files side by side per dev server (4 files kept one server at 6–8 % of a core). */
const FILES_PER_SERVER = 4;

function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return testFiles(path);
      return name.endsWith('.test.ts') ? [path] : [];
    })
    .sort();
}

/** Files side by side: TEST_CONCURRENCY, else twice the cores (most of a test's time is waiting). */
function concurrency(): number {
  if (process.env.RECORD_HISTORIES === '1') return 1;
  return z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .parse(process.env.TEST_CONCURRENCY || 2 * availableParallelism());
}

async function main(): Promise<number> {
  const interrupted = interruptedBySignal();
  const given = process.argv.slice(2).map((f) => (isAbsolute(f) ? relative(projectRoot, f) : f));
  const files =
    given.length > 0 ? given : testFiles(join(projectRoot, 'test')).map((f) => relative(projectRoot, f));
  const plan = planRun(files, loadDurations());
  const width = Math.min(concurrency(), Math.max(1, plan.sideBySide.length));
  const servers: DevServer[] = [];
  /** The namespaces no running file holds, per server. */
  const free = new Map<DevServer, string[]>();
  try {
    const serverCount = Math.ceil(width / FILES_PER_SERVER);
    const namespaces = Array.from({ length: Math.ceil(width / serverCount) }, (_, i) =>
      i === 0 ? 'default' : `test-${i + 1}`,
    );
    const starts = await Promise.allSettled(
      Array.from({ length: serverCount }, () =>
        startDevServer({ headless: true, moreNamespaces: namespaces.slice(1) }),
      ),
    );
    for (const s of starts) if (s.status === 'fulfilled') servers.push(s.value);
    for (const s of starts) if (s.status === 'rejected') throw s.reason;
    for (const s of servers) free.set(s, [...namespaces]);
    console.log(
      `test harness: ${files.length} file(s), ${plan.alone.length} alone first, then up to ${width} at a time; ` +
        `Temporal dev server(s) at ${servers.map((s) => s.address).join(', ')}, namespaces ${namespaces.join(', ')}`,
    );
    const { results, exitCode } = await runSuite(
      {
        ...plan,
        width,
        lease() {
          // The server with the most free namespaces, and one of them: files running at once never
          // share a namespace (the account coordinator, `list` and schedules are namespace-wide),
          // and files one after the other do, as they did when the suite ran one file at a time.
          const server = servers.reduce((a, b) => (free.get(b)!.length > free.get(a)!.length ? b : a));
          const namespace = free.get(server)!.shift()!;
          return {
            env: {
              ...process.env,
              TEMPORAL_TEST_ADDRESS: server.address,
              TEMPORAL_TEST_NAMESPACE: namespace,
            },
            // The next file gets the namespace clean (no schedule, campaign or account limit left).
            release: async () => {
              await scrubNamespace(server.address, namespace).catch((err: unknown) =>
                console.error(`could not clean namespace ${namespace} after a file: ${String(err)}`),
              );
              free.get(server)!.push(namespace);
            },
          };
        },
        describe: `${plan.alone.length} alone, ${plan.sideBySide.length} up to ${width} at a time, ${servers.length} dev server(s)`,
      },
      interrupted,
    );
    saveDurations(Object.fromEntries(results.map((r) => [r.file, r.durationMs])));
    return exitCode;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
