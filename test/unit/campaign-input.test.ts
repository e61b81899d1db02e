import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { campaignInputProblems } from '../../src/campaign/campaign-input';
import { campaignIdProblem } from '../../src/campaign/campaign-id';
import { campaignOptionsSchema } from '../../src/campaign/options';
import { parseCampaignFlags } from '../../src/cli/campaign-options';
import { pinOf } from '../../src/sources';
import { HISTORY_DIR } from '../helpers/histories';
import { CAMPAIGN_WORKFLOW } from '../../src/campaign/campaign-workflow';

const options = parseCampaignFlags({ maxErrors: '5%', abortFailed: '20', window: ['0 1 * * SUN/4h'] });
const source = { kind: 'inline', ids: ['abc1', 'abc2'] };
const safety = { pin: { ...pinOf(['abc1', 'abc2']), file: { size: 10, sha256: 'a'.repeat(64) } } };

/** The input of each recorded run: what older versions of the CLI and the workflow wrote. */
function recordedInputs(): { name: string; workflowId: string; input: unknown }[] {
  return readdirSync(HISTORY_DIR)
    .filter((f) => f.endsWith('.json'))
    .flatMap((name) => {
      const history = JSON.parse(readFileSync(join(HISTORY_DIR, name), 'utf8')) as {
        events: {
          workflowExecutionStartedEventAttributes: {
            workflowType: { name: string };
            input?: { payloads: { data: string }[] };
          };
        }[];
      };
      const started = history.events[0]!.workflowExecutionStartedEventAttributes;
      if (started.workflowType.name !== CAMPAIGN_WORKFLOW || !started.input) return [];
      const input = JSON.parse(Buffer.from(started.input.payloads[0]!.data, 'base64').toString()) as {
        options: { campaignId: string };
      };
      return [{ name, workflowId: input.options.campaignId, input }];
    });
}

describe('campaign input: what the workflow checks before it runs', () => {
  it('accepts what the CLI starts', () => {
    assert.deepEqual(campaignInputProblems('reset-20260101-000000-ab12', { options, source, safety }), []);
    assert.deepEqual(
      campaignInputProblems('nightly-2026-01-01T03:00:00Z', {
        options,
        source: { kind: 'file', path: '/srv/fleet.csv', format: 'auto' },
      }),
      [],
      'a scheduled run: the schedule name and a timestamp',
    );
  });

  it('accepts the input of every recorded run, first and continued (they may continue as new under this code)', () => {
    const recorded = recordedInputs();
    assert.ok(recorded.length >= 10, `recorded inputs: ${recorded.length}`);
    for (const r of recorded) assert.deepEqual(campaignInputProblems(r.workflowId, r.input), [], r.name);
  });

  it('parsed options read as themselves: the check is the schema the CLI parsed them with', () => {
    assert.deepEqual(campaignOptionsSchema.parse(options), options);
  });

  it('refuses a workflow id that is no campaign id, naming it', () => {
    for (const id of ['../x', '../adv-evil/pwn2', 'a/b', '.hidden', '', 'x'.repeat(129), 'with space']) {
      const problems = campaignInputProblems(id, { options, source });
      assert.equal(problems.length, 1, id);
      assert.match(problems[0]!, /^workflow id: campaign id must be 1-128 characters/);
      assert.ok(problems[0]!.includes(JSON.stringify(id)), problems[0]);
      assert.ok(campaignIdProblem(id));
    }
  });

  it('refuses missing or wrong options, each named', () => {
    assert.deepEqual(campaignInputProblems('c1', { source }), [
      'options: missing (every campaign option must be given)',
    ]);
    const { maxErrors: _m, retryFailed: _r, ...partial } = options;
    assert.deepEqual(campaignInputProblems('c1', { options: partial, source }), [
      'options: missing maxErrors, retryFailed',
    ]);
    assert.deepEqual(campaignInputProblems('c1', { options: { ...options, batchSize: 0 }, source }), [
      'options.batchSize: Too small: expected number to be >=1',
    ]);
    assert.deepEqual(
      campaignInputProblems('c1', {
        options: { ...options, maxErrors: { kind: 'percent', value: 200 } },
        source,
      }),
      ['options.maxErrors: 200% is more than 100%'],
    );
    assert.deepEqual(
      campaignInputProblems('c1', { options: { ...options, frobnicate: true }, source, extra: 1 }),
      ['input: Unrecognized key: "extra"', 'options: Unrecognized key: "frobnicate"'],
    );
  });

  it('refuses a wrong source or safety, and anything that is no input at all', () => {
    assert.deepEqual(campaignInputProblems('c1', { options, source: { kind: 'ftp' } }), [
      "source.kind: Invalid discriminator value. Expected 'inline' | 'file' | 'fleet'",
    ]);
    assert.match(
      campaignInputProblems('c1', { options, source: { kind: 'inline', ids: [] } }).join('\n'),
      /^source\.ids/m,
    );
    assert.match(
      campaignInputProblems('c1', { options, source, safety: { pin: { count: 1, sha256: 'zz' } } }).join(
        '\n',
      ),
      /^safety\.pin\.sha256: expected a sha256 in hex/m,
    );
    assert.deepEqual(campaignInputProblems('c1', null), [
      'input: expected an object { options, source, safety? }',
    ]);
    assert.deepEqual(campaignInputProblems('../x', 'text'), [
      `workflow id: campaign id must be 1-128 characters of letters, digits, ".", "_", ":" or "-" (got "../x")`,
      'input: expected an object { options, source, safety? }',
    ]);
  });

  it('a continued run carries its state and an emptied inline source', () => {
    const carry = { run: 2, counts: {} };
    assert.deepEqual(
      campaignInputProblems('c1', { options, source: { kind: 'inline', ids: [] }, carry }),
      [],
    );
  });
});
