import { Context } from '@temporalio/activity';
import { OwnPartError, type OwnPartFault } from '../campaign/blocking';
import { batchItem, type LaneInput, type LaneResult } from '../campaign/lane';
import { addHold, holdBatch } from '../campaign/spool-hold';
import { troublesSeen } from '../campaign/troubles';
import type { WorkItem } from '../campaign/work-item';
import { SpoolTampered, VerifiedSpool } from '../report/verified-spool';
import { ItemBlocked, itemBack } from './item-blocked';
import { startBeat } from './lane-beat';
import { LaneLedger } from './lane-ledger';
import { LanePacer, type PacerTurn } from './lane-pacer';
import { sleep, Slots } from './lane-timing';
import { resetItem, type ResetBatchDeps } from './reset-batch';

/**
 * Runs one lane's term (see src/campaign/lane.ts): sends its items' calls on its own pace, tracks
 * the jobs, and returns every outcome at once. Its term ends after `sendForMs` for sending and
 * after `returnAfterMs` for tracking: what is still tracking then is handed over, its journal holding the
 * accepted call, and the next term's lane resumes it without sending again. A Temporal
 * cancellation (the workflow re-plans: pause, cancel, a new share) ends the term at once.
 *
 * A store that fails (a full disk, a database down) stops the lane at once: nothing is sent that
 * was not journaled first. It returns what it did with the fault (`blocked`), each item handed
 * back so that no call is lost or sent again (item-blocked.ts); the workflow blocks the campaign.
 * An item whose slice of the spool does not read as prepare wrote it is held (`held`), nothing of
 * it sent, and the lane goes on with the others (src/campaign/spool-hold.ts).
 */
export async function runLane(deps: Omit<ResetBatchDeps, 'pacer'>, input: LaneInput): Promise<LaneResult> {
  const ctx = Context.current();
  const attempt = ctx.info.attempt;
  const heartbeatTimeoutMs = ctx.info.heartbeatTimeoutMs ?? input.item.heartbeatTimeoutMs;

  // Ends tracking: the term's end, a Temporal cancellation, or a stop that needs the workflow now.
  const end = new AbortController();
  const endNow = () => end.abort();
  ctx.cancellationSignal.addEventListener('abort', endNow, { once: true });
  const returnTimer = input.returnAfterMs !== undefined ? setTimeout(endNow, input.returnAfterMs) : undefined;
  const startedAt = Date.now();

  const ledger = new LaneLedger(input, attempt);
  const { result } = ledger;
  const pacer = new LanePacer(
    { notBefore: startedAt + input.startDelayMs, until: startedAt + input.sendForMs, stallMs: heartbeatTimeoutMs / 2 },
    () => result.rate.current,
    sleep,
    end.signal,
  );
  const stopBeat = startBeat(input, ledger, heartbeatTimeoutMs, (why) => pacer.stop(why));
  // One open spool for the term (a slice per call, without an open and a close each), every slice
  // proved against the seal the workflow carries before its ids are used.
  const spool = new VerifiedSpool(deps.store, input.campaignId, input.item.seal, deps.store.openSpool?.(input.campaignId));
  // The first own-part fault stops the lane: no new call, tracking handed over, back at once.
  const block = (fault: OwnPartFault) => {
    result.blocked ??= fault;
    pacer.stop(`blocked: ${fault.message}`);
    endNow();
  };
  const runItem = itemRunner(deps, input, ledger, pacer, end, attempt, spool, block);

  const slots = new Slots(input.concurrency);
  const running: Promise<void>[] = [];
  // An item that fails for a reason that is neither KooPhone's nor an own part's (a bug) fails the
  // lane's attempt: nothing more is sent and every item stops before it does, so the retried
  // attempt (on this worker or another) picks each up from its journal with no call of this one left.
  let failure: { error: unknown } | undefined;
  const launch = async (item: WorkItem, fresh = false) => {
    await slots.take(end.signal);
    // The item's place in the pacer's line is taken now, in the lane's order: a retried lane's
    // calls left in doubt by its dead worker go before new batches, however long their reads take.
    const run = runItem(item, pacer.turn(), fresh).catch((error: unknown) => {
      failure ??= { error };
      pacer.stop('an item failed');
      endNow();
    });
    running.push(run.finally(() => slots.give()));
  };
  try {
    for (const item of input.items) {
      // A handed-over item may only need tracking: let its journal decide, even once sending stopped.
      if (end.signal.aborted) (item.handedOver ? result.handedOver : result.unsent).push(item);
      else if (pacer.stopped && !item.handedOver) result.unsent.push(item);
      else await launch(item);
    }
    const b = input.batches;
    let next = b?.from ?? 0;
    for (; b && next < b.to && !pacer.stopped && !end.signal.aborted; next++) {
      await launch(batchItem(next, input.batchSize, input.spoolTotal), true);
    }
    if (b && next < b.to) result.unsentBatches = { from: next, to: b.to };
    await Promise.all(running);
    if (failure) throw failure.error;
  } finally {
    await spool.close();
    stopBeat();
    if (returnTimer) clearTimeout(returnTimer);
    ctx.cancellationSignal.removeEventListener('abort', endNow);
  }
  if (pacer.stopped && pacer.stopped !== 'term ended' && pacer.stopped !== RESULTS_FULL) {
    result.stopped ??= pacer.stopped;
  }
  const now = Date.now();
  if (ledger.troubles.length > 0) result.troubles = troublesSeen(ledger.troubles, now);
  if (ledger.answeredAt !== undefined) result.answeredAgoMs = now - ledger.answeredAt;
  if (ledger.anomalies.length > 0) result.anomalies = ledger.anomalies;
  ctx.log.info('lane term ended', {
    campaignId: input.campaignId,
    lane: input.lane,
    calls: result.calls,
    finished: result.totals.items + result.results.length,
    handedOver: result.handedOver.length,
    unsent: result.unsent.length,
    ...(result.stopped ? { stopped: result.stopped } : {}),
  });
  return result;
}

const RESULTS_FULL = 'results full';

/** Runs one item of the lane end to end (resetItem), paced by the lane and folded into its ledger. */
function itemRunner(
  deps: Omit<ResetBatchDeps, 'pacer'>,
  input: LaneInput,
  ledger: LaneLedger,
  pacer: LanePacer,
  end: AbortController,
  attempt: number,
  spool: VerifiedSpool,
  block: (fault: OwnPartFault) => void,
): (item: WorkItem, turn: PacerTurn, fresh: boolean) => Promise<void> {
  const ctx = Context.current();
  const by = `${ctx.info.workflowExecution?.runId ?? ''}/${ctx.info.activityId}`;
  const { result } = ledger;
  // Held as it came: a new batch by its number (a few bytes however many), any other item whole.
  const hold = (item: WorkItem, fresh: boolean, err: SpoolTampered) => {
    result.held = addHold(result.held, {
      batches: fresh ? holdBatch([], item.batchNo) : [],
      items: fresh ? [] : [item],
      records: err.records,
      count: err.count,
      where: err.where,
      why: err.why,
    });
    ctx.log.warn('spool slice held: its records do not read as prepare wrote them', {
      campaignId: input.campaignId,
      item: item.key,
      batchNo: item.batchNo,
      error: err.message,
    });
  };
  return async (item, turn, fresh) => {
    try {
      // A journal an earlier lane's store refused goes to the store before anything else.
      if (item.journal) {
        await deps.store.writeJournal(input.campaignId, item.key, item.journal);
        item = withoutJournal(item);
      }
      const r = await resetItem(
        deps,
        { campaignId: input.campaignId, item, ...input.item },
        {
          attempt,
          by,
          slotExpiry: false,
          gate: async () => ((await turn.next()) === 'go' ? undefined : 'stop'),
          noCall: turn.pass,
          sending: () => {
            pacer.sent();
            ledger.sent();
          },
          unreported: (calls) => ledger.unreported(calls),
          answered: (error) => ledger.answered(error),
          anomalies: (found) => ledger.odd(found),
          track: { sleep: (ms) => sleep(ms, end.signal), signal: end.signal, answered: (error) => ledger.answered(error) },
          readSpool: (from: number, to: number) => spool.read(from, to),
        },
      );
      // Never sent: whatever it was handed over as, its journal holds no accepted call.
      if (r === null) {
        result.unsent.push(notHandedOver(item));
        return;
      }
      const { stop, full } = ledger.record(item, r);
      if (full) pacer.stop(RESULTS_FULL);
      if (stop) {
        result.stopped ??= stop;
        pacer.stop(stop);
        end.abort();
      }
    } catch (err) {
      // Its slice of the spool is not what prepare wrote: nothing of it went, the others go on.
      if (err instanceof SpoolTampered) hold(item, fresh, err);
      else if (err instanceof OwnPartError || err instanceof ItemBlocked) {
        block(err.fault);
        const back = itemBack(item, err instanceof ItemBlocked ? err.progress : {});
        if (back.to === 'results') ledger.record(back.item, back.result);
        else result[back.to].push(back.item);
      }
      // Tracking cut by the term's end: the journal holds the accepted call; the next lane resumes it.
      else if (end.signal.aborted) result.handedOver.push(item);
      else throw err;
    } finally {
      turn.pass();
    }
  };
}

function withoutJournal(item: WorkItem): WorkItem {
  const { journal: _, ...rest } = item;
  return rest;
}

function notHandedOver(item: WorkItem): WorkItem {
  const { handedOver: _, ...rest } = item;
  return rest;
}
