import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SimulatorFaultsInput } from '../../src/simulator';
import { OUTCOMES } from '../../src/campaign/outcome';
import { campaignEnv, countBy } from '../helpers/campaign-env';

const LIMIT = 8;

interface Case {
  name: string;
  faults: SimulatorFaultsInput;
  /** Outcomes every instance must end in. */
  allowed: string[];
  /**
   * The report may say more resets than the simulator applied: an answer that proves nothing (a
   * dropped connection, a 5xx, 9999, broken JSON) is a possible reset, whether or not this
   * simulator applied the call first.
   */
  ambiguous?: boolean;
}

const CASES: Case[] = [
  { name: '9999 at 50%', faults: { fault9999Rate: 0.5 }, allowed: ['succeeded'], ambiguous: true },
  { name: '5xx at 50%', faults: { fault5xxRate: 0.5 }, allowed: ['succeeded'], ambiguous: true },
  { name: 'dropped connections at 30%', faults: { dropRate: 0.3 }, allowed: ['succeeded'], ambiguous: true },
  { name: 'responses lost after applying at 30%', faults: { lostResponseRate: 0.3 }, allowed: ['succeeded'] },
  { name: 'HTTP-200 errors at 40%', faults: { http200ErrorRate: 0.4 }, allowed: ['succeeded'] },
  { name: 'malformed JSON at 30%', faults: { malformedRate: 0.3 }, allowed: ['succeeded'], ambiguous: true },
  { name: 'slow responses', faults: { latencyMs: '100..600' }, allowed: ['succeeded'] },
  { name: 'throttling below the campaign rate', faults: { rateLimit: 4 }, allowed: ['succeeded'] },
  { name: 'failing jobs at 30%', faults: { jobFailureRate: 0.3 }, allowed: ['succeeded', 'failed'] },
  { name: 'stuck jobs at 20%', faults: { stuckJobRate: 0.2 }, allowed: ['succeeded', 'timed_out'] },
  {
    name: 'missing cmd_jobs at 20%',
    faults: { missingJobRate: 0.2 },
    allowed: ['succeeded', 'missing_job'],
    ambiguous: true,
  },
  {
    name: 'everything at once',
    faults: {
      fault9999Rate: 0.15,
      fault5xxRate: 0.1,
      dropRate: 0.1,
      lostResponseRate: 0.1,
      http200ErrorRate: 0.1,
      malformedRate: 0.1,
      latencyMs: '20..200',
      jobFailureRate: 0.1,
      stuckJobRate: 0.05,
      missingJobRate: 0.05,
    },
    allowed: ['succeeded', 'failed', 'timed_out', 'missing_job'],
    ambiguous: true,
  },
];

describe('fault matrix: every simulator fault alone at a heavy rate, then all together', () => {
  const env = campaignEnv({ jobDurationMs: '200..500', rateLimit: LIMIT });
  let offset = 10_000;

  for (const c of CASES) {
    it(`survives ${c.name}`, async () => {
      env.sim.reset();
      env.sim.setFaults({ rateLimit: LIMIT, ...c.faults });
      const ids = env.ids(200, offset);
      offset += 200;
      const { result, lines } = await env.run(
        {
          batchSize: 20,
          concurrency: 4,
          rate: 6,
          canary: 0,
          maxErrors: '100%',
          retryFailed: 1,
          retryDelayMs: 300,
          // Task queries fail too under these faults: give tracking room, and keep backoff short.
          jobTimeoutMs: c.faults.stuckJobRate ? 4000 : 20_000,
          submitBackoffMaxMs: 4000,
        },
        { kind: 'inline', ids },
      );
      const stats = env.sim.stats();
      assert.equal(result.state, 'completed');
      // Exactly one line per instance, each in an allowed outcome.
      assert.equal(lines.length, 200);
      assert.deepEqual(new Set(lines.map((l) => l.instance_id)), new Set(ids));
      const outcomes = countBy(lines, (l) => l.outcome);
      for (const o of Object.keys(outcomes)) {
        assert.ok(
          OUTCOMES.includes(o as never) && c.allowed.includes(o),
          `${o} not expected: ${JSON.stringify(outcomes)}`,
        );
      }
      assert.ok((outcomes.succeeded ?? 0) > 100, `most succeed: ${JSON.stringify(outcomes)}`);
      // Resets: what the report says matches what the simulator applied, except where an answer
      // proved nothing (then the report counts a possible reset, applied or not).
      for (const l of lines) {
        const applied = env.sim.instance(l.instance_id)?.resets ?? -1;
        if (c.ambiguous)
          assert.ok(l.resets >= applied, `${l.instance_id}: report ${l.resets} < applied ${applied}`);
        else assert.equal(l.resets, applied, `${l.instance_id}: report ${l.resets}, simulator ${applied}`);
        // A line that counts more than the simulator applied says why.
        if (l.resets > applied) assert.match(l.error_msg, /possible resets? counted/, JSON.stringify(l));
      }
      assert.ok(
        stats.peakRequestsPerSecond <= LIMIT,
        `peak ${stats.peakRequestsPerSecond}/s over the ${LIMIT}/s limit`,
      );
    });
  }
});
