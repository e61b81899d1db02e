import { spawnWorker } from '../../helpers/worker-process';

export type WorkerProcess = ReturnType<typeof spawnWorker>;

/**
 * A real `koophone-reset worker` process (tsx on the sources), on dist/workflow-bundle.js as any
 * worker (npm test builds it first; src/prebuilt-bundle.ts checks it against the sources).
 */
export function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  return Promise.resolve(spawnWorker({ LOG_LEVEL: 'info', ...env }));
}

/** Resolves once the worker logged "worker started"; rejects with its output if it exits first. */
export function workerStarted(worker: WorkerProcess, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (worker.output().includes('"worker started"')) done();
    }, 50);
    const deadline = setTimeout(() => fail(`worker did not start within ${timeoutMs} ms`), timeoutMs);
    const onExit = (code: number | null) => fail(`worker exited (${code}) before starting`);
    const cleanup = () => {
      clearInterval(timer);
      clearTimeout(deadline);
      worker.off('exit', onExit);
    };
    const done = () => {
      cleanup();
      resolve();
    };
    const fail = (why: string) => {
      cleanup();
      reject(new Error(`${why}:\n${worker.output().slice(-4000)}`));
    };
    worker.once('exit', onExit);
  });
}

/** Parsed JSON log lines of a worker's output. */
export function jsonLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
