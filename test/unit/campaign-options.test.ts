import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { campaignFlagsTable, flagsOf, parseCampaignFlags } from '../../src/cli/campaign-options';
import {
  campaignOptionDefaults,
  campaignOptionsSchema,
  withOptionDefaults,
} from '../../src/campaign/options';
import { projectRoot } from '../../src/project-root';

describe('campaign options: one declaration', () => {
  it("the README's table is the one generated from the declarations", () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    assert.ok(readme.includes(campaignFlagsTable()), `README.md must contain:\n${campaignFlagsTable()}`);
  });

  it('no flag given: the schema defaults', () => {
    assert.deepEqual(parseCampaignFlags({}), campaignOptionDefaults());
    assert.equal(campaignOptionDefaults().retryDelayMs, 5 * 60_000);
  });

  it('options read back from their flags are the same options (rerun, schedule update)', () => {
    const options = parseCampaignFlags({
      batchSize: '50',
      rate: 'auto',
      rateMax: '20',
      maxErrors: '25',
      retryDelay: '1h30m',
      jobTimeout: '90500ms',
      rampStart: '2',
      abortTimedOut: '5%',
      neverRetry: 'CPS0005, CPS0006',
      window: ['0 1 * * SUN/4h/Asia/Shanghai'],
    });
    assert.deepEqual(parseCampaignFlags(flagsOf(options)), options);
  });

  it('old inputs lacking newer fields get the defaults they always had', () => {
    const old = campaignOptionsSchema.parse({});
    for (const k of [
      'rateMax',
      'submitBackoffMaxMs',
      'rampFactor',
      'rampAfter',
      'abortMinFinished',
      'retryTimedOut',
    ] as const)
      delete (old as Partial<typeof old>)[k];
    const filled = withOptionDefaults(old);
    assert.deepEqual(
      [
        filled.rateMax,
        filled.submitBackoffMaxMs,
        filled.rampFactor,
        filled.rampAfter,
        filled.abortMinFinished,
        filled.retryTimedOut,
      ],
      [50, 300_000, 2, 1, 100, 0],
    );
  });
});
