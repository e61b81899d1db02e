import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root';
import { clusterLayout, type ClusterService } from './layout';

const layout = clusterLayout();

/** The running process of one server service, from the PID file `cluster:up` wrote. */
export function servicePid(service: ClusterService): number {
  return Number(readFileSync(join(layout.dir, 'run', `${service}.pid`), 'utf8'));
}

/** SIGKILLs one server service, as a crashed host would lose it, and waits until it is gone. */
export async function killService(service: ClusterService): Promise<number> {
  const pid = servicePid(service);
  process.kill(pid, 'SIGKILL');
  for (;;) {
    try {
      process.kill(pid, 0);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } catch {
      return pid;
    }
  }
}

/** `npm run cluster:up`: restarts whatever service is missing and waits for SERVING. */
export function clusterUp(): string {
  return execFileSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'scripts/cluster.ts'), 'up'], {
    cwd: projectRoot,
    encoding: 'utf8',
  });
}
