import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { temporal } from '@temporalio/proto';
import { pauseUpdate, statusQuery } from '../../src/workflows';
import { campaignEnv, waitFor } from '../helpers/campaign-env';

describe('what the Temporal UI shows of a campaign', () => {
  const env = campaignEnv({ jobDurationMs: '300..600' });

  it("a running campaign's current details carry the counts that status reports", async () => {
    const handle = await env.start(
      { batchSize: 20, concurrency: 2, rate: 10, canary: 0 },
      { kind: 'inline', ids: env.ids(400, 9000) },
    );
    await waitFor(async () => (await handle.query(statusQuery)).succeeded >= 40);
    await handle.executeUpdate(pauseUpdate);
    await waitFor(async () => (await handle.query(statusQuery)).inFlight === 0);
    const status = await handle.query(statusQuery);
    const metadata = await handle.query<temporal.api.sdk.v1.IWorkflowMetadata>(
      '__temporal_workflow_metadata',
    );
    const details = metadata.currentDetails ?? '';
    assert.match(details, new RegExp(`Campaign ${handle.workflowId}: \\*\\*paused\\*\\*`));
    assert.match(details, new RegExp(`\\| succeeded \\| ${status.succeeded.toLocaleString('en-US')} \\|`));
    assert.match(details, new RegExp(`\\| pending \\| ${status.pending.toLocaleString('en-US')} \\|`));
    assert.match(
      details,
      new RegExp(
        `${status.total - status.pending - status.inFlight} / ${status.total}\\*\\* instances finished`,
      ),
    );
    assert.doesNotMatch(details, /sim-token/);
    await handle.cancel();
  });

  it('names each lane activity after its share of the campaign in the UI', async () => {
    const { handle } = await env.run(
      { batchSize: 50, rate: 50, canary: 0 },
      { kind: 'inline', ids: env.ids(100, 9500) },
    );
    const history = await handle.fetchHistory();
    const summaries: string[] = [];
    for (const e of history.events ?? []) {
      if (e.activityTaskScheduledEventAttributes?.activityType?.name !== 'runLane') continue;
      const data = e.userMetadata?.summary?.data;
      summaries.push(data ? (JSON.parse(Buffer.from(data).toString()) as string) : '');
    }
    // Rate 50 makes 5 lanes; the two batches go to the first two.
    assert.deepEqual(summaries.sort(), ['lane 1/5 · 50 instances · sending', 'lane 2/5 · 50 instances · sending']);
  });
});
