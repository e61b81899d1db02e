// The baseline: what an operator would write without durability. It submits batches of 100 with
// a concurrency limit C through a token bucket of R tokens a second holding one token (calls at
// least 1/R apart, the workflow's slot rule), and polls each task every 2 s until every job has
// ended. Nothing is journaled: a crash loses track of every batch in flight.
//
//   node --import tsx bench/baseline.ts --ids FILE --endpoint URL --concurrency C --rate R
//
// Prints one JSON line on stdout: { wallSeconds, cpuSeconds, calls, polls, succeeded, failed, ... }.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createKoophoneClient, Secret, type KoophoneClient } from '../src/koophone';
import { BATCH_SIZE, callIntervalMs } from './lib/schedule';

/** A shell loop's poll: every 2 s, no back-off. */
export const BASELINE_POLL_MS = 2000;

export interface BaselineResult {
  instances: number;
  wallSeconds: number;
  /** Epoch ms of the start the wall clock counts from. */
  startedAtMs: number;
  cpuSeconds: number;
  calls: number;
  polls: number;
  succeeded: number;
  failed: number;
  submitErrors: number;
  pollErrors: number;
}

const SUBMIT_RETRY_MS = 1000;
const MAX_SUBMIT_ATTEMPTS = 10;

export async function runBaseline(
  client: KoophoneClient,
  ids: string[],
  options: { concurrency: number; rate: number },
): Promise<Omit<BaselineResult, 'wallSeconds' | 'startedAtMs' | 'cpuSeconds'>> {
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += BATCH_SIZE) batches.push(ids.slice(i, i + BATCH_SIZE));
  const spacing = callIntervalMs(options.rate);
  let lastCallAt = -Infinity;
  let next = 0;
  const totals = {
    instances: ids.length,
    calls: 0,
    polls: 0,
    succeeded: 0,
    failed: 0,
    submitErrors: 0,
    pollErrors: 0,
  };

  /** Calls are at least 1/R apart, whichever lane sends them. */
  const waitForSlot = async (): Promise<void> => {
    const now = Date.now();
    const at = Math.max(now, lastCallAt + spacing);
    lastCallAt = at;
    if (at > now) await sleep(at - now);
  };

  const submit = async (batch: string[]): Promise<{ taskId: string; jobs: number }> => {
    for (let attempt = 1; ; attempt += 1) {
      await waitForSlot();
      totals.calls += 1;
      try {
        const accepted = await client.batchReset(batch);
        return { taskId: accepted.taskId, jobs: accepted.jobs.length };
      } catch (err) {
        totals.submitErrors += 1;
        if (attempt >= MAX_SUBMIT_ATTEMPTS) throw err;
        await sleep(SUBMIT_RETRY_MS);
      }
    }
  };

  const track = async (taskId: string): Promise<void> => {
    for (;;) {
      await sleep(BASELINE_POLL_MS);
      totals.polls += 1;
      try {
        const task = await client.getTask(taskId);
        if (task.jobs.every((j) => j.status !== 1)) {
          for (const job of task.jobs) {
            if (job.status === 2) totals.succeeded += 1;
            else totals.failed += 1;
          }
          return;
        }
      } catch {
        totals.pollErrors += 1;
      }
    }
  };

  // C lanes, each taking the next batch when its previous one has ended: at most C batches in flight.
  const lane = async (): Promise<void> => {
    for (;;) {
      const index = next++;
      const batch = batches[index];
      if (!batch) return;
      const { taskId } = await submit(batch);
      await track(taskId);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, batches.length) }, () => lane()));
  return totals;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ids: { type: 'string' },
      endpoint: { type: 'string' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      token: { type: 'string', default: 'sim-token' },
    },
  });
  if (!values.ids || !values.endpoint || !values.concurrency || !values.rate) {
    throw new Error('usage: baseline.ts --ids FILE --endpoint URL --concurrency C --rate R');
  }
  // The clock starts before the ids file is read, as the campaign's does (its prepare step reads it).
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const startedAtMs = Date.now();
  const ids = readFileSync(values.ids, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const client = createKoophoneClient({
    endpoint: values.endpoint,
    timeoutMs: 15_000,
    auth: { kind: 'static', token: new Secret(values.token) },
  });
  const totals = await runBaseline(client, ids, {
    concurrency: Number(values.concurrency),
    rate: Number(values.rate),
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const result: BaselineResult = { ...totals, wallSeconds, startedAtMs, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(
      `baseline failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}
