import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { SimulatorStats } from '../../src/simulator';
import { CLI } from '../cli/run-cli';

export interface SimulatorProcess {
  url: string;
  stats(): Promise<SimulatorStats>;
  /** `n` fleet ids from `offset`. */
  ids(n: number, offset?: number): Promise<string[]>;
  /** Resets applied to one phone. */
  resets(id: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * The simulator in a process of its own (the built CLI's `simulator`), for tests that count calls
 * per second: a call's arrival is stamped when the simulator's event loop takes it, and in the test
 * process that loop also runs the test, its Temporal client and their garbage collection, which
 * under load hold it for 100–230 ms — calls sent 100 ms apart were then stamped 1 ms apart, a peak
 * the service would not have seen. Alone in its process it answers at once, as KooPhone's gateway
 * does whatever the client's machine is doing.
 */
export async function startSimulatorProcess(flags: string[]): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, [CLI, 'simulator', '--port', '0', '--json', ...flags], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`the simulator exited (${code}) before it listened`)));
  });
  lines.on('line', () => undefined); // later log lines are read and dropped
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`);
    if (!response.ok) throw new Error(`simulator ${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    url,
    stats: () => get<SimulatorStats>('/__sim/stats'),
    ids: async (n, offset = 0) =>
      (await get<{ ids: string[] }>(`/__sim/ids?offset=${offset}&limit=${n}`)).ids,
    resets: async (id) =>
      (await get<{ resets: number }>(`/__sim/instances/${encodeURIComponent(id)}`)).resets,
    async close() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
