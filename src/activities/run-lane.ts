import { Context } from '@temporalio/activity';
import { batchLayout, segmentOf, type BatchLayout } from '../campaign/batch-layout';
import { OwnPartError, type OwnPartFault } from '../campaign/blocking';
import type { Verdict } from '../campaign/fleet-facts';
import { batchItem, untouchedLane, type LaneInput, type LaneResult } from '../campaign/lane';
import { PoolGate } from '../campaign/pool-budget';
import { addHold, holdBatch } from '../campaign/spool-hold';
import { troublesSeen } from '../campaign/troubles';
import { itemSize, type WorkItem } from '../campaign/work-item';
import { SpoolTampered, VerifiedSpool } from '../report/verified-spool';
import { ItemBlocked, itemBack } from './item-blocked';
import { startBeat } from './lane-beat';
import { LaneLedger } from '../campaign/lane-ledger';
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
  // The campaign's batch layout and pool budget, and the latest fleet listing, once per term: a
  // store that cannot give them blocks the lane before anything starts.
  let campaign: CampaignFacts;
  try {
    campaign = await campaignFacts(deps, input);
  } catch (err) {
    ctx.cancellationSignal.removeEventListener('abort', endNow);
    if (returnTimer) clearTimeout(returnTimer);
    if (err instanceof OwnPartError) return untouchedLane(input, attempt, err.fault);
    throw err;
  }
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
  const runItem = itemRunner(deps, input, ledger, pacer, end, attempt, spool, block, campaign.screen);

  const slots = new Slots(input.concurrency);
  const running: Promise<void>[] = [];
  // An item that fails for a reason that is neither KooPhone's nor an own part's (a bug) fails the
  // lane's attempt: nothing more is sent and every item stops before it does, so the retried
  // attempt (on this worker or another) picks each up from its journal with no call of this one left.
  let failure: { error: unknown } | undefined;
  // `fresh`: a new batch by its number (held compactly if its slice is tampered); `release` gives
  // its pool budget back.
  const launch = async (item: WorkItem, fresh = false, release?: () => void) => {
    await slots.take(end.signal);
    // The item's place in the pacer's line is taken now, in the lane's order: a retried lane's
    // calls left in doubt by its dead worker go before new batches, however long their reads take.
    const run = runItem(item, pacer.turn(), fresh).catch((error: unknown) => {
      failure ??= { error };
      pacer.stop('an item failed');
      endNow();
    });
    running.push(
      run.finally(() => {
        slots.give();
        release?.();
      }),
    );
  };
  try {
    const b = input.batches;
    if (campaign.gate) {
      // A retried attempt finds what its dead predecessor sent in the journal: those jobs run now.
      // A store that cannot tell blocks the lane (the item then counts as sent: it goes back unsent).
      const sentBefore =
        attempt > 1
          ? (item: WorkItem) =>
              deps.store.readJournal(input.campaignId, item.key).then(Boolean, (err: unknown) => {
                if (!(err instanceof OwnPartError)) throw err;
                block(err.fault);
                return true;
              })
          : undefined;
      await launchWithinBudget(input, campaign.gate, campaign.layout, { launch, pacer, end, result, sentBefore });
    } else {
      for (const item of input.items) {
        // A handed-over item may only need tracking: let its journal decide, even once sending stopped.
        if (end.signal.aborted) (item.handedOver ? result.handedOver : result.unsent).push(item);
        else if (pacer.stopped && !item.handedOver) result.unsent.push(item);
        else await launch(item);
      }
      let next = b?.from ?? 0;
      for (; b && next < b.to && !pacer.stopped && !end.signal.aborted; next++) {
        await launch(batchItem(next, campaign.layout), true);
      }
      if (b && next < b.to) result.unsentBatches = { from: next, to: b.to };
    }
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

/** Batches a pool budget lets wait while later ones of other pools go (their order is the spool's). */
const MAX_HELD = 64;

interface CampaignFacts {
  layout: BatchLayout;
  /** With a pool budget: the phones of each pool this lane is resetting now. */
  gate?: PoolGate;
  /** The latest fleet listing's verdicts on the spool's phones (a long campaign lists again). */
  screen?: (ids: readonly string[]) => Record<string, Verdict> | undefined;
}

async function campaignFacts(deps: Omit<ResetBatchDeps, 'pacer'>, input: LaneInput): Promise<CampaignFacts> {
  const prepared = await deps.store.readPrepared(input.campaignId);
  const layout = batchLayout(prepared?.layout, input.spoolTotal, input.batchSize);
  const gate = prepared?.pools?.length ? new PoolGate(prepared.pools) : undefined;
  const facts = prepared?.preflight ? await deps.store.readFleetFacts(input.campaignId) : undefined;
  const excluded = facts?.excluded ?? {};
  const screen =
    Object.keys(excluded).length === 0
      ? undefined
      : (ids: readonly string[]) => {
          const held = Object.fromEntries(ids.filter((id) => id in excluded).map((id) => [id, excluded[id]!]));
          return Object.keys(held).length > 0 ? held : undefined;
        };
  return { layout, ...(gate ? { gate } : {}), ...(screen ? { screen } : {}) };
}

/**
 * Launches a lane's items under a pool budget (docs/campaign-engine.md, "Pool budget"). Items
 * handed over are running at KooPhone: they are counted first, whatever the budget. Every other
 * item goes once its pool has room for all its phones; one whose pool is full waits while later
 * ones of other pools go (up to MAX_HELD wait), so the pools of a term run side by side. What has
 * not gone when the term ends goes back unsent.
 */
async function launchWithinBudget(
  input: LaneInput,
  gate: PoolGate,
  layout: BatchLayout,
  lane: {
    launch: (item: WorkItem, fresh: boolean, release: () => void) => Promise<void>;
    pacer: LanePacer;
    end: AbortController;
    result: LaneResult;
    /** A retried attempt: whether an earlier attempt made (or began) the item's call. */
    sentBefore?: (item: WorkItem) => Promise<boolean>;
  },
): Promise<void> {
  const { pacer, end, result } = lane;
  const poolOf = (item: WorkItem) => segmentOf(layout, item.batchNo).pool ?? '';
  const launchTaken = (item: WorkItem) => {
    const pool = poolOf(item);
    const n = itemSize(item);
    // (held whole if its slice is tampered: the budget's order mixes new batches and items)
    return lane.launch(item, false, () => gate.give(pool, n));
  };
  const b = input.batches;
  let next = b?.from ?? 0;
  let rest: WorkItem[] = [];
  const running = [...input.items.filter((i) => i.handedOver)];
  if (lane.sentBefore) {
    // Everything of the term, read once: an item its dead predecessor sent counts like a hand-over.
    const all = [...input.items.filter((i) => !i.handedOver)];
    for (; b && next < b.to; next++) all.push(batchItem(next, layout));
    const sent = await Promise.all(all.map((item) => lane.sentBefore!(item)));
    all.forEach((item, i) => (sent[i] ? running : rest).push(item));
  } else rest = input.items.filter((i) => !i.handedOver);
  for (const item of running) {
    if (end.signal.aborted) (item.handedOver ? result.handedOver : result.unsent).push(item);
    else {
      gate.take(poolOf(item), itemSize(item), true);
      await launchTaken(item);
    }
  }
  const pull = () => rest.shift() ?? (b && next < b.to ? batchItem(next++, layout) : undefined);
  const held: WorkItem[] = [];
  for (;;) {
    if (end.signal.aborted || pacer.stopped) break;
    let pick = held.find((i) => gate.fits(poolOf(i), itemSize(i)));
    if (pick) held.splice(held.indexOf(pick), 1);
    while (!pick && held.length < MAX_HELD) {
      const item = pull();
      if (!item) break;
      if (gate.fits(poolOf(item), itemSize(item))) pick = item;
      else held.push(item);
    }
    if (!pick) {
      if (held.length === 0) break;
      // Every waiting batch's pool is full: wait until a running batch gives its phones back.
      await gate.changed(end.signal);
      continue;
    }
    gate.take(poolOf(pick), itemSize(pick));
    await launchTaken(pick);
  }
  result.unsent.push(...held, ...rest);
  if (b && next < b.to) result.unsentBatches = { from: next, to: b.to };
}

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
  screen: CampaignFacts['screen'],
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
          ...(screen ? { screen } : {}),
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
