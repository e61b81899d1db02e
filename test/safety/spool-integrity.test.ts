import assert from 'node:assert/strict';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { ReportLine } from '../../src/campaign/outcome';
import type { CampaignStatus } from '../../src/campaign/status';
import { campaignResult } from '../../src/temporal/campaign-result';
import { cancelSignal, statusQuery, type resetCampaign } from '../../src/workflows';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { MAX_INSTANCE_ID_LENGTH } from '../../src/koophone/limits';

// What prepare wrote into a campaign's spool is what gets reset: records rewritten in place while
// the campaign runs (a stray process, a bad disk, anyone who can write a shared REPORT_DIR) are
// never sent. Their batches are held — the campaign blocked, naming them — while every untouched
// batch goes on; restoring the records releases them, a cancel writes what can be proven. Counted
// at the simulator: per-phone resets and the error codes of every call it answered.

// A spool record: the longest id and its newline (src/report/folder-store.ts).
const RECORD = MAX_INSTANCE_ID_LENGTH + 1;

/** Rewrites spool records in place, as a stray writer would; returns the bytes it replaced. */
function overwrite(spool: string, records: Map<number, Buffer>): Map<number, Buffer> {
  const fd = openSync(spool, 'r+');
  const before = new Map<number, Buffer>();
  try {
    for (const [position, bytes] of records) {
      const old = Buffer.alloc(RECORD - 1);
      readSync(fd, old, 0, RECORD - 1, position * RECORD);
      before.set(position, old);
      writeSync(fd, bytes, 0, RECORD - 1, position * RECORD);
    }
  } finally {
    closeSync(fd);
  }
  return before;
}

/** A record holding `id` (padded as prepare pads it). */
const record = (id: string) => Buffer.from(id.padEnd(RECORD - 1, ' '), 'latin1');

describe('the spool is verified, not trusted', () => {
  const env = campaignEnv({ instances: 20_000, jobDurationMs: '200..500' });
  const status = (h: WorkflowHandle<typeof resetCampaign>) => h.query(statusQuery) as Promise<CampaignStatus>;

  /**
   * A 600-phone campaign (30 batches of 20, one call a second) whose spool gets three not-yet-sent
   * records rewritten once its first calls went: record 505 (batch 25) with a phone of the fleet
   * nobody approved, 541 and 577 (batches 27 and 28) with binary junk and NULs.
   */
  async function tampered(offset: number) {
    env.sim.reset();
    const ids = env.ids(600, offset);
    const foreign = env.sim.fleet.idAt(offset + 5000);
    const handle = await env.start(
      { canary: 0, rate: 1, concurrency: 2, batchSize: 20, maxErrors: { kind: 'count', value: 0 } },
      { kind: 'inline', ids },
    );
    await waitFor(() => env.sim.stats().calls.batchReset >= 2, 60_000, 50);
    const spool = join(env.reportDir, handle.workflowId, 'spool.ids');
    const junk = Buffer.from('ab\0\0\x01\xff\xfe', 'latin1');
    const replaced = overwrite(
      spool,
      new Map([
        [505, record(foreign)],
        [541, Buffer.concat([junk, record('').subarray(junk.length)])],
        [577, Buffer.concat([Buffer.from('cd'), junk, record('')]).subarray(0, RECORD - 1)],
      ]),
    );
    assert.ok(env.sim.stats().calls.batchReset < 20, 'the records were rewritten before their batches went');
    const held = new Set([...ids.slice(500, 520), ...ids.slice(540, 580)]);
    return { handle, ids, foreign, spool, replaced, held };
  }

  /**
   * What the simulator saw: nothing reached it but approved ids — no call it refused (junk or a
   * stranger in a batch is a 1000/1012), and every job it made was a reset of an approved phone.
   */
  function onlyApprovedReachedKooPhone(foreign: string, ids: string[]): void {
    assert.equal(env.sim.instance(foreign)?.resets ?? 0, 0, 'the phone nobody approved was not reset');
    const stats = env.sim.stats();
    assert.deepEqual(stats.errorCodes, {}, `no call KooPhone refused (junk ids, foreign ids): ${JSON.stringify(stats.errorCodes)}`);
    const approvedResets = ids.reduce((n, id) => n + (env.sim.instance(id)?.resets ?? 0), 0);
    assert.equal(stats.jobs.total, approvedResets, 'every job the simulator made is a reset of an approved phone');
  }

  /** Blocked on the spool, naming the held batches and records, once every untouched batch ended. */
  async function heldAndBlocked(handle: WorkflowHandle<typeof resetCampaign>): Promise<CampaignStatus> {
    let s: CampaignStatus | undefined;
    await waitFor(async () => {
      s = await status(handle);
      return s.state === 'blocked' && s.succeeded === 540 && s.inFlight === 0;
    }, 120_000, 250);
    assert.equal(s!.blockingCause?.part, 'spool');
    assert.equal(s!.blockingCause?.code, 'SPOOL_TAMPERED');
    assert.match(
      s!.blockingCause!.message,
      /^spool: SPOOL_TAMPERED batches 25–25, 27–28: records 505, 541, 577 of \S+spool\.ids differ from what prepare wrote; nothing of these batches is sent$/,
    );
    assert.match(s!.blockedBy!, /restore the campaign's spool as prepare wrote it/);
    assert.equal(s!.pending, 60);
    return s!;
  }

  it('rewritten records are held, nothing of their batches sent, the rest reset; restored, they resume and the campaign completes', async () => {
    const { handle, ids, foreign, spool, replaced, held } = await tampered(0);
    await heldAndBlocked(handle);
    onlyApprovedReachedKooPhone(foreign, ids);
    const resets = (which: string[]) => countBy(which, (id) => String(env.sim.instance(id)?.resets ?? 0));
    const untouched = ids.filter((id) => !held.has(id));
    assert.deepEqual(resets(untouched), { '1': 540 }, 'every untouched approved phone reset once');
    assert.deepEqual(resets([...held]), { '0': 60 }, 'nothing of the held batches was sent');
    const lines = await env.report(handle.workflowId);
    assert.deepEqual(new Set(lines.map((l) => l.instance_id)), new Set(untouched), 'a line for each untouched phone, no other');
    // It waits: the held batches are probed, nothing is sent, it does not complete.
    const calls = env.sim.stats().calls.batchReset;
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal(env.sim.stats().calls.batchReset, calls);
    assert.equal((await status(handle)).state, 'blocked');

    // The operator restores the records: the next probe releases the batches.
    overwrite(spool, replaced);
    const result = await campaignResult(handle);
    assert.equal(result.state, 'completed', result.reason);
    onlyApprovedReachedKooPhone(foreign, ids);
    assert.deepEqual(resets(ids), { '1': 600 }, 'every approved phone reset once, the held ones after the restore');
    const final = await env.report(handle.workflowId);
    assert.equal(final.length, 600);
    assert.deepEqual(new Set(final.map((l) => l.instance_id)), new Set(ids));
    assert.deepEqual(countBy(final, (l) => l.outcome), { succeeded: 600 });
  });

  it('canceled while held: the held phones whose records read true get canceled lines, the rewritten records are named', async () => {
    const { handle, ids, foreign, held } = await tampered(1000);
    await heldAndBlocked(handle);
    await handle.signal(cancelSignal, 'the spool cannot be restored');
    const result = await campaignResult(handle);
    assert.equal(result.state, 'canceled');
    assert.match(
      result.reason ?? '',
      /^the spool cannot be restored; 3 spool records \(505, 541, 577\) changed after prepare: their phones cannot be named, so they have no line/,
    );
    onlyApprovedReachedKooPhone(foreign, ids);
    const lines: ReportLine[] = await env.report(handle.workflowId);
    const byId = new Map(lines.map((l) => [l.instance_id, l]));
    const lost = [ids[505]!, ids[541]!, ids[577]!];
    for (const id of ids) {
      const line = byId.get(id);
      if (lost.includes(id)) assert.equal(line, undefined, `${id}: its record was rewritten, no line can name it`);
      else if (held.has(id)) assert.deepEqual([line?.outcome, line?.resets, env.sim.instance(id)!.resets], ['canceled', 0, 0], id);
      else assert.deepEqual([line?.outcome, env.sim.instance(id)!.resets], ['succeeded', 1], id);
    }
    assert.equal(lines.length, 597);
    assert.ok(!byId.has(foreign), 'no line for the phone nobody approved');
  });

  it("a part file edited to carry a foreign id: the final check names both ids and the campaign fails, never completes", async () => {
    env.sim.reset();
    const ids = env.ids(200, 2000);
    const foreign = env.sim.fleet.idAt(9000);
    const handle = await env.start({ canary: 0, rate: 2, concurrency: 2, batchSize: 20 }, { kind: 'inline', ids });
    const part = join(env.reportDir, handle.workflowId, 'parts', 'b0000001.ndjson');
    await waitFor(async () => (await status(handle)).succeeded >= 40, 60_000, 100);
    const { readFileSync, writeFileSync } = await import('node:fs');
    const text = readFileSync(part, 'utf8');
    const victim = ids[25]!;
    assert.ok(text.includes(victim));
    writeFileSync(part, text.replace(victim, foreign));
    const result = await campaignResult(handle);
    assert.equal(result.state, 'failed');
    assert.match(
      result.reason ?? '',
      new RegExp(
        `^the report's ids are not the approved ones: 1 approved phone has no line \\(e\\.g\\. ${victim}\\); ` +
          `1 line is for ids nobody approved or a second line for one \\(e\\.g\\. ${foreign}\\)`,
      ),
    );
    assert.equal(result.reportLines, 200, 'the line count alone would have called it complete');
  });
});
