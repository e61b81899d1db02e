import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { CampaignStatus } from '../../src/campaign/status';
import { campaignEnv, waitFor } from '../helpers/campaign-env';
import { operatorCli, parseCsv, type CliRun } from './run-cli';
import { standaloneDevServer } from './standalone-server';

// KooPhone's text (error messages, codes) reaches people: terminals obey the control sequences in
// it, spreadsheets run a cell that starts like a formula (issue 24 item 9). Hostile text is put
// into the simulator's answers through its admin API, then every output is read through the built
// CLI: the text ones show it escaped, the CSV neutralises formulas, JSON and NDJSON keep it exact.

/** ESC ] (OSC: set the window title) … BEL, ESC [ 2 J (CSI: clear the screen), C1 CSI, CR. */
const HOSTILE_MSG = "=cmd|' /C calc'!A0 \x1b]0;pwned\x07\x1b[2J\x9b31mred\r";
const HOSTILE_CODE = '@SUM(1+1)\x1b[5m';
const QUERY_MSG = '+task \x1b]0;owned\x07 down\x1b[2J';
// C0 controls but tab and line feed, DEL, C1 controls.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

function assertTerminalSafe(what: string, run: CliRun): void {
  for (const [stream, text] of [
    ['stdout', run.stdout],
    ['stderr', run.stderr],
  ] as const) {
    const at = text.search(CONTROL);
    assert.equal(
      at,
      -1,
      `${what}: a raw control character on ${stream} at ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 40))}`,
    );
  }
}

describe('terminal-safe text: control characters and formulas from the API', () => {
  const stopServer = standaloneDevServer();
  const env = campaignEnv({ instances: 2_000, jobDurationMs: '300..600' });
  stopServer();
  const cli = operatorCli(
    env,
    () => ({ KOOPHONE_ENDPOINT: env.sim.url, KOOPHONE_TOKEN: 'sim-token' }),
    120_000,
  );
  const admin = async (path: string, body: unknown) => {
    const res = await fetch(`${env.sim.url}/__sim/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, await res.text());
  };

  it('status, watch, list, start --wait and report show the text escaped; CSV cells cannot start a formula; JSON is exact', async () => {
    const id = `hostile-${randomUUID().slice(0, 6)}`;
    const ids = env.ids(3, 100);
    const [victim] = ids as [string];
    const [victim2] = env.ids(1, 200) as [string];
    // The victims' reset jobs fail with hostile text; task queries fail with more for a while.
    for (const v of [victim, victim2])
      await admin(`instances/${v}`, {
        failNextJob: { code: HOSTILE_CODE, message: HOSTILE_MSG, executeMsg: HOSTILE_MSG },
      });
    await admin('inject', {
      endpoint: 'getTask',
      status: 500,
      body: { error_code: 'KOOPHONE.API.9999', error_msg: QUERY_MSG },
      times: 15,
    });

    const started = await cli(['start', ...ids, '--campaign-id', id, '--canary', '0', '--retry-failed', '0']);
    assert.equal(started.code, 0, started.stderr);
    assertTerminalSafe('start', started);
    // While the task queries fail, the status lists their error (kind server) with its text.
    let json: CampaignStatus | undefined;
    await waitFor(async () => {
      json = JSON.parse((await cli(['status', id, '--json'])).stdout) as CampaignStatus;
      return json.troubles?.some((t) => t.message.includes(QUERY_MSG)) === true;
    }, 60_000);
    assert.equal(json?.state, 'running');
    const status = await cli(['status', id]);
    assertTerminalSafe('status', status);
    assert.ok(
      status.stdout.includes('+task \\x1b]0;owned\\x07 down\\x1b[2J'),
      `status shows it escaped:\n${status.stdout}`,
    );

    // watch follows it to its end: progress lines, then the summary.
    const watched = await cli(['watch', id]);
    assertTerminalSafe('watch', watched);
    assert.match(watched.stdout, /failed 1/, watched.stdout + watched.stderr);

    // start --wait follows a campaign whose one phone fails with the hostile text.
    const waited = await cli(['start', victim2, '--campaign-id', `${id}-w`, '--retry-failed', '0', '--wait']);
    assertTerminalSafe('start --wait', waited);
    assert.match(waited.stdout, /failed 1/, waited.stdout + waited.stderr);

    for (const args of [['list'], ['status', `${id}-w`], ['report', id, '--format', 'html']]) {
      const run = await cli(args);
      assert.equal(run.code, 0, `${args.join(' ')}: exit ${run.code}\n${run.stderr}`);
      assertTerminalSafe(args.join(' '), run);
    }

    const csv = await cli(['report', id, '--format', 'csv']);
    assertTerminalSafe('report --format csv', csv);
    const [header, ...rows] = parseCsv(csv.stdout);
    const col = (name: string) => header!.indexOf(name);
    const row = rows.find((r) => r[col('instance_id')] === victim);
    assert.ok(row, csv.stdout);
    assert.equal(row[col('outcome')], 'failed');
    assert.equal(row[col('error_msg')], "'=cmd|' /C calc'!A0 \\x1b]0;pwned\\x07\\x1b[2J\\x9b31mred\\x0d");
    assert.equal(row[col('error_code')], "'@SUM(1+1)\\x1b[5m");
    for (const r of rows)
      for (const cell of r) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `a formula cell: ${cell}`);

    const ndjson = await cli(['report', id, '--format', 'ndjson']);
    const line = ndjson.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { instanceId: string; errorMsg: string; errorCode: string })
      .find((l) => l.instanceId === victim);
    assert.ok(line, ndjson.stdout);
    assert.equal(line.errorMsg, HOSTILE_MSG, 'NDJSON keeps the text exact');
    assert.equal(line.errorCode, HOSTILE_CODE);

    // The CSV report still reads back as an id file: the same phones.
    const again = await cli([
      'start',
      '--ids-file',
      env.writeIdsFile(`${id}.csv`, csv.stdout),
      '--dry-run',
      '--json',
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { plan: { instances: number } }).plan.instances, 3);
  });
});
