import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { CampaignStatus } from '../../src/campaign/status';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { operatorCli } from './run-cli';
import { standaloneDevServer } from './standalone-server';

interface DryRun {
  dryRun: true;
  plan: {
    instances: number;
    errorBudget: { allowed: number; instances: number; percent: number };
    jobTimeoutMs: number;
    retryDelayMs: number;
  };
}

// What an operator types daily, through the built CLI against a real dev server, the simulator
// and a real worker: CSV exports as spreadsheets name their columns, the flags the hints name,
// a plan that shows what the campaign may spend, and a dry run that refuses what start refuses.
describe('koophone-reset operator habits', () => {
  const stopServer = standaloneDevServer();
  const env = campaignEnv({ instances: 5000, jobDurationMs: '200..500' });
  stopServer();
  const cli = operatorCli(
    env,
    () => ({ KOOPHONE_ENDPOINT: env.sim.url, KOOPHONE_TOKEN: 'sim-token' }),
    120_000,
  );
  const fast = ['--canary', '0', '--rate', '20', '--concurrency', '10'];

  it('a CSV export with an "Instance ID" column is read, by the CLI and by the worker alike', async () => {
    const ids = env.ids(120, 0);
    const file = env.writeIdsFile(
      'export.csv',
      ['Phone Name,Instance ID,Region', ...ids.map((id, i) => `phone ${i},${id},cn-east-3`)].join('\r\n') +
        '\r\n',
    );
    const id = `csv-${randomUUID().slice(0, 6)}`;
    const run = await cli(['start', '--ids-file', file, '--campaign-id', id, '--wait', ...fast]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /instances {4}120\b/);
    assert.deepEqual(
      countBy(ids, (i) => String(env.sim.instance(i)?.resets ?? 0)),
      { '1': 120 },
      'every phone of the export reset once',
    );
  });

  it('--id-column names another column; with none found the headers are listed, exit 2', async () => {
    const ids = env.ids(30, 200);
    const file = env.writeIdsFile(
      'cloud-phones.csv',
      ['Phone Name,cloud_phone_id', ...ids.map((id, i) => `p${i},${id}`)].join('\n') + '\n',
    );
    const named = await cli([
      'start',
      '--ids-file',
      file,
      '--id-column',
      'Cloud Phone ID',
      '--dry-run',
      '--json',
    ]);
    assert.equal(named.code, 0, named.stderr);
    assert.equal((JSON.parse(named.stdout) as DryRun).plan.instances, 30);

    const missing = await cli(['start', '--ids-file', file, '--dry-run']);
    assert.equal(missing.code, 2, missing.stdout + missing.stderr);
    assert.match(
      missing.stderr,
      /CSV header has no instance_id column \(found "Phone Name", "cloud_phone_id"\); name the id column with --id-column/,
    );
    const wrong = await cli(['start', '--ids-file', file, '--id-column', 'serial', '--dry-run']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /CSV header has no "serial" column \(found "Phone Name", "cloud_phone_id"\)/);
    const noFile = await cli(['start', ...ids, '--id-column', 'serial']);
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /--id-column names the id column of a CSV file: use it with --ids-file/);
  });

  it('--submit-timeout, named by the status hints, is a flag; the plan shows budget, job timeout and retry delay', async () => {
    const ids = env.ids(3000, 1000);
    const file = env.writeIdsFile('plan.txt', ids.join('\n') + '\n');
    const text = await cli([
      'start',
      '--ids-file',
      file,
      '--submit-timeout',
      '2d',
      '--job-timeout',
      '45m',
      '--retry-delay',
      '90s',
      '--dry-run',
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ {2}error budget 300 of 3,000 allowed \(10 %\)$/m);
    assert.match(text.stdout, /^ {2}job timeout {2}45m per reset job/m);
    assert.match(
      text.stdout,
      /^ {2}retries {6}failed jobs are retried up to 2 times, 1m30s after they fail/m,
    );
    const json = JSON.parse(
      (await cli(['start', '--ids-file', file, '--max-errors', '50', '--dry-run', '--json'])).stdout,
    ) as DryRun;
    assert.deepEqual(json.plan.errorBudget, { allowed: 50, instances: 3000, percent: (50 / 3000) * 100 });
    assert.deepEqual([json.plan.jobTimeoutMs, json.plan.retryDelayMs], [30 * 60_000, 5 * 60_000]);
    const bad = await cli(['start', '--ids-file', file, '--submit-timeout', '5', '--dry-run']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--submit-timeout: "5" has no unit/);
  });

  it('--dry-run refuses the overlap the real start refuses, with its words and exit code', async () => {
    const x = `hold-${randomUUID().slice(0, 6)}`;
    const xs = env.ids(600, 2000);
    const ys = env.ids(300, 2400); // 200 shared: 2400..2599
    const fileX = env.writeIdsFile(`${x}.txt`, xs.join('\n') + '\n');
    const fileY = env.writeIdsFile(`${x}-y.txt`, ys.join('\n') + '\n');
    // X goes slowly, front to back: its shared phones (the last ones) are still held.
    const startX = await cli([
      'start',
      '--ids-file',
      fileX,
      '--campaign-id',
      x,
      '--canary',
      '0',
      '--rate',
      '0.5',
      '--concurrency',
      '1',
    ]);
    assert.equal(startX.code, 0, startX.stderr);
    await waitFor(async () => {
      const s = (await env.temporal.client.workflow.getHandle(x).query('status')) as CampaignStatus;
      return s.total > 0;
    }, 30_000);
    try {
      const real = await cli(['start', '--ids-file', fileY, ...fast]);
      const dry = await cli(['start', '--ids-file', fileY, '--dry-run', ...fast]);
      assert.equal(real.code, 2, real.stdout + real.stderr);
      assert.equal(dry.code, real.code, dry.stdout + dry.stderr);
      const refusal = new RegExp(`200 of these 300 phones are held by running campaigns: 200 by ${x}`);
      assert.match(real.stderr, refusal);
      assert.match(dry.stderr, refusal);
      assert.match(dry.stdout, /instances {4}300/, 'the plan is shown before the refusal');
      assert.doesNotMatch(dry.stdout, /nothing started/);

      const skipping = await cli(['start', '--ids-file', fileY, '--dry-run', '--skip-overlap', ...fast]);
      assert.equal(skipping.code, 0, skipping.stderr);
      assert.match(skipping.stderr, /--skip-overlap: they will be skipped/);
      assert.match(skipping.stdout, /dry run: nothing started/);

      const taken = await cli(['start', '--ids-file', fileY, '--campaign-id', x, '--dry-run']);
      assert.equal(taken.code, 2);
      assert.match(taken.stderr, new RegExp(`a campaign with id ${x} already exists`));
    } finally {
      await cli(['cancel', x, '--now']);
    }
  });
});
