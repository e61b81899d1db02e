// `npm run test:cluster`: test/cluster/*.cluster-test.ts (named so that `npm test`, which runs
// every *.test.ts on a dev server, leaves them out) and two of `npm test`'s files, below, against
// the local multi-service Temporal cluster instead of a dev server. Brings the cluster up first
// (npm run cluster:up, idempotent) and leaves it running afterwards; `npm run cluster:down` stops
// it. One file at a time: the failover test SIGKILLs the cluster's services under everyone.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/project-root';
import { clusterLayout } from '../test/cluster/layout';
import { interruptedBySignal } from './test-runner/interrupted';
import { runSuite } from './test-runner/suite';

/**
 * Tests of `npm test` that also run here, unchanged, on SQL visibility and four server processes:
 * the operator's CLI with schedules and `list`, and pause/resume/cancel across continue-as-new.
 */
const ON_THE_CLUSTER_TOO = ['test/cli/cli-campaign.test.ts', 'test/campaign/campaign-control.test.ts'];

async function main(): Promise<number> {
  const interrupted = interruptedBySignal();
  const only = process.argv.slice(2);
  const files =
    only.length > 0
      ? only
      : [
          ...readdirSync(join(projectRoot, 'test/cluster'))
            .filter((name) => name.endsWith('.cluster-test.ts'))
            .sort()
            .map((name) => join('test/cluster', name)),
          ...ON_THE_CLUSTER_TOO,
        ];
  execFileSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'scripts/cluster.ts'), 'up'], {
    cwd: projectRoot,
    stdio: 'inherit',
  });
  const layout = clusterLayout();
  console.log(`cluster tests: ${files.length} file(s), one at a time, on the cluster at ${layout.address}`);
  const env = { ...process.env, TEMPORAL_TEST_ADDRESS: layout.address, TEMPORAL_TEST_NAMESPACE: 'default' };
  const { exitCode } = await runSuite(
    {
      alone: files,
      sideBySide: [],
      width: 1,
      lease: () => ({ env, release: () => undefined }),
      describe: `one at a time on the cluster at ${layout.address}`,
    },
    interrupted,
  );
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
