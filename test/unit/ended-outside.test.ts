import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { CAMPAIGN_RESULT_MEMO } from '../../src/campaign/ending';
import { endedOutside } from '../../src/cli/terminated-campaign';

const described = (status: string, memo: Record<string, unknown> = {}) =>
  ({ status: { name: status }, memo }) as unknown as WorkflowExecutionDescription;

describe('endedOutside: which endings leave the report to be rebuilt from the store and the journal', () => {
  it('terminated, timed out, and a failure before the campaign wrote its result; never an ending of its own', () => {
    assert.equal(endedOutside(described('TERMINATED')), 'terminated');
    assert.equal(endedOutside(described('TIMED_OUT')), 'timed out');
    assert.equal(
      endedOutside(described('FAILED')),
      'failed',
      'the workflow failed before assembling its report',
    );
    assert.equal(
      endedOutside(described('FAILED', { [CAMPAIGN_RESULT_MEMO]: { state: 'aborted' } })),
      undefined,
    );
    assert.equal(endedOutside(described('CANCELLED')), undefined);
    assert.equal(endedOutside(described('COMPLETED')), undefined);
    assert.equal(endedOutside(described('RUNNING')), undefined);
  });
});
