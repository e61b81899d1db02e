// Simulator at fleet scale: RSS of a 1 000 000-instance simulator and batch-reset latency over real
// HTTP with keep-alive. The simulator runs in a child process so its RSS is its own, not the
// load generator's.
//   npx tsx bench/simulator-bench.ts [--instances 1000000] [--calls 2000] [--concurrency 1]
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startSimulator } from '../src/simulator';

const IDS_PER_CALL = 100;
const WARMUP_CALLS = 200;
const MB = 1024 * 1024;

type ChildMessage =
  | { type: 'ready'; url: string; buildMs: number; rss: number }
  | { type: 'rss'; rss: number; heapUsed: number };

async function child(instances: number): Promise<void> {
  const started = performance.now();
  const sim = await startSimulator({ port: 0, instances, seed: 1 });
  const buildMs = performance.now() - started;
  const send = (message: ChildMessage): void => {
    process.send?.(message);
  };
  send({ type: 'ready', url: sim.url, buildMs, rss: process.memoryUsage().rss });
  process.on('message', (message: { type: string }) => {
    if (message.type === 'rss')
      send({ type: 'rss', rss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed });
    if (message.type === 'stop') void sim.close().then(() => process.exit(0));
  });
}

function nextMessage<T extends ChildMessage['type']>(
  proc: ChildProcess,
  type: T,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage): void => {
      if (message.type !== type) return;
      proc.off('message', onMessage);
      resolve(message as Extract<ChildMessage, { type: T }>);
    };
    proc.on('message', onMessage);
    proc.once('exit', (code) => reject(new Error(`simulator process exited with ${code}`)));
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

async function fetchIds(url: string, offset: number, count: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < count) {
    const limit = Math.min(100_000, count - ids.length);
    const response = await fetch(`${url}/__sim/ids?offset=${offset + ids.length}&limit=${limit}`);
    const body = (await response.json()) as { ids: string[] };
    if (body.ids.length === 0) break;
    ids.push(...body.ids);
  }
  return ids;
}

async function resetCall(url: string, ids: string[], n: number): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/instances/batch-reset`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-auth-token': 'sim-token',
      'x-request-id': `bench-${n}`,
    },
    body: JSON.stringify({ instance_ids: ids }),
  });
  const body = (await response.json()) as { error_code: string; data?: { cmd_jobs: unknown[] } };
  const elapsed = performance.now() - started;
  if (body.error_code !== '0' || body.data?.cmd_jobs.length !== ids.length) {
    throw new Error(`batch-reset ${n} failed: ${JSON.stringify(body).slice(0, 200)}`);
  }
  return elapsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      instances: { type: 'string', default: '1000000' },
      calls: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '1' },
      child: { type: 'boolean', default: false },
    },
  });
  const instances = Number(values.instances);
  if (values.child) return child(instances);
  const calls = Number(values.calls);
  const concurrency = Math.max(1, Number(values.concurrency));
  if ((calls + WARMUP_CALLS) * IDS_PER_CALL > instances) {
    throw new Error(`--calls ${calls} needs ${(calls + WARMUP_CALLS) * IDS_PER_CALL} distinct instances`);
  }

  const proc = fork(__filename, ['--child', '--instances', String(instances)], {
    execArgv: process.execArgv,
  });
  try {
    const ready = await nextMessage(proc, 'ready');
    const ids = await fetchIds(ready.url, 0, (calls + WARMUP_CALLS) * IDS_PER_CALL);
    const batch = (n: number): string[] => ids.slice(n * IDS_PER_CALL, (n + 1) * IDS_PER_CALL);
    for (let n = 0; n < WARMUP_CALLS; n += 1) await resetCall(ready.url, batch(calls + n), n);

    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let n = next++; n < calls; n = next++) latencies.push(await resetCall(ready.url, batch(n), n));
      }),
    );
    const wallMs = performance.now() - started;
    const stats = (await (await fetch(`${ready.url}/__sim/stats`)).json()) as {
      resets: { total: number; max: number };
    };
    proc.send({ type: 'rss' });
    const after = await nextMessage(proc, 'rss');
    latencies.sort((a, b) => a - b);
    const median = percentile(latencies, 50);
    const rssAfterCalls = after.rss / MB;
    console.log(
      JSON.stringify(
        {
          instances,
          calls,
          idsPerCall: IDS_PER_CALL,
          concurrency,
          fleetBuildMs: round(ready.buildMs, 1),
          rssMbAfterBuild: round(ready.rss / MB, 1),
          rssMbAfterCalls: round(rssAfterCalls, 1),
          heapUsedMbAfterCalls: round(after.heapUsed / MB, 1),
          latencyMs: {
            median: round(median),
            p95: round(percentile(latencies, 95)),
            p99: round(percentile(latencies, 99)),
            max: round(latencies.at(-1) ?? Number.NaN),
          },
          callsPerSecond: round((calls / wallMs) * 1000, 1),
          resetsApplied: stats.resets.total,
          maxResetsPerInstance: stats.resets.max,
          goals: { rssUnder300Mb: rssAfterCalls < 300, medianUnder5Ms: median < 5 },
        },
        null,
        2,
      ),
    );
  } finally {
    proc.send({ type: 'stop' });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
