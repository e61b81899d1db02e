import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { interceptorsBeside } from '../../src/prebuilt-bundle';
import { closeTestTemporal, testTemporal, type TestTemporal } from '../helpers/temporal';
import { age, clockProbe, go, LATE_MS } from './support/clock-probe-workflow';

// A status query reaching a worker that has not cached the run, while a signal waits for the
// run's next workflow task: @temporalio/worker 1.24.0 replays the history for the query, applies
// the signal on the clock of the last task and keeps the run, and the commands it decided there go
// to the next real task. Without src/workflows/interceptors.ts the probe below records a timer
// (decided on its start clock) where every replay schedules the lane: 2 rounds in 3 before the fix.
const ROUNDS = 4;
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('a query replayed on a worker that had not cached the run', () => {
  let temporal: TestTemporal;
  let workflowBundle: WorkflowBundleWithSourceMap;
  before(async () => {
    temporal = await testTemporal();
    workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('./support/clock-probe-workflow'),
      // The production interceptors, as every workflow bundle has them.
      workflowInterceptorModules: [interceptorsBeside(require.resolve('../../src/workflows'))],
      logger: quiet,
    });
  });
  after(closeTestTemporal);

  it('never lends its clock to the decisions of the next workflow task', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const taskQueue = `query-replay-clock-${randomUUID()}`;
      const worker = () =>
        Worker.create({
          connection: temporal.nativeConnection,
          namespace: temporal.namespace,
          taskQueue,
          workflowBundle,
          activities: { probeLane: async () => undefined },
        });
      // The first worker runs the first task, then leaves: nobody has the run cached.
      const first = await worker();
      const firstRun = first.run();
      const handle = await temporal.client.workflow.start(clockProbe, { taskQueue, workflowId: taskQueue });
      await handle.query(age);
      first.shutdown();
      await firstRun;
      await sleep(LATE_MS + 500);
      // The query waits for a poller; the signal's task is queued behind it.
      const answered = handle.query(age).then(
        () => 'answered',
        (err: unknown) => `failed: ${String(err)}`,
      );
      await sleep(500);
      await handle.signal(go);
      const second = await worker();
      const secondRun = second.run();
      const decided = await handle.result();
      await answered;
      second.shutdown();
      await secondRun;
      // Decided at the time of the task that applied the signal, as every replay decides it.
      assert.equal(decided, 'lane', `round ${round}: the signal was decided on the clock of the first task`);
      await Worker.runReplayHistory({ workflowBundle }, await handle.fetchHistory(), taskQueue);
    }
  });
});
