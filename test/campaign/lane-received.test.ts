import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { LaneInput } from '../../src/campaign/lane';
import { campaignResult } from '../../src/temporal/campaign-result';
import { campaignEnv, waitFor } from '../helpers/campaign-env';

// Chaos seed 7 (c-84c6beb8, test/histories/explained/README.md): a worker that built the run for a
// status query planned a term on a stale clock, without the retries of four batches KooPhone had
// answered with a 500; the history recorded that term, and every later replay believed the retries
// were in it. The lane never ran them, the campaign never sent them again, and it ended failed with
// 40 phones without a line. That race cannot be timed from a test; what it leaves can: a lane given
// less than the run believes. Here the worker's lane is handed its input without those retries
// (the input the history would have recorded), on the real server and simulator.

const N = 40;
const campaign = {
  batchSize: 5,
  concurrency: 4,
  rate: 5,
  canary: 0,
  maxErrors: '100%',
  retryDelayMs: 300,
  submitBackoffMaxMs: 2000,
  jobTimeoutMs: 30_000,
} as const;

describe('a lane given less than the workflow believes (a term planned on a stale clock)', () => {
  /** Retries of a refused or unanswered call (they carry its error), each kept from its first lane. */
  const withheld = new Set<string>();
  const withholdRetries: ActivityInterceptorsFactory = (ctx) => ({
    inbound: {
      execute: (input, next) => {
        if (ctx.info.activityType !== 'runLane') return next(input);
        const lane = input.args[0] as LaneInput;
        const kept = lane.items.filter((i) => {
          if (i.handedOver || !i.lastError || withheld.has(i.key)) return true;
          withheld.add(i.key);
          return false;
        });
        return next({ ...input, args: [{ ...lane, items: kept }] });
      },
    },
  });
  const env = campaignEnv({ instances: 1000, jobDurationMs: '200..500' }, { worker: false });

  it('sends the retries the lane never received, and every phone has its line', async () => {
    await env.startWorker({ activityInterceptors: [withholdRetries] });
    env.sim.reset();
    // KooPhone applies the first calls and answers them with a 500: their batches wait a backoff.
    env.sim.setFaults({ applied9999Rate: 1 });
    const ids = env.ids(N, 0);
    const handle = await env.start(campaign, { kind: 'inline', ids });
    await waitFor(() => env.sim.stats().faults.applied9999 >= 2, 60_000, 20);
    env.sim.setFaults({ applied9999Rate: 0 });
    const result = await campaignResult(handle);
    assert.ok(withheld.size >= 2, `retries withheld from their lane: ${withheld.size}`);
    assert.equal(result.state, 'completed', result.reason);
    const lines = await env.report(handle.workflowId);
    assert.equal(lines.length, N, 'one line per phone');
    assert.deepEqual(new Set(lines.map((l) => l.instance_id)), new Set(ids));
    for (const l of lines) {
      const applied = env.sim.instance(l.instance_id)?.resets ?? 0;
      assert.equal(l.outcome, 'succeeded', JSON.stringify(l));
      assert.ok(applied >= 1 && l.resets >= applied, `${l.instance_id}: applied ${applied}, report ${l.resets}`);
    }
    // The withheld batches' phones were reset twice: by the call answered with a 500, and by the
    // retry their lane never received, sent in a later term.
    const twice = lines.filter((l) => env.sim.instance(l.instance_id)!.resets === 2);
    assert.equal(twice.length, withheld.size * campaign.batchSize);
    await env.stopWorker();
  });
});
