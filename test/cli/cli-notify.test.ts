import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Worker } from '@temporalio/worker';
import type { Notification } from '../../src/campaign/notification';
import { createKoophoneClient, Secret } from '../../src/koophone';
import { projectRoot } from '../../src/project-root';
import { freePort } from '../../src/temporal/free-port';
import { createCampaignWorker } from '../../src/worker';
import { statusQuery, type NotifyCampaignResult } from '../../src/workflows';
import { campaignEnv, waitFor, workflowBundle, type CampaignEnv } from '../helpers/campaign-env';
import { operatorCli } from './run-cli';

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(
  JSON.parse(
    readFileSync(join(projectRoot, 'docs', 'schemas', 'notification.schema.json'), 'utf8'),
  ) as object,
);

interface Delivery {
  key: string | undefined;
  body: Notification;
  answered: number;
}

/** A webhook receiver on a free port: every POST it got, and the answer it gave. */
async function receiver(): Promise<{
  url: string;
  got: Delivery[];
  refuseNext: Set<string>;
  close(): Promise<void>;
}> {
  const got: Delivery[] = [];
  /** Keys answered 503 once (then 200): the sender must try again, the receiver drops the repeat. */
  const refuseNext = new Set<string>();
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      const key = req.headers['idempotency-key'] as string | undefined;
      const answered = key && refuseNext.delete(key) ? 503 : 200;
      got.push({ key, body: JSON.parse(text) as Notification, answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    got,
    refuseNext,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The events a campaign's receiver accepted, once per idempotency key, as a receiver keeps them. */
function accepted(got: Delivery[], campaignId: string): Notification[] {
  const seen = new Set<string>();
  return got
    .filter((d) => d.body.campaignId === campaignId && d.answered === 200)
    .filter((d) => !seen.has(d.key!) && seen.add(d.key!))
    .map((d) => d.body);
}

function assertValid(n: Notification, key: string | undefined): void {
  assert.ok(validate(n), `${ajv.errorsText(validate.errors)}\n${JSON.stringify(n)}`);
  assert.equal(key, n.idempotencyKey, 'the header carries the payload key');
  assert.doesNotMatch(n.text, /\n/);
}

/** A worker whose KOOPHONE_TOKEN the API refuses: its campaigns turn blocked. */
async function workerWithToken(env: CampaignEnv, token: string): Promise<{ stop(): Promise<void> }> {
  const worker: Worker = await createCampaignWorker({
    connection: env.temporal.nativeConnection,
    namespace: env.temporal.namespace,
    taskQueue: env.taskQueue,
    client: createKoophoneClient({
      endpoint: env.sim.url,
      timeoutMs: 5000,
      auth: { kind: 'static', token: new Secret(token) },
    }),
    store: env.store,
    workflowBundle: await workflowBundle(),
  });
  const run = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await run;
    },
  };
}

/** Every file under a folder, recursively (the store's reports, journals, spools). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

// `--notify URL` through the built CLI, on the real dev server and simulator: a receiver sees
// exactly one event per state change, each valid against docs/schemas/notification.schema.json,
// and the URL's token is nowhere Temporal or the store keeps; a receiver that is down delays nothing.
describe('--notify: a webhook event per state change of a campaign', () => {
  const env = campaignEnv({ jobDurationMs: '200..600' }, { worker: false });
  const cli = operatorCli(
    env,
    () => ({ KOOPHONE_ENDPOINT: env.sim.url, KOOPHONE_TOKEN: 'sim-token' }),
    90_000,
  );
  let hook: Awaited<ReturnType<typeof receiver>>;
  const TOKEN = `tok-${randomUUID()}`;
  const hookUrl = () => `${hook.url}/services/T0/B0/secret-path?token=${TOKEN}`;
  const fast = ['--rate', '20', '--canary', '0', '--batch-size', '10'];

  before(async () => {
    hook = await receiver();
  });
  after(async () => {
    await hook.close();
  });

  async function historyText(workflowId: string): Promise<string> {
    const h = await env.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    return JSON.stringify(h);
  }

  it('blocked, unblocked, completed: one event each, in order, retried through a 503 and never repeated; the token is in no history, status or report', async (t) => {
    let bad: { stop(): Promise<void> } | undefined = await workerWithToken(env, 'revoked-token');
    // Whatever fails here, the next tests get a worker with the good token.
    t.after(async () => {
      await bad?.stop();
      if (!env.worker) await env.startWorker();
    });
    const id = `notify-${randomUUID().slice(0, 8)}`;
    const ids = env.ids(200, 0);
    hook.refuseNext.add(`${id}/1/blocked`);
    const started = await cli([
      'start',
      ...ids,
      '--campaign-id',
      id,
      ...fast,
      '--blocked-after',
      '8s',
      '--notify',
      hookUrl(),
    ]);
    assert.equal(started.code, 0, started.stderr);
    assert.doesNotMatch(started.stdout + started.stderr, new RegExp(TOKEN));

    await waitFor(() => accepted(hook.got, id).length >= 1, 90_000, 250);
    const [blocked] = accepted(hook.got, id);
    assert.equal(blocked!.event, 'blocked');
    assert.match(blocked!.blockedBy!, /KooPhone rejects the token \(APIGW\.0301/);
    // The receiver refused the first try: it came again, under the same key.
    assert.deepEqual(
      hook.got.filter((d) => d.key === `${id}/1/blocked`).map((d) => d.answered),
      [503, 200],
    );

    await bad.stop();
    bad = undefined;
    await env.startWorker();
    const result = await env.temporal.client.workflow.getHandle(id).result();
    assert.equal(result.state, 'completed');
    await waitFor(() => accepted(hook.got, id).length >= 3, 60_000, 250);
    // Nothing more comes: the events are exactly these three.
    await new Promise((r) => setTimeout(r, 3000));
    const events = accepted(hook.got, id);
    assert.deepEqual(
      events.map((e) => [e.event, e.seq]),
      [
        ['blocked', 1],
        ['unblocked', 2],
        ['completed', 3],
      ],
    );
    for (const d of hook.got.filter((x) => x.body.campaignId === id)) assertValid(d.body, d.key);
    const done = events[2]!;
    const lines = await env.report(id);
    assert.equal(lines.length, ids.length);
    assert.equal(done.counts.succeeded, ids.length);
    assert.equal(done.total, ids.length);
    assert.equal(
      done.resetsSent,
      lines.reduce((n, l) => n + l.resets, 0),
    );
    assert.equal(
      done.resetsSent,
      ids.reduce((n, i) => n + (env.sim.instance(i)?.resets ?? 0), 0),
      'the simulator counts the same resets',
    );
    assert.equal(done.report, result.reportLocation);
    assert.match(
      done.text,
      new RegExp(
        `^koophone-reset campaign ${id} :white_check_mark: completed: 200 succeeded of 200 \\(200 resets sent\\); report `,
      ),
    );

    // The token: in no workflow input or history (the campaign's, its notifications'), search
    // attribute, status, describe or report — only in the URL file the workers read, 0600.
    const secretish = new RegExp(`${TOKEN}|secret-path`);
    for (const wid of [id, ...events.map((e) => `${id}-notify-${e.seq}-${e.event}`)]) {
      assert.doesNotMatch(await historyText(wid), secretish, wid);
      const d = await env.temporal.client.workflow.getHandle(wid).describe();
      const details = { sa: d.searchAttributes, memo: d.memo, static: await d.staticDetails() };
      assert.doesNotMatch(JSON.stringify(details), secretish, wid);
    }
    for (const args of [
      ['status', id, '--json'],
      ['status', id],
      ['list', '--json'],
      ['report', id],
    ]) {
      assert.doesNotMatch((await cli(args)).stdout, secretish, args.join(' '));
    }
    // The Temporal UI's details say where events go: the host only.
    const shown = await (await env.temporal.client.workflow.getHandle(id).describe()).staticDetails();
    assert.ok(shown?.includes(`| notify | ${hook.url}/…, retried for 10m |`), shown);
    const withUrl = filesUnder(env.reportDir).filter((f) => secretish.test(readFileSync(f, 'latin1')));
    assert.equal(withUrl.length, 1, withUrl.join(', '));
    assert.match(withUrl[0]!, /\/notify\/[0-9a-f]{32}\.url$/);
    assert.equal(statSync(withUrl[0]!).mode & 0o777, 0o600);
  });

  it('aborted and canceled: one event each, with the reason and the report', async () => {
    const abortedId = `notify-ab-${randomUUID().slice(0, 8)}`;
    env.sim.setFaults({ jobFailureRate: 1 });
    try {
      const aborted = await cli([
        'start',
        ...env.ids(100, 1000),
        '--campaign-id',
        abortedId,
        ...fast,
        '--retry-failed',
        '0',
        '--max-errors',
        '5',
        '--abort-min-finished',
        '0',
        '--notify',
        hookUrl(),
        '--wait',
      ]);
      assert.equal(aborted.code, 1, aborted.stdout + aborted.stderr);
    } finally {
      env.sim.setFaults({ jobFailureRate: 0 });
    }
    const canceledId = `notify-cx-${randomUUID().slice(0, 8)}`;
    const started = await cli([
      'start',
      ...env.ids(300, 2000),
      '--campaign-id',
      canceledId,
      '--rate',
      '5',
      '--concurrency',
      '2',
      '--canary',
      '0',
      '--batch-size',
      '10',
      '--notify',
      hookUrl(),
    ]);
    assert.equal(started.code, 0, started.stderr);
    const handle = env.temporal.client.workflow.getHandle(canceledId);
    await waitFor(async () => (await handle.query(statusQuery)).succeeded >= 20, 60_000);
    assert.equal((await cli(['cancel', canceledId, '--reason', 'maintenance moved'])).code, 0);
    await handle.result().catch(() => undefined);

    await waitFor(
      () => accepted(hook.got, abortedId).length >= 1 && accepted(hook.got, canceledId).length >= 1,
      60_000,
      250,
    );
    await new Promise((r) => setTimeout(r, 3000));
    for (const [cid, event, reason] of [
      [abortedId, 'aborted', /error budget/i],
      [canceledId, 'canceled', /^maintenance moved$/],
    ] as const) {
      const all = hook.got.filter((d) => d.body.campaignId === cid);
      assert.equal(all.length, 1, `${cid}: ${JSON.stringify(all.map((d) => d.body.event))}`);
      const n = all[0]!.body;
      assertValid(n, all[0]!.key);
      assert.deepEqual([n.event, n.state, n.seq], [event, event, 1]);
      assert.match(n.reason!, reason);
      const lines = await env.report(cid);
      assert.equal(n.total, lines.length);
      assert.equal(n.counts.succeeded, lines.filter((l) => l.outcome === 'succeeded').length);
      assert.equal(n.counts.failed, lines.filter((l) => l.outcome === 'failed').length);
      assert.equal(n.counts.canceled, lines.filter((l) => l.outcome === 'canceled').length);
      assert.ok(n.report, 'the report path');
      assert.match(n.text, new RegExp(`^koophone-reset campaign ${cid} \\S+ ${event}: `));
    }
  });

  it('a receiver that is down delays nothing: side by side, the campaign with --notify ends as the one without; its event is retried, then given up and logged', async (t) => {
    const down = `http://127.0.0.1:${await freePort()}/hook?token=${TOKEN}`;
    const withId = `notify-down-${randomUUID().slice(0, 8)}`;
    const withoutId = `notify-none-${randomUUID().slice(0, 8)}`;
    const args = (id: string, offset: number) => [
      'start',
      ...env.ids(150, offset),
      '--campaign-id',
      id,
      ...fast,
    ];
    const [a, b] = await Promise.all([
      cli([...args(withId, 4000), '--notify', down, '--notify-retry-for', '8s']),
      cli(args(withoutId, 5000)),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const took = async (id: string) => {
      const handle = env.temporal.client.workflow.getHandle(id);
      await handle.result();
      const d = await handle.describe();
      return { ms: d.closeTime!.getTime() - d.startTime.getTime(), closedAt: d.closeTime! };
    };
    const [withNotify, without] = await Promise.all([took(withId), took(withoutId)]);
    // The campaign ended while its event was still being tried: nothing waited for the receiver.
    const event = env.temporal.client.workflow.getHandle(`${withId}-notify-1-completed`);
    const atEnd = await event.describe();
    assert.equal(atEnd.status.name, 'RUNNING', 'the event is still retried after the campaign ended');
    assert.ok(
      withNotify.ms <= without.ms * 1.25 + 2000,
      `with a receiver that is down: ${withNotify.ms} ms; without --notify: ${without.ms} ms`,
    );
    t.diagnostic(
      `campaign with a receiver that is down: ${withNotify.ms} ms; without --notify: ${without.ms} ms`,
    );
    const given = (await event.result()) as NotifyCampaignResult;
    assert.equal(given.delivered, false);
    assert.ok(given.attempts >= 3, `tried ${given.attempts} times`);
    t.diagnostic(`the event was tried ${given.attempts} times, then given up: ${given.problem}`);
    assert.match(given.problem!, /cannot reach the receiver: ECONNREFUSED/);
    assert.doesNotMatch(JSON.stringify(given), new RegExp(TOKEN));
    const d = await event.describe();
    assert.equal(d.status.name, 'COMPLETED', 'a given-up event is no failure');
    assert.ok(
      d.closeTime!.getTime() - withNotify.closedAt.getTime() >= 4000,
      'given up seconds after the campaign ended',
    );
    assert.doesNotMatch(await historyText(event.workflowId), new RegExp(TOKEN));
  });

  it('a schedule passes --notify to the campaigns it starts; describe shows the host and ref, never the token', async () => {
    const name = `sched-notify-${randomUUID().slice(0, 6)}`;
    const file = env.writeIdsFile(`${name}.txt`, `${env.ids(30, 6000).join('\n')}\n`);
    try {
      const created = await cli([
        'schedule',
        'create',
        name,
        '--cron',
        '0 3 * * *',
        '--ids-file',
        file,
        ...fast,
        '--notify',
        hookUrl(),
      ]);
      assert.equal(created.code, 0, created.stderr);
      const described = await cli(['schedule', 'describe', name]);
      assert.match(
        described.stdout,
        new RegExp(`--notify "${hook.url.replace(/\./g, '\\.')}/… \\(ref [0-9a-f]{32}\\)"`),
      );
      const json = (await cli(['schedule', 'describe', name, '--json'])).stdout;
      const scheduleSchema = ajv.compile(
        JSON.parse(
          readFileSync(join(projectRoot, 'docs', 'schemas', 'schedule.schema.json'), 'utf8'),
        ) as object,
      );
      assert.ok(scheduleSchema(JSON.parse(json)), ajv.errorsText(scheduleSchema.errors));
      for (const out of [created.stdout, described.stdout, json]) assert.doesNotMatch(out, new RegExp(TOKEN));
      const triggered = JSON.parse((await cli(['schedule', 'trigger', name, '--json'])).stdout) as {
        campaignId: string;
      };
      const result = await env.temporal.client.workflow.getHandle(triggered.campaignId).result();
      assert.equal(result.state, 'completed');
      await waitFor(() => accepted(hook.got, triggered.campaignId).length >= 1, 60_000, 250);
      const [n] = accepted(hook.got, triggered.campaignId);
      assertValid(n!, n!.idempotencyKey);
      assert.deepEqual([n!.event, n!.seq, n!.counts.succeeded], ['completed', 1, 30]);
    } finally {
      await env.temporal.client.schedule
        .getHandle(name)
        .delete()
        .catch(() => undefined);
    }
  });
});
