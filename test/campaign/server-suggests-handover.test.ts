import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { statusQuery } from '../../src/workflows';
import { campaignEnv } from '../helpers/campaign-env';

// The server's advice to continue as new (its history limits, which an operator may lower) is
// taken between terms, as v1 took it, not only the campaign's own maxHistoryEvents (9 000).
const SUGGEST_AT = 300;

describe('a campaign continues as new when the server suggests it', () => {
  let server: DevServer | undefined;
  const harness = { address: process.env.TEMPORAL_TEST_ADDRESS };
  before(async () => {
    const namespace = process.env.TEMPORAL_TEST_NAMESPACE ?? 'default';
    server = await startDevServer({
      headless: true,
      moreNamespaces: namespace === 'default' ? [] : [namespace],
      dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_AT },
    });
    process.env.TEMPORAL_TEST_ADDRESS = server.address;
  });
  const env = campaignEnv({ jobDurationMs: '100..300' });
  after(async () => {
    await server?.stop();
    if (harness.address === undefined) delete process.env.TEMPORAL_TEST_ADDRESS;
    else process.env.TEMPORAL_TEST_ADDRESS = harness.address;
  });

  it(`hands over near ${SUGGEST_AT} events with maxHistoryEvents at its default, every phone reset once`, async () => {
    const ids = env.ids(600, 0);
    const { result, lines, handle } = await env.run({ concurrency: 4, rate: 20, batchSize: 5, canary: 0, termMs: 1000 }, { kind: 'inline', ids });
    assert.equal(result.state, 'completed');
    assert.equal(lines.length, 600);
    assert.deepEqual(ids.filter((id) => env.sim.instance(id)?.resets !== 1), []);
    const runs: number[] = [];
    for await (const w of env.temporal.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
      const history = await env.temporal.client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      runs.push(history.events!.length);
    }
    assert.ok(runs.length >= 2, `${runs.length} run(s) of ${runs.join(', ')} events`);
    // Each handed over soon after the advice: a term's events past it at most.
    for (const n of runs) assert.ok(n < SUGGEST_AT + 200, `a run of ${n} events: ${runs.join(', ')}`);
    assert.equal((await handle.query(statusQuery).catch(() => undefined))?.run ?? runs.length, runs.length);
  });
});
