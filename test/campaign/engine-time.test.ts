import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { emptyTotals, type LaneInput, type LaneResult } from '../../src/campaign/lane';
import { campaignOptionsSchema, type CampaignOptionsInput } from '../../src/campaign/options';
import { locateTestServer } from '../../src/temporal/locate-cli';
import { campaignSearchAttributes } from '../../src/temporal/search-attributes';
import { resetCampaign } from '../../src/workflows';
import { workflowBundle } from '../helpers/campaign-env';
import { campaignResult } from '../../src/temporal/campaign-result';

const HOUR = 3_600_000;

/**
 * The lane engine's paths that need time — submit backoff through a long outage, a maintenance
 * window hours away — on the time-skipping test server, with the activities mocked: the
 * workflow's decisions alone, in seconds of real time.
 */
describe('lane engine over hours (time-skipping server, mocked activities)', { timeout: 5 * 60_000 }, () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let lane: (input: LaneInput) => Promise<LaneResult>;
  const lanes: { input: LaneInput; at: number }[] = [];
  const taskQueue = 'engine-time';

  before(async () => {
    const path = locateTestServer();
    assert.ok(path, 'the time-skipping test server is not installed: run `npm run setup:temporal`');
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        Object.entries(campaignSearchAttributes).map(([name, type]) => [name, type === 'Int' ? 2 : 1]),
      ),
    });
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: {
        prepareCampaign: async () => ({ total: 1000, duplicates: 0, skipped: 0, sha256: 'x' }),
        joinAccount: async () => null,
        runLane: async (input: LaneInput) => {
          lanes.push({ input, at: await env.currentTimeMs() });
          return lane(input);
        },
        recordOutcomes: async () => 0,
        finalizeReport: async () => ({ location: 'mock', lines: 1000, duplicates: 0 }),
      },
    });
    running = worker.run();
  });

  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  const start = (o: CampaignOptionsInput, id: string) =>
    env.client.workflow.start(resetCampaign, {
      taskQueue,
      workflowId: id,
      args: [{ options: campaignOptionsSchema.parse({ ...o, campaignId: id }), source: { kind: 'inline', ids: ['x'] } }],
    });

  /** Every batch of the lane's term tracked clean: the campaign's happy path. */
  const clean = (input: LaneInput): LaneResult => {
    const n = input.batches ? input.batches.to - input.batches.from : 0;
    const totals = { ...emptyTotals(), items: n, resets: n * input.batchSize, cleanFirstRound: n };
    totals.counts.succeeded = n * input.batchSize + input.items.length * input.batchSize;
    return { results: [], totals, unsent: [], handedOver: [], rate: input.rate, calls: n, polls: n, heartbeats: 0, attempt: 1 };
  };

  it('backs every batch off through a 6-hour outage, capped at --submit-backoff-max, then completes', async () => {
    lanes.length = 0;
    const outageEnds = (await env.currentTimeMs()) + 6 * HOUR;
    lane = async (input) => {
      if ((await env.currentTimeMs()) >= outageEnds) return clean(input);
      // KooPhone unreachable: every batch the lane was given comes back to be retried.
      const items = [
        ...input.items,
        ...Array.from({ length: input.batches ? input.batches.to - input.batches.from : 0 }, (_, k) => {
          const b = input.batches!.from + k;
          return { key: `b${b}`, batchNo: b, round: 0, range: { start: b * 100, end: b * 100 + 100 }, resets: 0, submitAttempts: 0, notBefore: 0 };
        }),
      ];
      return {
        ...clean({ ...input, batches: undefined, items: [] }),
        results: items.map((item) => ({
          item,
          result: { kind: 'retry', code: 'NETWORK', message: 'connect ECONNREFUSED', throttled: false, ambiguous: false, calls: 1 } as const,
        })),
        calls: items.length,
      };
    };
    const handle = await start({ rate: 5, batchSize: 100, canary: 0, submitBackoffMaxMs: '5m', termMs: '30s' }, 'outage');
    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed', JSON.stringify(result));
    assert.equal(result.counts.succeeded, 1000);
    // One batch's attempts: backoff 2 s, 4 s, … capped at 5 min (+ up to 20 % jitter), so about
    // 8 + 64 in 6 hours, never a tight loop.
    const has = (l: { input: LaneInput }, b: number) =>
      l.input.items.some((i) => i.batchNo === b) || (l.input.batches !== undefined && l.input.batches.from <= b && b < l.input.batches.to);
    const tries = lanes.filter((l) => l.at < outageEnds && has(l, 0)).map((l) => l.at);
    assert.ok(tries.length >= 55 && tries.length <= 90, `${tries.length} attempts of batch 0 during the outage`);
    const gaps = tries.slice(1).map((t, i) => t - tries[i]!);
    assert.ok(Math.max(...gaps) <= 5 * 60_000 * 1.2 + 1000, `backoff capped at 5 min: ${Math.max(...gaps)} ms`);
    assert.ok(Math.min(...gaps.slice(-10)) >= 5 * 60_000, 'and at the cap by the end of the outage');
  });

  it('sends nothing until its maintenance window opens hours later, then runs inside it', async () => {
    lanes.length = 0;
    lane = async (input) => clean(input);
    const now = new Date(await env.currentTimeMs());
    const opensAt = new Date(now.getTime() + 3 * HOUR);
    const cron = `${opensAt.getUTCMinutes()} ${opensAt.getUTCHours()} * * *`;
    const handle = await start(
      { rate: 5, batchSize: 100, canary: 0, windows: [{ cron, durationMs: '2h', timezone: 'UTC' }] },
      'window',
    );
    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed');
    const sending = lanes.filter((l) => l.input.sendForMs > 0);
    assert.ok(sending.length > 0, 'it ran');
    const open = Math.floor(opensAt.getTime() / 60_000) * 60_000;
    for (const l of sending) assert.ok(l.at >= open, `a lane sent ${Math.round((open - l.at) / 1000)} s before the window opened`);
    assert.ok(lanes.every((l) => l.input.sendForMs <= 2 * HOUR), 'no term outlasts the window');
  });
});
