// Runs the whole test suite against ONE real Temporal dev server: starts it on a free loopback
// port (in-memory, headless, search attributes registered), hands its address to every test file
// through TEMPORAL_TEST_ADDRESS, and always stops it — on success, failure, or Ctrl-C/SIGTERM.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startDevServer } from '../src/temporal/dev-server';
import { projectRoot } from '../src/project-root';

function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return testFiles(path);
      return name.endsWith('.test.ts') ? [path] : [];
    })
    .sort();
}

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const files =
    only.length > 0 ? only : testFiles(join(projectRoot, 'test')).map((f) => relative(projectRoot, f));
  const server = await startDevServer({ headless: true });
  console.log(`test harness: Temporal dev server at ${server.address} (pid ${server.process.pid})`);
  let child: ReturnType<typeof spawn> | undefined;
  const stopAll = async (signal: NodeJS.Signals): Promise<void> => {
    child?.kill(signal);
    await server.stop();
    process.exit(130);
  };
  process.once('SIGINT', () => void stopAll('SIGINT'));
  process.once('SIGTERM', () => void stopAll('SIGTERM'));
  try {
    child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
      {
        cwd: projectRoot,
        stdio: 'inherit',
        env: {
          ...process.env,
          TEMPORAL_TEST_ADDRESS: server.address,
          TEMPORAL_TEST_NAMESPACE: server.namespace,
        },
      },
    );
    const code: number = await new Promise((resolve) => child!.once('exit', (c) => resolve(c ?? 1)));
    return code;
  } finally {
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
