import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { closeTestTemporal, testTemporal, type TestTemporal } from '../helpers/temporal';
import { cliEnv, hasStackTrace, runCli } from './run-cli';
import { standaloneDevServer } from './standalone-server';

interface DescribedSchedule {
  paused: boolean;
  note?: string;
  pauseReason?: string;
  nextRuns: string[];
}

// A schedule read as its operator reads it: times on the schedule's own clock with UTC beside,
// the operator's note kept through pause and unpause (the reason is Temporal's note), and every
// campaign option of its runs shown by describe.
describe('koophone-reset schedules as an operator reads them', () => {
  const stopServer = standaloneDevServer();
  let temporal: TestTemporal;
  let env: NodeJS.ProcessEnv;
  let idsFile: string;
  const cli = async (args: string[]) => {
    const run = await runCli(args, env);
    assert.ok(!hasStackTrace(run.stderr), `no stack trace expected:\n${run.stderr}`);
    assert.equal(run.code, 0, `${args.join(' ')}\n${run.stdout}\n${run.stderr}`);
    return run;
  };
  const describeJson = async (name: string) =>
    JSON.parse((await cli(['schedule', 'describe', name, '--json'])).stdout) as DescribedSchedule;

  before(async () => {
    temporal = await testTemporal();
    const dir = mkdtempSync(join(tmpdir(), 'koophone-cli-schedules-'));
    idsFile = join(dir, 'fleet.txt');
    writeFileSync(idsFile, 'phone-1\nphone-2\n');
    env = cliEnv({
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      // No worker polls this queue: no schedule here is triggered.
      TEMPORAL_TASK_QUEUE: `cli-schedules-${randomUUID()}`,
      REPORT_DIR: join(dir, 'reports'),
    });
  });
  after(async () => {
    for await (const s of temporal.client.schedule.list())
      if (s.scheduleId.startsWith('sched-test-'))
        await temporal.client.schedule.getHandle(s.scheduleId).delete();
    await closeTestTemporal();
  });
  stopServer();

  const NOTE = 'nightly maintenance reset, CHG-1234';
  const create = (name: string) =>
    cli([
      'schedule',
      'create',
      name,
      '--cron',
      '0 3 * * *',
      '--timezone',
      'Asia/Shanghai',
      '--ids-file',
      idsFile,
      '--note',
      NOTE,
      '--window',
      '0 1 * * SUN/4h/Asia/Shanghai',
      '--job-timeout',
      '45m',
    ]);

  it('list and describe show the next run on the schedule’s clock, with UTC beside', async () => {
    const name = `sched-test-${randomUUID().slice(0, 6)}`;
    const created = await create(name);
    // 03:00 in Shanghai is 19:00 UTC the day before.
    assert.match(created.stdout, /next run \d{4}-\d\d-\d\d 03:00 Asia\/Shanghai \(\d\d-\d\d 19:00 UTC\)/);
    const list = await cli(['schedule', 'list']);
    const row = list.stdout.split('\n').find((l) => l.startsWith(name));
    assert.ok(row, list.stdout);
    assert.match(row, /Asia\/Shanghai\s+active\s+\d{4}-\d\d-\d\d 03:00 \(\d\d-\d\d 19:00 UTC\)/);
    assert.ok(row.endsWith(NOTE), row);
    const described = await cli(['schedule', 'describe', name]);
    assert.match(
      described.stdout,
      /next runs {4}\d{4}-\d\d-\d\d 03:00 Asia\/Shanghai \(\d\d-\d\d 19:00 UTC\)/,
    );
    // JSON keeps the instant unambiguous: UTC.
    assert.match((await describeJson(name)).nextRuns[0]!, /T19:00:00\.000Z$/);
  });

  it('pause and unpause keep the note and take --reason, which is Temporal’s note', async () => {
    const name = `sched-test-${randomUUID().slice(0, 6)}`;
    await create(name);
    const paused = await cli(['schedule', 'pause', name, '--reason', 'change freeze until Monday']);
    assert.match(paused.stdout, new RegExp(`schedule ${name} paused: change freeze until Monday`));
    const whilePaused = await describeJson(name);
    assert.deepEqual(
      [whilePaused.paused, whilePaused.note, whilePaused.pauseReason],
      [true, NOTE, 'change freeze until Monday'],
    );
    // What the Temporal UI shows beside the pause.
    const raw = await temporal.client.schedule.getHandle(name).describe();
    assert.equal(raw.state.note, 'change freeze until Monday');
    const text = await cli(['schedule', 'describe', name]);
    assert.match(text.stdout, new RegExp(`^Schedule ${name} \\(paused: change freeze until Monday\\)$`, 'm'));
    assert.match(text.stdout, new RegExp(`^  note {9}${NOTE}$`, 'm'));
    const row = (await cli(['schedule', 'list'])).stdout.split('\n').find((l) => l.startsWith(name));
    assert.match(row ?? '', new RegExp(`paused \\(change freeze until Monday\\).*${NOTE}$`));

    await cli(['schedule', 'unpause', name]);
    const unpaused = await describeJson(name);
    assert.deepEqual([unpaused.paused, unpaused.note, unpaused.pauseReason], [false, NOTE, undefined]);
    // Paused again without a reason: the note is still the operator's.
    await cli(['schedule', 'pause', name]);
    assert.deepEqual((await describeJson(name)).note, NOTE);
  });

  it('a schedule whose note lived only in Temporal’s note keeps it through a pause', async () => {
    const name = `sched-test-${randomUUID().slice(0, 6)}`;
    await create(name);
    // As schedules made before the note moved to the memo: no note there, only in state.note.
    const handle = temporal.client.schedule.getHandle(name);
    await handle.update((prev) => {
      const memo = (prev.action.memo as { schedule: Record<string, unknown> }).schedule;
      const { note: _dropped, ...older } = memo;
      return { ...prev, action: { ...prev.action, memo: { schedule: older } } } as typeof prev;
    });
    assert.equal((await handle.describe()).state.note, NOTE);
    await cli(['schedule', 'pause', name, '--reason', 'audit']);
    const d = await describeJson(name);
    assert.deepEqual([d.note, d.pauseReason], [NOTE, 'audit']);
  });

  it('describe shows every campaign option of the runs, the window included', async () => {
    const name = `sched-test-${randomUUID().slice(0, 6)}`;
    await create(name);
    const text = (await cli(['schedule', 'describe', name])).stdout;
    for (const option of [
      '--window "0 1 * * SUN/4h/Asia/Shanghai"',
      '--job-timeout 45m',
      '--retry-delay 5m',
      '--max-errors 10%',
      '--batch-size 100',
      '--concurrency 10',
      '--rate 5',
      '--canary 1',
      '--retry-failed 2',
      '--blocked-after 5m',
    ])
      assert.ok(text.includes(option), `${option} in:\n${text}`);
  });
});
