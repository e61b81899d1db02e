import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { OUTCOMES } from '../../src/campaign/outcome';
import { statusQuery } from '../../src/workflows';
import { campaignEnv, countBy } from '../helpers/campaign-env';
import { TcpProxy } from '../helpers/tcp-proxy';
import { killHard, spawnWorker } from '../helpers/worker-process';
import { campaignResult } from '../../src/temporal/campaign-result';
// The same seeded generator as the episodes chaos test: a failing run repeats with its CHAOS_SEED.
import { seeded } from './support/chaos-plan';

// The campaign runs at 8/s against an API limit of 12/s, the headroom an operator would leave, and
// must stay under the limit while workers die and the machine is loaded: a call never goes more
// than 1/rate after its slot (a retried attempt or a late one goes back for a fresh slot), so at
// most 9 calls leave in any second (13–14/s seen when late calls were spaced per worker).
const LIMIT = 12;
const INSTANCES = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Everything at once, for minutes: every simulator fault, workers SIGKILLed and replaced at
 * random, and KooPhone unreachable for a while, on a campaign of 3 000 phones. Longer than the
 * single-cause tests, so it runs when CHAOS=1 (`.ci/run` sets it).
 */
describe(
  'chaos: faults, worker kills and an outage together',
  { skip: process.env.CHAOS !== '1' && 'set CHAOS=1' },
  () => {
    const env = campaignEnv({ jobDurationMs: '300..1500', rateLimit: LIMIT }, { worker: false });
    const workers: ReturnType<typeof spawnWorker>[] = [];
    let proxy: TcpProxy | undefined;
    after(async () => {
      for (const w of workers) await killHard(w);
      await proxy?.stop();
    });

    it('completes with exactly one outcome per phone and never more than the rate limit', async () => {
      const seed = Number(process.env.CHAOS_SEED ?? 7);
      const random = seeded(seed);
      env.sim.reset();
      env.sim.setFaults({
        rateLimit: LIMIT,
        fault9999Rate: 0.1,
        fault5xxRate: 0.1,
        dropRate: 0.05,
        lostResponseRate: 0.05,
        http200ErrorRate: 0.05,
        malformedRate: 0.05,
        latencyMs: '10..150',
        jobFailureRate: 0.05,
        stuckJobRate: 0.002,
        missingJobRate: 0.01,
      });
      proxy = new TcpProxy(Number(new URL(env.sim.url).port));
      await proxy.start();
      const spawn = () => {
        const w = spawnWorker(env.workerProcessEnv({ KOOPHONE_ENDPOINT: proxy!.url }));
        workers.push(w);
        return w;
      };
      spawn();
      spawn();

      const ids = env.ids(INSTANCES, 2000);
      const handle = await env.start(
        {
          batchSize: 50,
          concurrency: 8,
          rate: 8,
          canary: 0,
          maxErrors: '100%',
          retryFailed: 1,
          retryDelayMs: 500,
          // Longer than the outage: tracking waits it out instead of timing jobs out.
          jobTimeoutMs: 25_000,
          submitBackoffMaxMs: 4000,
          heartbeatTimeoutMs: 5000,
        },
        { kind: 'inline', ids },
      );

      // The chaos: a worker killed every 5–12 s and replaced, and one 15 s outage of KooPhone.
      let kills = 0;
      let outage = false;
      const done = campaignResult(handle);
      let finished = false;
      void done.finally(() => (finished = true)).catch(() => undefined);
      const started = Date.now();
      while (!finished) {
        await sleep(5000 + Math.floor(random() * 7000));
        if (finished) break;
        const alive = workers.filter((w) => w.exitCode === null && w.signalCode === null);
        const victim = alive[Math.floor(random() * alive.length)];
        if (victim) {
          await killHard(victim);
          kills += 1;
          spawn();
        }
        if (!outage && Date.now() - started > 20_000) {
          outage = true;
          await proxy.stop();
          await sleep(15_000);
          await proxy.start();
        }
        assert.ok(Date.now() - started < 8 * 60_000, 'campaign still running after 8 minutes of chaos');
      }

      const result = await done;
      const status = await handle.query(statusQuery).catch(() => undefined);
      const lines = await env.report(handle.workflowId);
      const stats = env.sim.stats();
      assert.equal(result.state, 'completed');
      // Nothing lost: exactly one line per phone, each in a known outcome.
      assert.equal(lines.length, INSTANCES);
      assert.deepEqual(new Set(lines.map((l) => l.instance_id)), new Set(ids));
      const outcomes = countBy(lines, (l) => l.outcome);
      for (const o of Object.keys(outcomes)) assert.ok(OUTCOMES.includes(o as never), o);
      assert.ok((outcomes.succeeded ?? 0) > INSTANCES * 0.8, JSON.stringify(outcomes));
      // The outage ends inside the tracking's grace: only stuck jobs (0.2 %, ~6) time out.
      assert.ok((outcomes.timed_out ?? 0) <= 20, `timed_out: ${JSON.stringify(outcomes)}`);
      // The report never claims fewer resets than a phone received; a succeeded phone was reset.
      for (const l of lines) {
        const applied = env.sim.instance(l.instance_id)?.resets ?? -1;
        assert.ok(l.resets >= applied, `${l.instance_id}: report ${l.resets} < applied ${applied}`);
        if (l.outcome === 'succeeded') assert.ok(applied >= 1, `${l.instance_id} succeeded unreset`);
      }
      assert.ok(
        stats.peakRequestsPerSecond <= LIMIT,
        `peak ${stats.peakRequestsPerSecond}/s over ${LIMIT}/s`,
      );
      const extra = lines.filter((l) => l.resets > 1).length;
      console.log(
        `# chaos (seed ${seed}): ${kills} worker kills, a 15 s outage, ${Math.round((Date.now() - started) / 1000)} s; ` +
          `outcomes ${JSON.stringify(outcomes)}; ${extra} phones reset more than once (retries and lost answers); ` +
          `peak ${stats.peakRequestsPerSecond}/s; ${status?.slotsMissed ?? '?'} slots missed; ${status?.state ?? 'closed'}`,
      );
    });
  },
);
