import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CampaignActivities } from '../activities';
import { isBlockedAnswer, type BlockedAnswer } from '../campaign/blocking';
import { averageRemainingMs } from '../campaign/eta';
import { withOptionDefaults, type IdSource } from '../campaign/options';
import { SAFETY_FAILURES } from '../campaign/safety';
import { addCounts, errorsOf, totalOf } from '../campaign/outcome';
import type { CampaignResult, CampaignState, CampaignStatus } from '../campaign/status';
import { statusFromCounts } from '../campaign/status';
import { afterResult, itemSize, type ResetBatchResult, type WorkItem } from '../campaign/work-item';
import {
  newCarry,
  noCost,
  temporalActions,
  type CampaignCarry,
  type CampaignWorkflowInput,
} from './campaign-state';
import {
  CampaignErrors,
  CampaignFinished,
  CampaignState as CampaignStateKey,
  CampaignTotal,
} from '../temporal/search-attributes';
import { campaignDetails } from './details';
import { abortRuleFired, budgetExceeded, describeBudget } from '../campaign/budget';
import { canaryItemDone as countInCanary } from './engine/canary';
import { splitItem as splitHalves } from './engine/item-outcome';
import {
  cancelSignal,
  cancelUpdate,
  pauseSignal,
  pauseUpdate,
  resumeSignal,
  resumeUpdate,
  statusQuery,
} from './definitions';
import {
  intervalMs,
  isOverloaded,
  nextSlotAt,
  onClean,
  onShareChanged,
  onSlotMet,
  onSlotMissed,
  onOverloaded,
  onThrottled,
  takeSlot,
} from '../campaign/rate-slots';
import { nextWindowStart, openWindowEnd } from '../campaign/windows';
import { ACCOUNT_WORKFLOW_ID, accountShareSignal, leaveAccountSignal } from './account-definitions';
import { shareCeiling, type RateShare } from '../campaign/rate-share';

// Ids awaiting retry live in workflow state and travel in the continue-as-new input; this cap
// keeps both far below Temporal's payload limits (≈ 33 bytes an id). Past it, new batches wait.
const MAX_PENDING_IDS = 2000;
// A call whose slot is further away than this waits in the workflow (timer) rather than in a
// sleeping activity, so activity timeouts stay short and predictable.
const SLOT_LEAD_MS = 5000;
// After this many slots missed in a row, an item's call goes however late (spaced within its
// worker): a worker whose clock runs ahead of the server's would otherwise never send it.
const MAX_MISSED_SLOTS = 3;
// Submit retries back off exponentially from this, up to options.submitBackoffMaxMs.
const BACKOFF_MIN_MS = 2000;
// Temporal warns at 10 MB of history; hand over well before.
const MAX_HISTORY_BYTES = 8 * 1024 * 1024;
// Events a batch in flight still adds before it closes: its activity's started and completed
// events, and the workflow task that handles the result (shared when results arrive together).
const DRAIN_EVENTS_PER_BATCH = 4;

/**
 * The first engine: one batch activity per call, every call's slot handed out by the workflow.
 * Kept as it was for the campaigns it recorded (their histories replay through it, and a run of
 * one that continues as new moves to the lane engine); new campaigns never run it.
 */
export async function resetCampaignV1(input: CampaignWorkflowInput): Promise<CampaignResult> {
  const options = withOptionDefaults(input.options);
  const ownRate = options.rate === 'auto' ? options.rateMax : options.rate;
  // The workflow id is the campaign id: unique per namespace, and fresh for each scheduled run.
  const campaignId = workflowInfo().workflowId;
  const s: CampaignCarry = input.carry ?? newCarry(options, ownRate);
  // State carried by older versions lacks newer fields.
  s.rampSucceeded ??= 0;
  s.cost ??= noCost();
  s.cost.workflowRuns += 1;

  const plain = proxyActivities<CampaignActivities>({
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '2 minutes',
    retry: {
      initialInterval: '1s',
      maximumInterval: '1 minute',
      maximumAttempts: 10,
      nonRetryableErrorTypes: ['InvalidSource'],
    },
  });
  const batch = proxyActivities<CampaignActivities>({
    startToCloseTimeout: SLOT_LEAD_MS + options.jobTimeoutMs + 15 * 60_000,
    heartbeatTimeout: options.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', maximumInterval: '1 minute', maximumAttempts: 20 },
  });

  // Every activity scheduled and timer started is a billed action: count them where they start.
  type Acts = CampaignActivities;
  const prepareCampaign = (i: Parameters<Acts['prepareCampaign']>[0]) => (
    s.cost.activities++,
    plain.prepareCampaign(i).then(settled)
  );
  const recordOutcomes = (i: Parameters<Acts['recordOutcomes']>[0]) => (
    s.cost.activities++,
    plain.recordOutcomes(i).then(settled)
  );
  const finalizeReport = (i: Parameters<Acts['finalizeReport']>[0]) => (
    s.cost.activities++,
    plain.finalizeReport(i).then(settled)
  );
  const resetBatch = (i: Parameters<Acts['resetBatch']>[0]) => {
    s.cost.activities++;
    // Shown next to the activity in the Temporal UI: which batch this is and how big.
    const summary = `batch ${i.item.batchNo} · ${itemSize(i.item)} instances · ${i.item.round === 0 ? 'first reset' : `re-reset ${i.item.round}`}`;
    return batch.resetBatch.executeWithOptions({ summary }, [i]);
  };
  const timer = (ms: number) => (s.cost.timers++, sleep(ms));
  // The campaign's own rate, capped by its share of the account's limit when one is set.
  const configuredRate = () => shareCeiling(ownRate, s.account?.share);

  const inFlight = new Map<string, { item: WorkItem; scope: CancellationScope; slotAt: number }>();
  let draining = false;
  let updatedAt = new Date().toISOString();
  let finalState: CampaignState | undefined;
  let lastUpsertFinished = -1;

  const finished = () => totalOf(s.counts);
  const total = () => (s.prepared ? s.prepared.total + s.prepared.duplicates + s.prepared.skipped : 0);
  const totalBatches = () => (s.prepared ? Math.ceil(s.prepared.total / options.batchSize) : 0);
  const stopping = () => s.cancelReason !== undefined || s.abortReason !== undefined;
  const pendingIds = () => s.pending.reduce((n, i) => n + itemSize(i), 0);
  const inFlightIds = () => [...inFlight.values()].reduce((n, f) => n + itemSize(f.item), 0);
  const canaryBatches = () => Math.min(options.canary, totalBatches());

  // Exponential ramp: rampStart in flight, ×rampFactor per rampAfter successful batches.
  const concurrency = () =>
    options.rampStart === undefined
      ? options.concurrency
      : Math.min(
          options.concurrency,
          Math.floor(
            options.rampStart * options.rampFactor ** Math.floor(s.rampSucceeded / options.rampAfter),
          ),
        );
  const windowEnd = (now: number) => openWindowEnd(options.windows, now);
  const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());

  const state = (): CampaignState => {
    if (finalState) return finalState;
    if (s.cancelReason !== undefined) return 'canceling';
    if (s.paused) return 'paused';
    return 'running';
  };

  const status = (): CampaignStatus => {
    const inflight = inFlightIds();
    const errors = errorsOf(s.counts);
    return {
      campaignId,
      state: state(),
      total: total(),
      pending: Math.max(0, total() - finished() - inflight),
      inFlight: inflight,
      ...statusFromCounts(s.counts),
      resetsSent: s.resetsSent,
      startedAt: s.startedAt,
      updatedAt,
      reason: s.abortReason ?? s.cancelReason,
      batchResetCalls: s.calls,
      taskPolls: s.polls,
      slotsMissed: s.slotsMissed ?? 0,
      currentRate: Math.round(s.rate.current * 100) / 100,
      configuredRate: options.rate === 'auto' ? `auto (max ${options.rateMax})` : options.rate,
      ...(s.account ? { accountShare: s.account.share } : {}),
      currentConcurrency: concurrency(),
      batchesInFlight: [...inFlight.values()].filter((f) => f.slotAt <= Date.now()).length,
      windowOpen: windowEnd(Date.now()) !== undefined,
      ...(options.windows.length > 0
        ? { nextWindow: iso(nextWindowStart(options.windows, Date.now())) }
        : {}),
      cost: { ...s.cost, temporalActions: temporalActions(s.cost), apiCalls: s.calls + s.polls },
      canary:
        options.canary === 0 ? 'off' : s.canary.passed ? 'passed' : s.nextBatch > 0 ? 'running' : 'pending',
      errorBudget: { used: errors, limit: describeBudget(options.maxErrors) },
      awaitingRetry: pendingIds(),
      run: s.run,
    };
  };

  const upsert = (force = false) => {
    // Search attribute upserts are history events (and billed): on state changes and milestones only.
    const done = finished();
    if (!force && done - lastUpsertFinished < 5000) return;
    lastUpsertFinished = done;
    s.cost.searchAttributeUpserts += 1;
    upsertSearchAttributes([
      { key: CampaignStateKey, value: state() },
      { key: CampaignTotal, value: total() },
      { key: CampaignFinished, value: done },
      { key: CampaignErrors, value: errorsOf(s.counts) },
    ]);
  };
  const touch = () => {
    updatedAt = new Date().toISOString();
    // Current details are not a history event: refreshing them on every change costs nothing.
    const now = status();
    const finished = now.total - now.pending - now.inFlight;
    setCurrentDetails(campaignDetails(now, averageRemainingMs(now.total, finished, Date.parse(now.startedAt), Date.now())));
  };

  const validateActive = () => {
    if (finalState) throw new Error(`campaign ${campaignId} has already ended (${finalState})`);
    if (s.cancelReason !== undefined) throw new Error(`campaign ${campaignId} is being canceled`);
  };
  const pause = () => {
    if (s.paused || stopping()) return;
    s.paused = true;
    touch();
    upsert(true);
  };
  const resume = () => {
    if (!s.paused) return;
    s.paused = false;
    touch();
    upsert(true);
  };
  const cancel = (reason?: string) => {
    if (s.cancelReason !== undefined || finalState) return;
    s.cancelReason = reason?.trim() || 'canceled by operator';
    s.paused = false;
    touch();
    upsert(true);
  };
  setHandler(statusQuery, status);
  setHandler(accountShareSignal, (share: RateShare) => {
    s.cost.signals++;
    if (!s.account) return; // a share sent to a campaign that never joined (an older version)
    const before = configuredRate();
    s.account.share = share;
    onShareChanged(s.rate, before, configuredRate());
    touch();
  });
  setHandler(pauseSignal, () => (s.cost.signals++, pause()));
  setHandler(resumeSignal, () => (s.cost.signals++, resume()));
  setHandler(cancelSignal, (reason: string) => (s.cost.signals++, cancel(reason)));
  setHandler(
    pauseUpdate,
    () => {
      s.cost.updates += 1;
      pause();
      return status();
    },
    {
      validator: () => {
        validateActive();
        if (s.abortReason !== undefined)
          throw new Error(`campaign ${campaignId} is aborting: ${s.abortReason}`);
        if (s.paused) throw new Error(`campaign ${campaignId} is already paused`);
      },
    },
  );
  setHandler(
    resumeUpdate,
    () => {
      s.cost.updates += 1;
      resume();
      return status();
    },
    {
      validator: () => {
        validateActive();
        if (!s.paused) throw new Error(`campaign ${campaignId} is not paused`);
      },
    },
  );
  setHandler(
    cancelUpdate,
    (reason: string) => {
      s.cost.updates += 1;
      cancel(reason);
      return status();
    },
    {
      validator: (reason: string) => {
        validateActive();
        if (typeof reason !== 'string' || reason.length > 500) {
          throw new Error('cancel reason must be a string of at most 500 characters');
        }
      },
    },
  );

  const abort = (reason: string) => {
    if (s.abortReason !== undefined || s.cancelReason !== undefined) return;
    s.abortReason = reason;
    log.warn('campaign aborting', { campaignId, reason });
    touch();
    upsert(true);
  };

  // Scheduling rules added after campaigns were already recorded: decided once per run, here,
  // because patched() may not run inside query handlers (status() uses them).
  const leadByInterval = patched('slot-lead-by-interval');
  const ownThreshold = patched('own-history-threshold');
  const drainReserve = patched('hand-over-drain-reserve');
  const busyLeavesCanary = patched('busy-instance-leaves-canary');
  const lateHandBack = patched('late-slot-hand-back');
  const accountRate = patched('account-rate');
  // The SDK records each patch it applies in the TemporalChangeVersion search attribute: an upsert.
  s.cost.searchAttributeUpserts += [
    leadByInterval,
    ownThreshold,
    drainReserve,
    busyLeavesCanary,
    lateHandBack,
    accountRate,
  ].filter(Boolean).length;

  // ---- prepare: read, validate and spool the ids once, before any reset is sent -----------
  if (!s.prepared) {
    upsert(true);
    touch();
    try {
      s.prepared = await prepareCampaign({
        campaignId,
        source: input.source,
        owner: workflowInfo().firstExecutionRunId,
        ...(input.safety ? { safety: input.safety } : {}),
      });
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : undefined;
      const reason = cause ? cause.message : String(err);
      const safety = cause instanceof ApplicationFailure && SAFETY_FAILURES.some((t) => t === cause.type);
      finalState = 'failed';
      s.abortReason = safety ? reason : `could not read the instance source: ${reason}`;
      upsert(true);
      return result({ location: '', lines: 0 });
    }
    s.counts.skipped += s.prepared.duplicates + s.prepared.skipped;
    touch();
    upsert(true);
    if (accountRate) {
      // Before the first call: under an account limit the campaign's share caps its rate.
      s.cost.activities++;
      const joined = await plain.joinAccount({ campaignId, rate: ownRate }).catch((err: unknown) => {
        // Sending without a share could break the account's limit: stop, nothing sent.
        const cause = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
        abort(`could not join the account's rate coordinator: ${cause}`);
        return null;
      });
      if (joined) {
        const { settleMs, ...share } = joined;
        const before = configuredRate();
        s.account = { share };
        onShareChanged(s.rate, before, configuredRate());
        // Calls the other campaigns handed out at their old shares are still to go: start after.
        if (settleMs) s.rate.lastSlotAt = Math.max(s.rate.lastSlotAt, Date.now() + settleMs);
        touch();
      }
    }
  }
  const prepared = s.prepared;

  // ---- scheduling -------------------------------------------------------------------------
  const newKey = () => `i${String(s.nextItem++).padStart(7, '0')}`;
  const isCanaryBatch = (batchNo: number) => batchNo < canaryBatches() && !s.canary.passed;

  const readyPending = (now: number) => s.pending.findIndex((i) => i.notBefore <= now);
  const mayStartNewBatch = () =>
    s.nextBatch < totalBatches() &&
    pendingIds() < MAX_PENDING_IDS &&
    (s.canary.passed || s.nextBatch < canaryBatches());
  // The window counts every started batch, including the few (at most slotLead() ahead) still
  // waiting for their slot.
  const dueInFlight = () => inFlight.size;
  const maySubmit = () =>
    !s.paused &&
    !stopping() &&
    !draining &&
    dueInFlight() < concurrency() &&
    windowEnd(Date.now()) !== undefined;
  // How far ahead of its slot a call may be handed to a worker: a few intervals, so a rate cut
  // (429) takes effect within a few calls, never more than SLOT_LEAD_MS; longer while calls reach
  // workers late (a loaded machine), so they still make their slots.
  const slotLead = () =>
    leadByInterval
      ? Math.min(
          SLOT_LEAD_MS,
          Math.max(1000, 3 * intervalMs(s.rate)) + (lateHandBack ? (s.rate.extraLeadMs ?? 0) : 0),
        )
      : SLOT_LEAD_MS;
  // A call later than this after its slot goes back for a fresh one: sends then stay within
  // [slot, slot + tolerance], so no second holds more than rate + max(1, rate/10) calls, however
  // many workers there are and however late they run.
  const lateTolerance = (item: WorkItem): { lateToleranceMs?: number } =>
    lateHandBack && (item.missedSlots ?? 0) < MAX_MISSED_SLOTS
      ? { lateToleranceMs: Math.max(intervalMs(s.rate), 100) }
      : {};
  // Under an account query limit the campaign's batches share its query share: each polls no
  // more often than one in-flight slot's part of it.
  const pollFloor = (): { minPollIntervalMs?: number } => {
    const q = s.account?.share.queryRate;
    return q ? { minPollIntervalMs: Math.ceil((1000 * concurrency()) / q) } : {};
  };
  const slotReady = (now: number) => nextSlotAt(s.rate, now) - now <= slotLead();

  const nextItem = (now: number): WorkItem | undefined => {
    const ready = readyPending(now);
    if (ready >= 0) return s.pending.splice(ready, 1)[0];
    if (!mayStartNewBatch()) return undefined;
    const batchNo = s.nextBatch++;
    const start = batchNo * options.batchSize;
    const end = Math.min(start + options.batchSize, prepared.total);
    if (isCanaryBatch(batchNo)) s.canary.outstanding[batchNo] = 1;
    return {
      key: newKey(),
      batchNo,
      round: 0,
      range: { start, end },
      resets: 0,
      submitAttempts: 0,
      notBefore: now,
    };
  };

  const splitItem = (item: WorkItem, now: number): WorkItem[] => splitHalves(item, now, newKey);

  const canaryItemDone = (item: WorkItem, delta: number, errors: number, instances: number) => {
    const verdict = countInCanary(s, options, canaryBatches(), item, delta, errors, instances);
    if (verdict?.passed === false) abort(verdict.reason);
    else if (verdict?.passed) {
      log.info('canary passed', { campaignId, instances: s.canary.instances, errors: s.canary.errors });
    }
  };

  const giveUp = async (
    item: WorkItem,
    outcome: 'failed' | 'rejected' | 'canceled',
    code: string,
    message: string,
    failedActivity = false,
  ) => {
    const n = await recordOutcomes({
      campaignId,
      part: item.key,
      ...(item.ids ? { ids: item.ids } : { spoolRange: item.range }),
      outcome,
      resets: item.resets,
      errorCode: code,
      errorMsg: message,
      ...(failedActivity ? { failedActivity } : {}),
    });
    s.counts[outcome] += n;
  };

  const handle = async (done: WorkItem, r: ResetBatchResult) => {
    const now = Date.now();
    const size = itemSize(done);
    // Calls that died with their worker may have reset these phones: whatever comes of the item
    // next (a retry, halves, a re-reset round, a line given up) counts them.
    const uncertain = r.uncertain ?? 0;
    const missed = lateHandBack && r.kind === 'retry' && r.code === 'SLOT_MISSED';
    const item = afterResult(uncertain > 0 ? { ...done, resets: done.resets + uncertain } : done, missed);
    if (lateHandBack && r.calls > 0) onSlotMet(s.rate);
    if (r.kind !== 'tracked') s.resetsSent += uncertain * size;
    s.calls += r.calls;
    s.cost.activityRetries += Math.max(0, (r.attempt ?? 1) - 1);
    switch (r.kind) {
      case 'tracked': {
        addCounts(s.counts, r.counts);
        s.resetsSent += r.resets;
        s.polls += r.polls;
        if (r.calls > 0) onClean(s.rate, configuredRate());
        s.cost.heartbeats += r.heartbeats ?? 0;
        if (r.retryIds.length > 0) {
          s.pending.push({
            key: newKey(),
            batchNo: item.batchNo,
            round: item.round + 1,
            ids: r.retryIds,
            resets: item.resets + 1,
            submitAttempts: 0,
            notBefore: now + options.retryDelayMs,
          });
        }
        const errs = r.failedJobs + (r.counts.timed_out ?? 0) + (r.counts.rejected ?? 0);
        canaryItemDone(item, -1, errs, size);
        if (item.round === 0 && errs === 0 && r.retryIds.length === 0) s.rampSucceeded += 1;
        break;
      }
      case 'retry': {
        if (missed) {
          // Not an API error: nothing was sent. A fresh slot now, and a longer lead from here on.
          onSlotMissed(s.rate, r.lateMs ?? 0);
          s.slotsMissed = (s.slotsMissed ?? 0) + 1;
          const missedSlots = (item.missedSlots ?? 0) + 1;
          if (missedSlots === MAX_MISSED_SLOTS) {
            log.warn('calls reach workers too late for their slots; sending this one however late', {
              campaignId,
              item: item.key,
              lateMs: r.lateMs,
            });
          }
          s.pending.push({ ...item, missedSlots, notBefore: now });
          break;
        }
        if (r.throttled) onThrottled(s.rate, configuredRate(), now, r.message);
        else if (isOverloaded(r.code)) onOverloaded(s.rate, configuredRate(), now);
        if (r.ambiguous) s.resetsSent += size;
        const attempts = item.submitAttempts + 1;
        const first = item.firstSubmitAt ?? now;
        const retried: WorkItem = {
          ...item,
          submitAttempts: attempts,
          firstSubmitAt: first,
          resets: item.resets + (r.ambiguous ? 1 : 0),
          lastError: { code: r.code, message: r.message },
        };
        if (now - first >= options.submitTimeoutMs) {
          await giveUp(
            retried,
            'failed',
            r.code,
            `gave up submitting after ${attempts} attempts: ${r.message}`,
          );
          canaryItemDone(item, -1, size, size);
          break;
        }
        const backoff = Math.min(
          options.submitBackoffMaxMs,
          BACKOFF_MIN_MS * 2 ** Math.min(attempts - 1, 10),
        );
        const jitter = Math.floor(Math.random() * backoff * 0.2);
        retried.notBefore = now + Math.max(r.retryAfterMs ?? 0, backoff + jitter);
        s.pending.push(retried);
        break;
      }
      case 'rejected': {
        if (size > 1) {
          // Refused for one instance's sake: split so the others still go through.
          const halves = splitItem(item, now);
          s.pending.push(...halves);
          canaryItemDone(item, halves.length - 1, 0, 0);
          break;
        }
        // A single busy instance (recovery/backup): wait and try again until the submit timeout.
        const first = item.firstSubmitAt ?? now;
        if (now - first >= options.submitTimeoutMs) {
          await giveUp(
            item,
            'rejected',
            r.code,
            `still refused after ${options.submitTimeoutMs} ms: ${r.message}`,
          );
          canaryItemDone(item, -1, 1, 1);
          break;
        }
        // It waits outside the canary: a phone in recovery for hours must not hold the rollout
        // back, and being busy says nothing about whether the reset is safe.
        const leaves = busyLeavesCanary && !s.canary.passed && !item.outsideCanary;
        s.pending.push({
          ...item,
          firstSubmitAt: first,
          submitAttempts: item.submitAttempts + 1,
          notBefore: now + Math.max(options.retryDelayMs, BACKOFF_MIN_MS),
          lastError: { code: r.code, message: r.message },
          ...(leaves ? { outsideCanary: true as const } : {}),
        });
        if (leaves) canaryItemDone(item, -1, 0, 0);
        break;
      }
      case 'fatal': {
        // Refused by the API for a configuration reason, or never sent (source changed).
        await giveUp(item, r.calls > 0 ? 'rejected' : 'canceled', r.code, r.message);
        canaryItemDone(item, -1, 0, 0);
        abort(`${r.code}: ${r.message}`);
        break;
      }
    }
    touch();
    if (!s.canary.passed || stopping()) return;
    const judged = finished() - s.counts.skipped;
    const exceeded =
      budgetExceeded(options.maxErrors, errorsOf(s.counts), judged, prepared.total) ??
      abortRuleFired(options.abortOn, s.counts, judged, options.abortMinFinished);
    if (exceeded) abort(exceeded);
    upsert();
  };

  const start = (item: WorkItem, now: number) => {
    const slotAt = takeSlot(s.rate, now, item.notBefore);
    const scope = new CancellationScope();
    inFlight.set(item.key, { item, scope, slotAt });
    // The item stays in flight until its outcome is fully accounted for (handle may itself run an
    // activity): the loop must not wind the campaign down and assemble the report before that.
    const run = async () => {
      let r: ResetBatchResult;
      try {
        r = await scope.run(() =>
          resetBatch({
            campaignId,
            item,
            slotAt,
            minIntervalMs: intervalMs(s.rate),
            ...lateTolerance(item),
            retryFailed: options.retryFailed,
            retryTimedOut: options.retryTimedOut,
            noRetryCodes: options.noRetryCodes,
            jobTimeoutMs: options.jobTimeoutMs,
            heartbeatTimeoutMs: options.heartbeatTimeoutMs,
            ...pollFloor(),
            ...(prepared.file ? { sourceFile: prepared.file } : {}),
          }),
        );
      } catch (err) {
        if (isCancellation(err)) {
          // Handed over at continue-as-new: its journal lets the next run resume tracking.
          s.pending.push({ ...item, handedOver: true, notBefore: Date.now() });
          inFlight.delete(item.key);
          return;
        }
        const message = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
        log.error('batch failed after all activity retries', { campaignId, item: item.key, error: message });
        try {
          await giveUp(item, 'failed', 'ORCHESTRATOR_ERROR', message, true);
          canaryItemDone(item, -1, itemSize(item), itemSize(item));
        } finally {
          inFlight.delete(item.key);
        }
        return;
      }
      try {
        await handle(item, r);
      } finally {
        inFlight.delete(item.key);
        touch();
      }
    };
    void run();
  };

  // One wake-up timer at a time, for the earliest moment something waiting becomes startable.
  let wakeAt = Infinity;
  const scheduleWake = (at: number, now: number) => {
    if (at >= wakeAt || at <= now) return;
    wakeAt = at;
    void timer(at - now).then(() => {
      if (wakeAt === at) wakeAt = Infinity;
    });
  };

  let drainStarted = false;
  let drainExpired = false;
  for (;;) {
    const now = Date.now();
    // Our own event threshold, not the server's earlier suggestion: every hand-over briefly
    // drains the window, so fewer, later ones are cheaper. Size is checked too (events are small).
    const info = workflowInfo();
    // The batches in flight still add their events while the run drains: keep room for them, so
    // a run ends near maxHistoryEvents whatever the concurrency.
    const reserve = drainReserve ? inFlight.size * DRAIN_EVENTS_PER_BATCH : 0;
    const handOver = ownThreshold
      ? info.historyLength + reserve >= options.maxHistoryEvents || info.historySize >= MAX_HISTORY_BYTES
      : info.historyLength >= options.maxHistoryEvents || info.continueAsNewSuggested;
    if (!draining && handOver) {
      draining = true;
    }
    if (draining && !drainStarted) {
      drainStarted = true;
      void timer(options.drainTimeoutMs).then(() => {
        drainExpired = true;
      });
    }
    if (draining && drainExpired && inFlight.size > 0) {
      for (const { scope } of inFlight.values()) scope.cancel();
    }
    if (draining && inFlight.size === 0) break;
    if (stopping() && inFlight.size === 0) break;
    if (!stopping() && inFlight.size === 0 && s.pending.length === 0 && s.nextBatch >= totalBatches()) break;

    let started = false;
    while (maySubmit() && slotReady(Date.now())) {
      const item = nextItem(Date.now());
      if (!item) break;
      start(item, Date.now());
      started = true;
    }
    if (started) continue;
    if (maySubmit()) {
      const earliest = Math.min(...s.pending.map((i) => i.notBefore));
      const candidates: number[] = [];
      if (Number.isFinite(earliest)) candidates.push(earliest);
      if (!slotReady(now)) candidates.push(nextSlotAt(s.rate, now) - slotLead());
      if (candidates.length > 0) scheduleWake(Math.max(now + 1, Math.min(...candidates)), now);
    }
    if (!s.paused && !stopping() && !draining && windowEnd(now) === undefined) {
      // Outside every maintenance window: sleep until the next one opens.
      const opens = nextWindowStart(options.windows, now);
      if (opens !== undefined) scheduleWake(opens, now);
    }
    const seenInFlight = inFlight.size;
    const seenPending = s.pending.length;
    const seenWake = wakeAt;
    const seenState = state();
    const seenStopping = stopping();
    const seenDrainExpired = drainExpired;
    // Wake on any change that can make the loop act; never on a condition that stays true, or
    // the loop would spin without yielding to Temporal.
    await condition(
      () =>
        inFlight.size !== seenInFlight ||
        s.pending.length !== seenPending ||
        wakeAt !== seenWake ||
        state() !== seenState ||
        stopping() !== seenStopping ||
        drainExpired !== seenDrainExpired,
    );
  }

  const workLeft = s.pending.length > 0 || s.nextBatch < totalBatches();
  if (draining && !stopping() && workLeft) {
    await condition(allHandlersFinished);
    upsert(true);
    const carry: CampaignCarry = { ...s, run: s.run + 1 };
    log.info('continuing as new', { campaignId, run: s.run, historyLength: workflowInfo().historyLength });
    // Inline ids already live in the spool; the next run must not carry them again.
    const source: IdSource = input.source.kind === 'inline' ? { kind: 'inline', ids: [] } : input.source;
    return await continueAsNew<typeof resetCampaignV1>({ options, source, carry });
  }

  // ---- wind down: account for everything not reset, assemble the report ---------------------
  if (stopping()) {
    const reason = s.cancelReason ?? `campaign aborted: ${s.abortReason}`;
    // A handed-over item may have had its call accepted: its line counts that reset and names the job.
    for (const item of s.pending.splice(0)) {
      await giveUp(item, 'canceled', 'CANCELED', reason, item.handedOver === true);
    }
    if (s.nextBatch < totalBatches()) {
      const from = s.nextBatch * options.batchSize;
      const n = await recordOutcomes({
        campaignId,
        part: 'z-rest',
        spoolFrom: from,
        outcome: 'canceled',
        resets: 0,
        errorCode: 'CANCELED',
        errorMsg: reason,
      });
      s.counts.canceled += n;
      s.nextBatch = totalBatches();
    }
  }
  const ending: CampaignState =
    s.cancelReason !== undefined ? 'canceled' : s.abortReason !== undefined ? 'aborted' : 'completed';
  // Also gives the campaign's phones back (leases), whatever way it ended.
  const report = await finalizeReport({ campaignId, state: ending });
  finalState = ending;
  if (s.account) await leaveAccount();
  const expectedLines = total() - prepared.duplicates;
  if (report.lines !== expectedLines || report.duplicates > 0) {
    log.error('report does not hold exactly one line per instance', {
      campaignId,
      lines: report.lines,
      expected: expectedLines,
      duplicates: report.duplicates,
    });
  }
  touch();
  upsert(true);
  await condition(allHandlersFinished);
  return result(report);

  async function leaveAccount(): Promise<void> {
    s.cost.signals++;
    try {
      await getExternalWorkflowHandle(ACCOUNT_WORKFLOW_ID).signal(leaveAccountSignal, campaignId);
    } catch (err) {
      // The coordinator is gone (account limits removed): nobody holds a share for us.
      log.info('account coordinator not reachable at the end', { campaignId, error: String(err) });
    }
  }

  function result(report: { location: string; lines: number }): CampaignResult {
    return {
      campaignId,
      state: state(),
      ...((s.abortReason ?? s.cancelReason) ? { reason: s.abortReason ?? s.cancelReason } : {}),
      total: total(),
      counts: s.counts,
      resetsSent: s.resetsSent,
      batchResetCalls: s.calls,
      configuredRate: options.rate === 'auto' ? `auto (max ${options.rateMax})` : options.rate,
      batchSize: options.batchSize,
      reportLocation: report.location,
      reportLines: report.lines,
      cost: { ...s.cost, temporalActions: temporalActions(s.cost), apiCalls: s.calls + s.polls },
      startedAt: s.startedAt,
      finishedAt: new Date().toISOString(),
    };
  }
}

/**
 * The first engine predates blocking on our own parts (only its recorded campaigns run it): a
 * store fault ends it as the activity's spent attempts did, failing the workflow, now at once.
 */
function settled<T>(answer: T | BlockedAnswer): T {
  if (isBlockedAnswer(answer))
    throw ApplicationFailure.nonRetryable(answer.blocked.message, 'OwnPartBlocked');
  return answer;
}
