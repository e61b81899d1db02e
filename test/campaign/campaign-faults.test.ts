import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { campaignEnv, countBy } from '../helpers/campaign-env';

describe('campaign under API faults', () => {
  const env = campaignEnv({ jobDurationMs: '200..500', rateLimit: 5, fault9999Rate: 0.3 });

  it('completes through 30% 9999 responses and a low rate limit, never exceeding it', async () => {
    const ids = env.ids(600, 0);
    const { result, lines } = await env.run(
      { concurrency: 5, rate: 4, batchSize: 20, canary: 1, maxErrors: '5%' },
      { kind: 'inline', ids },
    );
    const stats = env.sim.stats();
    assert.equal(result.state, 'completed');
    assert.equal(lines.length, 600);
    assert.deepEqual(
      countBy(lines, (l) => l.outcome),
      { succeeded: 600 },
    );
    assert.ok(stats.faults.fault9999 > 0, 'faults were injected');
    assert.ok(
      stats.peakRequestsPerSecond <= 5,
      `peak ${stats.peakRequestsPerSecond}/s exceeded the 5/s limit`,
    );
    assert.ok(result.batchResetCalls > 30, 'retries were needed');
    assert.ok(lines.every((l) => env.sim.instance(l.instance_id)?.resets === 1));
  });
});
