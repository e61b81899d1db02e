import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CAMPAIGN_WORKFLOW } from '../../src/campaign/campaign-workflow';
import { resetCampaign } from '../../src/workflows';

describe('the campaign workflow type', () => {
  it('is the name of the workflow function the worker registers', () => {
    assert.equal(resetCampaign.name, CAMPAIGN_WORKFLOW);
  });
});
