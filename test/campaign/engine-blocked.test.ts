import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import {
  PROBE_MAX_MS,
  STORE_LOST,
  WRONG_REPORT_STORE,
  type BlockedAnswer,
  type OwnPartFault,
} from '../../src/campaign/blocking';
import { emptyTotals, untouchedLane, type LaneInput, type LaneResult } from '../../src/campaign/lane';
import { campaignOptionsSchema, type CampaignOptionsInput } from '../../src/campaign/options';
import type { CampaignStatus } from '../../src/campaign/status';
import type { RecordOutcomesInput } from '../../src/campaign/work-item';
import { locateTestServer } from '../../src/temporal/locate-cli';
import { campaignSearchAttributes } from '../../src/temporal/search-attributes';
import { cancelNowUpdate, cancelUpdate, resetCampaign, statusQuery } from '../../src/workflows';
import { workflowBundle } from '../helpers/campaign-env';
import { campaignResult } from '../../src/temporal/campaign-result';

const MIN = 60_000;
const enospc: OwnPartFault = {
  part: 'store',
  code: 'ENOSPC',
  message: 'store: ENOSPC writing /r/c/jobs/b0000003.json',
};
const lost: OwnPartFault = {
  part: 'store',
  code: STORE_LOST,
  message: 'store: REPORT_DIR /r/ no longer holds the campaign (its .store-id is gone)',
};

/**
 * The workflow's side of a campaign blocked by one of our own parts, on the time-skipping test
 * server with the activities mocked: it blocks at the first blocked answer, sends nothing while
 * blocked, probes with a capped backoff, resumes by itself, never fails and never marks a phone.
 */
describe(
  'lane engine blocked by an own part (time-skipping server, mocked activities)',
  { timeout: 5 * MIN },
  () => {
    let env: TestWorkflowEnvironment;
    let worker: Worker;
    let running: Promise<void>;
    const taskQueue = 'engine-blocked';
    const log: { what: string; at: number; input?: unknown }[] = [];
    let lane: (input: LaneInput) => Promise<LaneResult>;
    let probe: () => Promise<Partial<BlockedAnswer>>;
    let record: (input: RecordOutcomesInput) => Promise<number | BlockedAnswer>;
    let finalize: () => Promise<
      { location: string; lines: number; duplicates: number; rebuilt?: number } | BlockedAnswer
    >;
    const now = () => env.currentTimeMs();

    before(async () => {
      const path = locateTestServer();
      assert.ok(path, 'the time-skipping test server is not installed: run `npm run setup:temporal`');
      env = await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path } },
      });
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
            log.push({ what: 'lane', at: await now(), input });
            return lane(input);
          },
          probeOwnParts: async () => {
            log.push({ what: 'probe', at: await now() });
            return probe();
          },
          recordOutcomes: async (input: RecordOutcomesInput) => {
            log.push({ what: 'record', at: await now(), input });
            return record(input);
          },
          finalizeReport: async (input: unknown) => {
            log.push({ what: 'finalize', at: await now(), input });
            return finalize();
          },
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
        args: [
          {
            options: campaignOptionsSchema.parse({ ...o, campaignId: id }),
            source: { kind: 'inline', ids: ['x'] },
          },
        ],
      });

    /** Every batch of the lane's term tracked clean. */
    const clean = (input: LaneInput): LaneResult => {
      const n = input.batches ? input.batches.to - input.batches.from : 0;
      const totals = {
        ...emptyTotals(),
        items: n + input.items.length,
        resets: (n + input.items.length) * input.batchSize,
        cleanFirstRound: n,
      };
      totals.counts.succeeded = (n + input.items.length) * input.batchSize;
      return {
        results: [],
        totals,
        unsent: [],
        handedOver: [],
        rate: input.rate,
        calls: n + input.items.length,
        polls: n,
        heartbeats: 0,
        attempt: 1,
      };
    };
    /** Its first batch done, then the store fails: the rest back unsent, the fault returned. */
    const blockedAfterOne = (input: LaneInput, fault: OwnPartFault): LaneResult => {
      const b = input.batches!;
      const done = clean({ ...input, items: [], batches: { from: b.from, to: b.from + 1 } });
      return {
        ...done,
        unsent: input.items,
        ...(b.to > b.from + 1 ? { unsentBatches: { from: b.from + 1, to: b.to } } : {}),
        blocked: fault,
        stopped: fault.message,
      };
    };
    const between = (what: string, from: number, to: number) =>
      log.filter((e) => e.what === what && e.at >= from && e.at < to);

    it('a full disk for 10 minutes: blocked at once with the cause, no lane while blocked, probes backing off to 30 s, resumed by itself within 30 s of the fix, completed', async () => {
      log.length = 0;
      const t0 = await now();
      const fixedAt = t0 + 10 * MIN;
      let blockedStatus: CampaignStatus | undefined;
      lane = async (input) =>
        (await now()) < fixedAt && input.batches ? blockedAfterOne(input, enospc) : clean(input);
      let probes = 0;
      probe = async () => {
        probes += 1;
        if (probes === 3) blockedStatus = await env.client.workflow.getHandle('full-disk').query(statusQuery);
        return (await now()) < fixedAt ? { blocked: enospc } : {};
      };
      record = async () => 0;
      finalize = async () => ({ location: 'mock', lines: 1000, duplicates: 0 });
      const handle = await start({ rate: 5, batchSize: 100, canary: 0, termMs: '30s' }, 'full-disk');
      const result = await campaignResult(handle);
      assert.equal(result.state, 'completed', JSON.stringify(result));
      assert.equal(
        result.counts.succeeded,
        1000,
        'every phone counted once: the batches handed back ran after the fix',
      );
      assert.equal(result.counts.failed + result.counts.canceled, 0, 'no phone marked for the store');

      const firstBlocked = log.find((e) => e.what === 'lane')!;
      assert.ok(blockedStatus, 'queried while blocked');
      assert.equal(blockedStatus.state, 'blocked');
      assert.deepEqual(
        { ...blockedStatus.blockingCause, since: undefined, lastAt: undefined },
        {
          part: 'store',
          code: 'ENOSPC',
          message: enospc.message,
          since: undefined,
          lastAt: undefined,
          fix: blockedStatus.blockingCause!.fix,
        },
      );
      assert.match(
        blockedStatus.blockedBy!,
        /^store: ENOSPC writing \/r\/c\/jobs\/b0000003\.json \(since \d\d:\d\d UTC\) — free space/,
      );
      assert.equal(blockedStatus.errorBudget.used, 0, 'nothing counted against the budget');

      // No lane ran while blocked: the next one after the first came after a probe passed.
      const probeTimes = log.filter((e) => e.what === 'probe').map((e) => e.at);
      const healed = probeTimes.find((t) => t >= fixedAt)!;
      assert.deepEqual(between('lane', firstBlocked.at + 1, healed), [], 'nothing sent while blocked');
      const resumed = log.find((e) => e.what === 'lane' && e.at >= healed)!;
      assert.ok(
        resumed.at - fixedAt <= PROBE_MAX_MS + 1000,
        `resumed ${resumed.at - fixedAt} ms after the fix`,
      );
      // Backoff: 2 s, 4 s, 8 s, 16 s, then 30 s between probes, never a tight loop.
      const gaps = probeTimes.slice(1).map((t, i) => t - probeTimes[i]!);
      assert.ok(
        gaps.slice(0, 3).every((g, i) => g >= 2 ** (i + 2) * 1000 - 100),
        `gaps ${gaps.join(',')}`,
      );
      assert.ok(Math.max(...gaps) <= PROBE_MAX_MS + 1000, `gaps capped: ${Math.max(...gaps)}`);
      assert.ok(probeTimes.length >= 20 && probeTimes.length <= 30, `${probeTimes.length} probes in 10 min`);
    });

    it('a write of the ending refused: retried after the backoff until the store takes it, the campaign completes', async () => {
      log.length = 0;
      lane = async (input) => clean(input);
      let refusals = 3;
      record = async () => 0;
      finalize = async () =>
        refusals-- > 0
          ? {
              blocked: {
                part: 'store',
                code: '57P01',
                message: 'store: PostgreSQL 57P01 writing postgres://db',
              },
            }
          : { location: 'mock', lines: 1000, duplicates: 0 };
      probe = async () => ({});
      const handle = await start({ rate: 5, batchSize: 100, canary: 0 }, 'finalize-refused');
      const result = await campaignResult(handle);
      assert.equal(result.state, 'completed');
      const tries = log.filter((e) => e.what === 'finalize').map((e) => e.at);
      assert.equal(tries.length, 4);
      assert.deepEqual(
        tries.slice(1).map((t, i) => Math.round((t - tries[i]!) / 1000)),
        [2, 4, 8],
      );
    });

    it('a report that lacked lines at the end (rebuilt from the journal by finalize): the campaign ends failed, saying so', async () => {
      log.length = 0;
      lane = async (input) => clean(input);
      record = async () => 0;
      finalize = async () => ({ location: 'mock', lines: 1000, duplicates: 0, rebuilt: 40 });
      probe = async () => ({});
      const handle = await start({ rate: 5, batchSize: 100, canary: 0 }, 'rebuilt-at-end');
      const result = await campaignResult(handle);
      assert.equal(result.state, 'failed');
      assert.match(result.reason!, /^40 phones had no line at the end: rebuilt from the journal/);
      assert.equal(result.reportLines, 1000);
      // The workflow tells finalize how many lines a whole report holds, and the batch size.
      assert.deepEqual(log.find((e) => e.what === 'finalize')?.input, {
        campaignId: 'rebuilt-at-end',
        state: 'completed',
        expectedLines: 1000,
        batchSize: 100,
      });
    });

    it('a lane refused by every worker for their store (WrongReportStore): blocked, its work back as it came, never an ORCHESTRATOR_ERROR line', async () => {
      log.length = 0;
      let refusals = 2;
      lane = async (input) => {
        if (refusals-- > 0)
          throw ApplicationFailure.nonRetryable(
            "this worker's report store /a holds nothing of campaign c",
            WRONG_REPORT_STORE,
          );
        return clean(input);
      };
      record = async () => 0;
      finalize = async () => ({ location: 'mock', lines: 1000, duplicates: 0 });
      probe = async () => ({});
      const handle = await start({ rate: 5, batchSize: 100, canary: 0 }, 'wrong-store');
      const result = await campaignResult(handle);
      assert.equal(result.state, 'completed');
      assert.equal(result.counts.succeeded, 1000);
      assert.deepEqual(
        log.filter((e) => e.what === 'record'),
        [],
        'no phone given up',
      );
      assert.ok(log.filter((e) => e.what === 'probe').length >= 1);
    });

    it('its store lost: a plain cancel waits for the store (blocked, canceling); cancel --now ends it without writing a line', async () => {
      log.length = 0;
      lane = async (input) => untouchedLane(input, 1, lost);
      probe = async () => ({ blocked: lost });
      record = async () => ({ blocked: lost });
      finalize = async () => ({ blocked: lost });
      const handle = await start({ rate: 5, batchSize: 100, canary: 0 }, 'store-lost');
      await env.sleep(3 * MIN);
      const blocked = await handle.query(statusQuery);
      assert.equal(blocked.state, 'blocked');
      assert.equal(blocked.blockingCause?.code, STORE_LOST);
      assert.match(blocked.blockedBy!, /restore it from a backup .* cancel <campaign> --now/);
      await handle.executeUpdate(cancelUpdate, { args: ['stop it'] });
      await env.sleep(3 * MIN);
      const canceling = await handle.query(statusQuery);
      assert.equal(canceling.state, 'canceling', 'a plain cancel waits for the store to write its lines');
      assert.equal(canceling.blockingCause?.code, STORE_LOST);
      const writes = log.filter((e) => e.what === 'record' || e.what === 'finalize').length;
      assert.ok(writes >= 1, 'it tries to write the lines');

      await handle.executeUpdate(cancelNowUpdate, { args: ['give up on it'] });
      const result = await campaignResult(handle);
      assert.equal(result.state, 'canceled');
      assert.match(
        result.reason!,
        /^stop it; no report was written: store: REPORT_DIR \/r\/ no longer holds the campaign/,
      );
      assert.equal(result.reportLines, 0);
      assert.ok(
        log.filter((e) => e.what === 'record' || e.what === 'finalize').length <= writes + 1,
        'nothing more written after cancel --now',
      );
      assert.equal(
        log.filter((e) => e.what === 'lane' && (e.input as LaneInput).sendForMs > 0).length,
        1,
        'one lane: blocked at its start, nothing sent',
      );
    });
  },
);
