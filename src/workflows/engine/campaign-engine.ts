import {
  ActivityCancellationType,
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  makeContinueAsNewFunc,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import { CAMPAIGN_RESULT_MEMO, ENDING_FAILURE_TYPES } from '../../campaign/ending';
import type { CampaignActivities } from '../../activities';
import { batchCount, batchesRange, batchLayout, spoolStartOf, type BatchLayout } from '../../campaign/batch-layout';
import { batchItem, type LaneInput, type LaneProgress, type LaneResult } from '../../campaign/lane';
import { withOptionDefaults, type CampaignOptions, type IdSource } from '../../campaign/options';
import { budgetCounts, emptyCounts, errorsOf, totalOf } from '../../campaign/outcome';
import { mergeTroubles } from '../../campaign/troubles';
import { SAFETY_FAILURES } from '../../campaign/safety';
import { PREPARED_ACCOUNT_MEMO } from '../../campaign/account-memo';
import { PREPARED_STORE_MEMO } from '../../campaign/store-memo';
import type { CampaignResult, CampaignState } from '../../campaign/status';
import { ACCOUNT_WORKFLOW_ID, leaveAccountSignal } from '../account-definitions';
import { laneProgressSignal, listingProgressSignal, type ListingProgress } from '../definitions';
import { abortRuleFired, budgetExceeded } from '../../campaign/budget';
import { newCarry, type CampaignCarry, type CampaignWorkflowInput } from '../campaign-state';
import { onShareChanged } from '../../campaign/rate-slots';
import { shareCeiling } from '../../campaign/rate-share';
import { nextWindowStart, openWindowEnd } from '../../campaign/windows';
import { CampaignControl, type LaneReport } from './campaign-control';
import type { GiveUp, ItemEffects, OutcomeContext } from './item-outcome';
import { applyLaneResult } from './lane-result';
import { newTermReceipts, type TermReceipts } from './lane-received';
import { listingDue, listingStale, listingUntil } from './listing-age';
import { instancesOf, planTerm, type TermContext } from './lane-plan';
import { Notifier } from './notifier';
import { OwnParts } from './own-parts';
import { SpoolHolds } from './spool-holds';
import { describeIdSetCheck, idSetMatches } from '../../campaign/report-ids';

// The final check of the report's ids (finalizeReport's `ids`) decides how the campaign ends.
const ID_CHECK_PATCH = 'id-set-check';
// A returned lane's own account of its input corrects what the run believes it gave it (lane-received).
const LANE_RECEIVED_PATCH = 'lane-received';
// `--notify`: each state change starts a notifyCampaign workflow (src/workflows/engine/notifier.ts).
const NOTIFY_PATCH = 'campaign-notify';
// Temporal warns at 10 MB of history; hand over well before.
const MAX_HISTORY_BYTES = 8 * 1024 * 1024;
// A lane's worker that dies is noticed after this long at most, and its lane goes to another.
const LANE_HEARTBEAT_MS = 10_000;

/**
 * The lane engine: plans terms of lanes (long-running activities that each own a share of the
 * campaign's rate and concurrency), folds their bulk outcomes into the campaign, and re-plans
 * when the operator, the account or the API changes what may be sent. Decisions live in pure
 * modules beside this one (lane-plan, lane-result, item-outcome, canary); this class only runs
 * them against Temporal. See docs/design.md, "Campaign engine".
 */
export class CampaignEngine {
  private readonly options: CampaignOptions;
  private readonly ownRate: number;
  private readonly s: CampaignCarry;
  private readonly control: CampaignControl;
  private readonly running = new Map<number, LaneInput>();
  /** What running lanes reported so far (status only; their results count when they return). */
  private readonly progress = new Map<number, LaneReport>();
  private readonly acts;
  private readonly laneActs;
  /** Our own parts (the store) failing: the campaign blocked, probed, resumed. */
  private readonly own: OwnParts;
  /** Slices of the spool that do not read as prepare wrote them: held, probed, given back. */
  private readonly holds: SpoolHolds;
  /** Bumped by a timer when a maintenance window opens while nothing may be sent. */
  private wakeups = 0;
  /** Lanes' results not yet folded in. */
  private readonly returned: { lane: LaneInput; r?: LaneResult; err?: unknown }[] = [];
  /** Shields the lanes from a cancellation of the workflow (see run). */
  private readonly laneRoot = new CancellationScope({ cancellable: false });
  /** The running term's lanes' scope. */
  private term: CancellationScope | undefined;
  private layoutOf: { prepared: object; layout: BatchLayout } | undefined;
  /** A fleet listing under way (prepare's pre-flight, a refresh) and what it last reported. */
  private listing: { report?: ListingProgress; at: number } | undefined;
  /**
   * What the running term's returned lanes said they were given; undefined: runs recorded before
   * 'lane-received' trust their own plan.
   */
  private receipts: TermReceipts | undefined;
  /** `--notify`: the campaign's state changes, told to a webhook. */
  private readonly notifier: Notifier | undefined;

  constructor(
    private readonly input: CampaignWorkflowInput,
    /** Patches the workflow used before the engine: each is an upsert too (see below). */
    earlierPatches: readonly string[] = [],
  ) {
    this.options = withOptionDefaults(input.options);
    this.ownRate = this.options.rate === 'auto' ? this.options.rateMax : this.options.rate;
    this.s = input.carry ?? newCarry(this.options, this.ownRate);
    this.s.rampSucceeded ??= 0;
    this.s.cost.workflowRuns += 1;
    // The SDK records the engine's patch in the TemporalChangeVersion search attribute: an upsert.
    this.s.cost.searchAttributeUpserts += 1 + earlierPatches.length;
    this.acts = proxyActivities<CampaignActivities>({
      startToCloseTimeout: '30 minutes',
      heartbeatTimeout: '2 minutes',
      retry: {
        initialInterval: '1s',
        maximumInterval: '1 minute',
        maximumAttempts: 10,
        nonRetryableErrorTypes: ['InvalidSource'],
      },
    });
    this.laneActs = proxyActivities<CampaignActivities>({
      startToCloseTimeout: this.options.termMs + this.options.jobTimeoutMs + 15 * 60_000,
      heartbeatTimeout: Math.min(this.options.heartbeatTimeoutMs, LANE_HEARTBEAT_MS),
      retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 20 },
      // A canceled lane ends its term at once and still returns what it did: wait for that.
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
    this.control = new CampaignControl(workflowInfo().workflowId, this.s, this.options, {
      ceiling: () => this.ceiling(),
      inFlight: () => this.inFlight(),
      concurrency: () => this.concurrency(),
      totalBatches: () => this.totalBatches(),
      progress: () => [...this.progress.values(), ...this.listingReport()],
      stateSeen: (state) => this.notifier?.seen(state),
    });
    this.own = new OwnParts(this.s, this.control, () => {
      if (this.running.size > 0) this.term?.cancel();
    });
    this.holds = new SpoolHolds(this.s, this.control, (r) => this.spoolRange(r));
    const notify = this.options.notify;
    if (notify && this.control.patch(NOTIFY_PATCH)) {
      this.notifier = new Notifier(this.campaignId, this.s, notify, this.options.notifyRetryForMs, () => this.control.status());
    }
  }

  private get campaignId(): string {
    return this.control.campaignId;
  }

  async run(): Promise<CampaignResult> {
    this.control.register();
    setHandler(laneProgressSignal, (p: LaneProgress) => {
      this.s.cost.signals++;
      // A late signal from a lane that has returned (or an earlier term's) is stale: drop it.
      if (this.running.get(p.lane)?.term !== p.term) return;
      this.progress.set(p.lane, { progress: p, at: Date.now() });
      this.control.touch();
      this.control.noteHealth();
    });
    // A listing's troubles while it waits for KooPhone: shown, and able to block the campaign.
    setHandler(listingProgressSignal, (p: ListingProgress) => {
      this.s.cost.signals++;
      if (!this.listing) return;
      this.listing = { report: p, at: Date.now() };
      this.control.touch();
      this.control.noteHealth();
    });
    if (!this.control.patch('closing-status')) return await this.runInterruptible();
    // The Temporal UI's Cancel button (or `temporal workflow cancel`) is a cancel like the CLI's:
    // nothing more is sent, what was sent is followed to its end, every phone gets its line. So
    // nothing of the campaign is interrupted by it (an activity cut mid-way could leave a phone
    // without its line): the engine runs shielded and stops itself.
    const root = CancellationScope.current();
    root.cancelRequested.catch(() =>
      this.control.requestCancel('canceled from Temporal (a workflow cancel request, e.g. the Temporal UI)'),
    );
    const result = await CancellationScope.nonCancellable(() => this.campaign());
    // Told even when a Temporal cancel request ended it (the root scope is cancelled then).
    if (this.notifier) await CancellationScope.nonCancellable(() => this.notifier!.ended(result));
    return this.close(result, root.consideredCancelled);
  }

  /**
   * Ends the execution as the campaign ended (src/campaign/ending.ts), its result in the memo
   * whatever the ending: only a completed campaign completes.
   */
  private close(result: CampaignResult, cancelRequested: boolean): CampaignResult {
    upsertMemo({ [CAMPAIGN_RESULT_MEMO]: result });
    if (result.state === 'completed') return result;
    const why = `campaign ${result.state}${result.reason ? `: ${result.reason}` : ''}`;
    if (result.state === 'canceled' && cancelRequested) throw new CancelledFailure(why, [result]);
    const type = ENDING_FAILURE_TYPES[result.state as keyof typeof ENDING_FAILURE_TYPES] ?? 'CampaignFailed';
    const ending = ApplicationFailure.create({ type, message: why.replace(/\s+/g, ' '), nonRetryable: true, details: [result] });
    // How a campaign ended, not a fault of the engine: the UI shows its one line, no stack trace.
    ending.stack = '';
    throw ending;
  }

  /** Campaigns recorded before 'closing-status': a Temporal cancel interrupted the engine. */
  private async runInterruptible(): Promise<CampaignResult> {
    try {
      return await this.campaign();
    } catch (err) {
      if (!isCancellation(err) || !this.s.prepared || this.control.ended()) throw err;
      await CancellationScope.nonCancellable(async () => {
        this.control.requestCancel('canceled from Temporal (a workflow cancel request, e.g. the Temporal UI)');
        await this.collect(() => true);
        await this.campaign();
      });
      throw err;
    }
  }

  private async campaign(): Promise<CampaignResult> {
    // Decided in the run's first workflow task, which no worker builds on a stale clock (see
    // lane-received.ts): a run that plans a term on one has recorded the patch before it.
    if (this.control.patch(LANE_RECEIVED_PATCH)) this.receipts = newTermReceipts();
    if (!this.s.prepared && !(await this.prepare())) return this.control.result({ location: '', lines: 0 });
    this.recordPreparedStore();
    this.recordPreparedAccount();
    for (;;) {
      if (this.finished()) break;
      if (this.historyFull()) return await this.handOver();
      if (this.s.blocked) {
        if (this.own.reportLost()) break;
        await this.own.probe();
        continue;
      }
      await this.refreshFleetFacts();
      // Held slices of the spool are proved again between terms, on the own parts' backoff.
      if (this.holds.due(Date.now()) && !this.control.stopping()) {
        await this.holds.probe();
        continue;
      }
      const now = Date.now();
      const lanes = planTerm(this.s, this.termContext(now));
      this.s.terms = (this.s.terms ?? 0) + 1;
      if (lanes.length > 0) await this.runTerm(lanes);
      else await this.idle(now);
    }
    return await this.windDown();
  }

  // ---- prepare: read, validate and spool the ids once, before any reset is sent -------------
  private async prepare(): Promise<boolean> {
    const c = this.control;
    c.upsert(true);
    c.touch();
    // The pre-flight (src/campaign/fleet-facts.ts): prepare lists the fleet, answers ids it need
    // not send, and cuts the spool into batches of one region (and pool, with a pool budget).
    const o = this.options;
    const fleet = this.control.patch('fleet-preflight')
      ? { includeInUse: o.includeInUse, batchSize: o.batchSize, ...(o.maxPerPool ? { maxPerPool: o.maxPerPool } : {}) }
      : undefined;
    try {
      // A store that cannot take the spool blocks the campaign until it heals; a cancel meanwhile
      // ends it (nothing was sent).
      const listedFrom = Date.now();
      if (fleet) this.listing = { at: listedFrom };
      const prepared = await this.own.persist(
        () =>
          this.acts.prepareCampaign({
            campaignId: this.campaignId,
            source: this.input.source,
            owner: workflowInfo().firstExecutionRunId,
            ...(this.input.safety ? { safety: this.input.safety } : {}),
            ...(fleet ? { fleet } : {}),
          }),
        () => c.stopping(),
      );
      if (!prepared) {
        this.listingDone(false);
        c.end('canceled');
        c.upsert(true);
        return false;
      }
      this.s.prepared = prepared;
      if (prepared.preflight) {
        this.s.factsAt = listedFrom;
        this.s.listingCalls = (this.s.listingCalls ?? 0) + prepared.preflight.calls;
      }
      this.listingDone(true);
    } catch (err) {
      this.listingDone(false);
      const cause = err instanceof ActivityFailure ? err.cause : undefined;
      const reason = cause ? cause.message : String(err);
      const safety = cause instanceof ApplicationFailure && SAFETY_FAILURES.some((t) => t === cause.type);
      c.fail(safety ? reason : `could not read the instance source: ${reason}`);
      return false;
    }
    this.s.counts.skipped += this.s.prepared.duplicates + this.s.prepared.skipped;
    this.s.counts.rejected += this.s.prepared.rejected ?? 0;
    c.touch();
    c.upsert(true);
    await this.joinAccount();
    return true;
  }

  /**
   * The store prepare wrote the campaign into is the campaign's: workers on another refuse its
   * activities and refuse to start (src/activities/store-guard.ts), and `status` names it. Each
   * run checks: runs continued as new by earlier versions started without the memo.
   */
  private recordPreparedStore(): void {
    const store = this.s.prepared?.store;
    if (!store || workflowInfo().memo?.[PREPARED_STORE_MEMO] !== undefined || !this.control.patch('worker-store')) return;
    // A memo write is not a search attribute upsert (not in `cost`, as the campaign's result memo).
    upsertMemo({ [PREPARED_STORE_MEMO]: store });
  }

  /**
   * The KooPhone account prepare talked to is the campaign's: workers of another refuse its KooPhone
   * work (src/activities/credentials.ts, from the prepared record). Recorded in the memo for people
   * and for workers starting on its task queue; as the store, by each run.
   */
  private recordPreparedAccount(): void {
    const account = this.s.prepared?.account;
    if (!account || workflowInfo().memo?.[PREPARED_ACCOUNT_MEMO] !== undefined || !this.control.patch('prepared-account'))
      return;
    upsertMemo({ [PREPARED_ACCOUNT_MEMO]: account });
  }

  /** Before the first call: under an account limit the campaign's share caps its rate. */
  private async joinAccount(): Promise<void> {
    // A limit is recorded and no coordinator answers: blocked (the coordinator part) until one
    // does, never sending without a share; a cancel meanwhile ends it, nothing sent.
    const joined = await this.own
      .persist(
        () => this.acts.joinAccount({ campaignId: this.campaignId, rate: this.ownRate, answerBlocked: true }),
        () => this.control.stopping(),
      )
      .catch((err: unknown) => {
        // Sending without a share could break the account's limit: stop, nothing sent.
        const cause = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
        this.control.abort(`could not join the account's rate coordinator: ${cause}`);
        return null;
      });
    if (!joined) return;
    const { settleMs, ...share } = joined;
    const before = this.ceiling();
    this.s.account = { share };
    onShareChanged(this.s.rate, before, this.ceiling());
    // Calls the other campaigns handed out at their old shares are still to go: start after.
    if (settleMs) this.s.rate.lastSlotAt = Math.max(this.s.rate.lastSlotAt, Date.now() + settleMs);
    this.control.touch();
  }

  // ---- terms ---------------------------------------------------------------------------------
  private termContext(now: number): TermContext {
    const o = this.options;
    const windowEnd = openWindowEnd(o.windows, now);
    const closed = o.windows.length > 0 && windowEnd === undefined;
    // Nothing is sent on a listing older than its bound: a refresh that failed is tried again.
    const sending = !this.s.paused && !this.control.stopping() && !closed && !this.factsStale(now);
    const prepared = this.s.prepared!;
    const q = this.s.account?.share.queryRate;
    return {
      campaignId: this.campaignId,
      term: (this.s.terms ?? 0) + 1,
      options: o,
      now,
      mode: sending ? 'sending' : 'tracking',
      ceiling: this.ceiling(),
      concurrency: this.concurrency(),
      totalBatches: this.totalBatches(),
      canaryBatches: this.canaryBatches(),
      spoolTotal: prepared.total,
      ...(prepared.pools?.length ? { singleLane: true } : {}),
      ...(prepared.rejected ? { refusedBeforeCalls: prepared.rejected } : {}),
      ...(windowEnd !== undefined && o.windows.length > 0 ? { windowEnd } : {}),
      // A sending term ends before the fleet listing its calls are screened against is too old.
      ...(this.factsUntil() !== undefined ? { sendUntil: this.factsUntil() } : {}),
      item: {
        retryFailed: o.retryFailed,
        retryTimedOut: o.retryTimedOut,
        noRetryCodes: o.noRetryCodes,
        jobTimeoutMs: o.jobTimeoutMs,
        heartbeatTimeoutMs: o.heartbeatTimeoutMs,
        // Under an account query limit the campaign's batches share its query share.
        ...(q ? { minPollIntervalMs: Math.ceil((1000 * this.concurrency()) / q) } : {}),
        ...(prepared.file ? { sourceFile: prepared.file } : {}),
        ...(prepared.seal ? { seal: prepared.seal } : {}),
      },
    };
  }

  /**
   * Runs one term's lanes, folding each lane's outcomes in as it returns. When what may be sent
   * changes (pause, resume, cancel, an abort, a new account share, a window opening), the lanes
   * still running are canceled: each returns at once with what it did and hands over the rest.
   */
  private async runTerm(lanes: LaneInput[]): Promise<void> {
    // Lanes run in a scope of their own, shielded from a cancellation of the workflow itself: the
    // engine decides when they stop, and always collects what they did.
    const scope = new CancellationScope({ cancellable: true, parent: this.laneRoot });
    this.term = scope;
    if (this.receipts) this.receipts = newTermReceipts();
    const planned = this.planKey();
    if (lanes.every((l) => l.sendForMs === 0)) this.wakeAtWindowOpen();
    for (const lane of lanes) {
      this.running.set(lane.lane, lane);
      void scope.run(() => this.runLane(lane)).then(
        (r) => this.returned.push({ lane, r }),
        (err: unknown) => this.returned.push({ lane, err }),
      );
    }
    this.control.touch();
    await this.collect(() => this.planKey() !== planned);
  }

  /**
   * Folds in the lanes' results as they come back, here rather than in their promise callbacks,
   * so the activities it may run (given-up lines) belong to the engine's scope, not the lanes'.
   * Cancels the lanes still running once `replan` holds.
   */
  private async collect(replan: () => boolean): Promise<void> {
    let canceled = false;
    while (this.running.size > 0) {
      await condition(() => this.returned.length > 0 || (!canceled && replan()));
      for (const { lane, r, err } of this.returned.splice(0)) {
        this.running.delete(lane.lane);
        this.progress.delete(lane.lane);
        if (r) await this.laneReturned(lane, r);
        else await this.laneFailed(lane, err);
        this.control.touch();
      }
      this.control.noteHealth();
      if (!canceled && this.running.size > 0 && replan()) {
        this.term?.cancel();
        canceled = true;
      }
    }
  }

  private runLane(lane: LaneInput): Promise<LaneResult> {
    this.s.cost.activities++;
    const sends = lane.sendForMs > 0;
    // Shown next to the activity in the Temporal UI.
    const summary = `lane ${lane.lane + 1}/${lane.lanes} · ${instancesOf(lane, this.layout())} instances · ${sends ? 'sending' : 'tracking'}`;
    return this.laneActs.runLane.executeWithOptions({ summary }, [lane]);
  }

  private async laneReturned(lane: LaneInput, r: LaneResult): Promise<void> {
    const effects = applyLaneResult(this.s, lane, r, this.outcomeContext(), this.receipts);
    if (r.blocked) this.own.block(r.blocked);
    if (r.held) this.holds.hold(r.held);
    await this.carryOut(effects);
    if (r.stopped) log.info('lane returned early', { campaignId: this.campaignId, lane: lane.lane, why: r.stopped });
    this.judge();
  }

  /** A lane that failed after all its attempts: its items' journals tell what its calls did. */
  private async laneFailed(lane: LaneInput, err: unknown): Promise<void> {
    if (isCancellation(err)) {
      // Canceled before a worker started it: nothing ran, everything goes back.
      this.s.pending.unshift(...lane.items);
      if (lane.batches) (this.s.spareBatches ??= []).unshift(lane.batches);
      return;
    }
    // Canceled by the engine (a re-plan) while its worker was dead: it timed out instead of
    // returning what it did, and Temporal does not retry a lane asked to stop. It did not fail:
    // its work goes back for the next lanes, which resume each item from its journal.
    if (canceledThenTimedOut(err) && this.control.patch('lane-canceled-back')) {
      this.s.pending.unshift(...lane.items);
      if (lane.batches) (this.s.spareBatches ??= []).unshift(lane.batches);
      log.warn('lane timed out after its cancel; its work goes back', { campaignId: this.campaignId, lane: lane.lane });
      return;
    }
    // Refused on every attempt for an own part's sake (no worker with the campaign's store took it):
    // blocked like any own part, its work back as it came (the journals tell what earlier attempts sent).
    const fault = this.own.failure(err);
    if (fault) {
      this.s.pending.unshift(...lane.items);
      if (lane.batches) (this.s.spareBatches ??= []).unshift(lane.batches);
      this.own.block(fault);
      return;
    }
    const message = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
    log.error('lane failed after all activity retries', { campaignId: this.campaignId, lane: lane.lane, error: message });
    const items = [...lane.items];
    for (let b = lane.batches?.from ?? 0; lane.batches && b < lane.batches.to; b++) {
      items.push(batchItem(b, this.layout()));
    }
    for (const item of items) {
      await this.giveUp({ item, outcome: 'failed', code: 'ORCHESTRATOR_ERROR', message, failedActivity: true });
    }
  }

  private async carryOut(effects: ItemEffects[]): Promise<void> {
    for (const e of effects) {
      if (e.giveUp) await this.giveUp(e.giveUp);
      if (e.abort) this.control.abort(e.abort);
      if (e.canary?.passed === false) this.control.abort(e.canary.reason);
      else if (e.canary?.passed) {
        log.info('canary passed', {
          campaignId: this.campaignId,
          instances: this.s.canary.instances,
          errors: this.s.canary.errors,
        });
      }
    }
    this.control.touch();
  }

  private async giveUp(g: GiveUp): Promise<void> {
    const n = await this.own.persist(() =>
      this.acts.recordOutcomes({
        campaignId: this.campaignId,
        part: g.item.key,
        ...(g.item.ids ? { ids: g.item.ids } : { spoolRange: g.item.range }),
        outcome: g.outcome,
        resets: g.item.resets,
        ...(g.item.possible ? { possible: g.item.possible } : {}),
        errorCode: g.code,
        errorMsg: g.message,
        ...(g.failedActivity ? { failedActivity: true } : {}),
        ...(g.failedActivity && g.item.journal ? { journal: g.item.journal } : {}),
        ...(this.s.prepared?.seal ? { seal: this.s.prepared.seal } : {}),
      }),
    );
    if (n !== undefined) this.s.counts[g.outcome] += n;
  }

  /** The error budget and abort rules, judged on the whole campaign once the canary passed. */
  private judge(): void {
    const s = this.s;
    if (!s.canary.passed || this.control.stopping()) return;
    // Phones refused for good before any call (pre-flight) say nothing of the rollout; phones
    // written for a journal the store could not give back spend no budget (our own fault).
    const refused = s.prepared?.rejected ?? 0;
    const counts = budgetCounts({ ...s.counts, rejected: s.counts.rejected - refused }, s.quarantined);
    const judged = totalOf(counts) - counts.skipped;
    const o = this.options;
    const exceeded =
      budgetExceeded(o.maxErrors, errorsOf(counts), judged, s.prepared!.total) ??
      abortRuleFired(o.abortOn, counts, judged, o.abortMinFinished);
    if (exceeded) this.control.abort(exceeded);
    this.control.upsert();
  }

  // ---- the fleet listing: no call goes on one older than options.listingMaxAgeMs (10 min) --------
  private factsUntil(): number | undefined {
    return listingUntil(this.s.factsAt, this.options.listingMaxAgeMs);
  }

  private factsStale(now: number): boolean {
    return listingStale(this.factsUntil(), now);
  }

  private factsDue(now: number): boolean {
    return listingDue(this.factsUntil(), now, this.options.termMs, this.options.listingMaxAgeMs);
  }

  /**
   * Lists the fleet again before a sending term would outlive the listing's bound, so that a phone
   * someone started to use since (or one frozen, or gone) is screened out of its batch's call. A
   * refresh that fails is tried again a minute later; meanwhile the campaign only tracks.
   */
  private async refreshFleetFacts(): Promise<void> {
    const now = Date.now();
    const s = this.s;
    if (!this.factsDue(now) || (s.factsRetryAt ?? 0) > now) return;
    if (s.paused || this.control.stopping() || !this.control.patch('fleet-preflight')) return;
    const toSend = s.pending.some((i) => !i.handedOver) || s.nextBatch < this.totalBatches() || !!s.spareBatches?.length;
    if (!toSend) return;
    this.listing = { at: now };
    try {
      // A store that cannot take the listing blocks the campaign until it heals.
      const r = await this.own.persist(() =>
        this.acts.refreshFleetFacts({ campaignId: this.campaignId, includeInUse: this.options.includeInUse }),
      );
      if (!r) {
        this.listingDone(false);
        return;
      }
      this.listingDone(true);
      s.factsAt = now;
      s.listingCalls = (s.listingCalls ?? 0) + r.calls;
      delete s.factsRetryAt;
      log.info('fleet listed again', { campaignId: this.campaignId, calls: r.calls, screened: r.screened });
    } catch (err) {
      const message = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
      this.listingDone(false);
      log.warn('could not list the fleet again; nothing is sent until it can', { campaignId: this.campaignId, error: message });
      s.factsRetryAt = Date.now() + 60_000;
    }
    this.control.touch();
  }

  /** The listing under way as the status sees a lane's progress: its troubles, nothing counted. */
  private listingReport(): LaneReport[] {
    const r = this.listing?.report;
    if (!r) return [];
    const progress: LaneProgress = {
      term: 0,
      lane: -1,
      counts: emptyCounts(),
      finished: 0,
      calls: 0,
      polls: 0,
      rate: 0,
      startRate: 0,
      troubles: r.troubles,
      ...(r.answeredAgoMs !== undefined ? { answeredAgoMs: r.answeredAgoMs } : {}),
    };
    return [{ progress, at: this.listing!.at }];
  }

  /** The listing ended: its troubles join the campaign's; one that succeeded was answered now. */
  private listingDone(succeeded: boolean): void {
    if (!this.listing) return;
    const now = Date.now();
    const r = this.listing?.report;
    if (r) {
      this.s.troubles = mergeTroubles(this.s.troubles ?? [], r.troubles, this.listing!.at);
      if (r.answeredAgoMs !== undefined) this.s.answeredAt = Math.max(this.s.answeredAt ?? 0, this.listing!.at - r.answeredAgoMs);
    }
    if (succeeded) this.s.answeredAt = Math.max(this.s.answeredAt ?? 0, now);
    this.listing = undefined;
    this.control.noteHealth();
  }

  /** Nothing to run now: wait for the earliest due retry, a window opening, or the operator. */
  private async idle(now: number): Promise<void> {
    const planned = this.planKey();
    const candidates: number[] = [];
    if (this.termContext(now).mode === 'sending') {
      const due = Math.min(...this.s.pending.map((i) => i.notBefore));
      if (Number.isFinite(due)) candidates.push(due);
    }
    const opens = nextWindowStart(this.options.windows, now);
    if (opens !== undefined && !this.s.paused && !this.control.stopping()) candidates.push(opens);
    // A listing that could not be refreshed is tried again then.
    if (this.s.factsRetryAt !== undefined && !this.s.paused && !this.control.stopping()) {
      candidates.push(this.s.factsRetryAt);
    }
    // Held slices of the spool are proved again when their backoff is up.
    const heldProbe = this.holds.dueAt();
    if (heldProbe !== undefined && !this.control.stopping()) candidates.push(heldProbe);
    // Failing calls back off for minutes: wake when they would block the campaign, to say so.
    const blocks = this.control.blockedAt(now);
    if (blocks !== undefined && blocks > now && this.control.patch('blocked-state')) candidates.push(blocks);
    if (candidates.length === 0) {
      await condition(() => this.planKey() !== planned);
      return;
    }
    const wait = Math.max(1, Math.min(...candidates) - now);
    this.s.cost.timers++;
    await condition(() => this.planKey() !== planned, wait);
    this.control.noteHealth();
  }

  /** While only tracking because a window is shut, re-plan the moment it opens. */
  private wakeAtWindowOpen(): void {
    if (this.s.paused || this.control.stopping()) return;
    const now = Date.now();
    const opens = nextWindowStart(this.options.windows, now);
    if (opens === undefined) return;
    this.s.cost.timers++;
    void sleep(Math.max(1, opens - now)).then(() => this.wakeups++);
  }

  /** Changes to this mean the running lanes were planned for a situation that no longer holds. */
  private planKey(): string {
    const share = this.s.account?.share;
    return [
      this.s.paused,
      this.control.stopping(),
      this.s.cancelNow,
      share?.rate,
      share?.queryRate,
      this.wakeups,
    ].join('|');
  }

  private finished(): boolean {
    const s = this.s;
    // Stopping follows what was sent to its end, unless canceled --now.
    if (this.control.stopping()) return s.cancelNow === true || !s.pending.some((i) => i.handedOver);
    // Never while a slice of the spool is held: its approved phones have no line yet.
    return s.pending.length === 0 && s.nextBatch >= this.totalBatches() && !s.spareBatches?.length && !s.held;
  }

  private historyFull(): boolean {
    const info = workflowInfo();
    if (info.historyLength >= this.options.maxHistoryEvents || info.historySize >= MAX_HISTORY_BYTES) return true;
    // The server's own advice (its history count and size limits, which an operator may lower):
    // handed over between terms as well.
    return info.continueAsNewSuggested && this.control.patch('server-suggests-handover');
  }

  private async handOver(): Promise<never> {
    await condition(allHandlersFinished);
    await this.notifier?.settle();
    this.control.upsert(true);
    const carry: CampaignCarry = { ...this.s, run: this.s.run + 1 };
    log.info('continuing as new', { campaignId: this.campaignId, run: this.s.run, historyLength: workflowInfo().historyLength });
    // Inline ids already live in the spool; the next run must not carry them again.
    const source: IdSource = this.input.source.kind === 'inline' ? { kind: 'inline', ids: [] } : this.input.source;
    // The memo (the stores recorded at start and by prepare) goes on with the campaign: a run
    // continued as new starts with none unless it is passed on.
    const next = makeContinueAsNewFunc<(i: CampaignWorkflowInput) => Promise<CampaignResult>>({
      memo: workflowInfo().memo ?? {},
    });
    return await next({
      options: this.options,
      source,
      ...(this.input.safety ? { safety: this.input.safety } : {}),
      carry,
    });
  }

  // ---- wind down: account for everything not reset, assemble the report ---------------------
  private async windDown(): Promise<CampaignResult> {
    const s = this.s;
    const c = this.control;
    if (c.stopping()) {
      const reason = s.cancelReason ?? `campaign aborted: ${s.abortReason}`;
      // Held work is canceled with the rest: lines for the records that still read true.
      this.holds.releaseAll();
      for (const item of s.pending.splice(0)) {
        await this.giveUp({ item, outcome: 'canceled', code: 'CANCELED', message: reason, failedActivity: item.handedOver === true });
      }
      for (const range of (s.spareBatches ?? []).splice(0)) {
        await this.giveUp({
          item: { ...batchItem(range.from, this.layout()), key: `z-spare-${range.from}`, range: this.spoolRange(range) },
          outcome: 'canceled',
          code: 'CANCELED',
          message: reason,
        });
      }
      if (s.nextBatch < this.totalBatches()) {
        const n = await this.own.persist(() =>
          this.acts.recordOutcomes({
            campaignId: this.campaignId,
            part: 'z-rest',
            spoolFrom: spoolStartOf(this.layout(), s.nextBatch),
            outcome: 'canceled',
            resets: 0,
            errorCode: 'CANCELED',
            errorMsg: reason,
            ...(s.prepared?.seal ? { seal: s.prepared.seal } : {}),
          }),
        );
        s.counts.canceled += n ?? 0;
        s.nextBatch = this.totalBatches();
      }
    }
    const ending: CampaignState =
      s.cancelReason !== undefined ? 'canceled' : s.abortReason !== undefined ? 'aborted' : 'completed';
    const expectedLines = c.total() - s.prepared!.duplicates;
    // Also gives the campaign's phones back (leases), whatever way it ended; phones without a
    // line (a bug lost them) get theirs from the journal.
    const report = await this.own.persist(() =>
      this.acts.finalizeReport({
        campaignId: this.campaignId,
        state: ending,
        expectedLines,
        batchSize: this.options.batchSize,
        ...(s.prepared?.seal ? { seal: s.prepared.seal } : {}),
      }),
    );
    if (s.account) await this.leaveAccount();
    if (!report) {
      // Its store lost the campaign and the operator ended it with cancel --now: no line written.
      const note = `; no report was written: ${s.blocked?.message ?? 'its store no longer holds the campaign'}`;
      if (s.abortReason !== undefined) s.abortReason += note;
      else s.cancelReason = `${s.cancelReason ?? 'canceled'}${note}`;
      c.end(ending);
      c.touch();
      c.upsert(true);
      await condition(allHandlersFinished);
      return c.result({ location: '', lines: 0 });
    }
    // The report's ids against the approved ones (campaigns with a seal): every approved phone
    // exactly once, no other id. A mismatch is named and never completes.
    const ids = report.ids && c.patch(ID_CHECK_PATCH) ? report.ids : undefined;
    const unreadable = ids?.unreadable.count ?? 0;
    if (report.rebuilt) {
      // Complete, but only from the journal: the campaign lost track of these phones.
      const why = `${report.rebuilt} phones had no line at the end: rebuilt from the journal (canceled, with the resets it shows)`;
      log.error('report lacked lines: rebuilt from the journal', { campaignId: this.campaignId, why });
      s.counts.canceled += report.rebuilt;
      s.abortReason ??= why;
      c.end('failed');
    } else if (ids && !idSetMatches(ids)) {
      const why = `the report's ids are not the approved ones: ${describeIdSetCheck(ids)}`;
      log.error('report ids differ from the approved ones', { campaignId: this.campaignId, why });
      s.abortReason ??= why;
      c.end('failed');
    } else if (unreadable > 0 && ending !== 'completed' && report.lines + unreadable === expectedLines) {
      // Stopped with spool records that no longer read true (held, then canceled): their phones
      // cannot be named, so they have no line; the ending stands and its reason says so.
      const note = `; ${describeIdSetCheck(ids!)}`;
      if (s.abortReason !== undefined) s.abortReason += note;
      else s.cancelReason = `${s.cancelReason ?? 'canceled'}${note}`;
      c.end(ending);
    } else if (report.lines !== expectedLines || report.duplicates > 0 || unreadable > 0) {
      // A report that does not name every phone exactly once cannot be called complete.
      const why = `the report holds ${report.lines} lines (${report.duplicates} duplicated) for ${expectedLines} phones`;
      log.error('report does not hold exactly one line per instance', { campaignId: this.campaignId, why });
      s.abortReason ??= why;
      c.end('failed');
    } else c.end(ending);
    c.touch();
    c.upsert(true);
    await condition(allHandlersFinished);
    return c.result(report);
  }

  private async leaveAccount(): Promise<void> {
    this.s.cost.signals++;
    try {
      await getExternalWorkflowHandle(ACCOUNT_WORKFLOW_ID).signal(leaveAccountSignal, this.campaignId);
    } catch (err) {
      // The coordinator is gone (account limits removed): nobody holds a share for us.
      log.info('account coordinator not reachable at the end', { campaignId: this.campaignId, error: String(err) });
    }
  }

  // ---- figures -------------------------------------------------------------------------------
  private spoolRange(r: { from: number; to: number }) {
    return batchesRange(this.layout(), r.from, r.to);
  }

  /** How the spool is cut into batches: by region (and pool), or uniform for earlier campaigns. */
  private layout(): BatchLayout {
    const prepared = this.s.prepared!;
    if (this.layoutOf?.prepared !== prepared) {
      this.layoutOf = { prepared, layout: batchLayout(prepared.layout, prepared.total, this.options.batchSize) };
    }
    return this.layoutOf.layout;
  }

  /** The campaign's own rate, capped by its share of the account's limit when one is set. */
  private ceiling(): number {
    return shareCeiling(this.ownRate, this.s.account?.share);
  }

  private totalBatches(): number {
    return this.s.prepared ? batchCount(this.layout()) : 0;
  }

  private canaryBatches(): number {
    return Math.min(this.options.canary, this.totalBatches());
  }

  /** Exponential ramp: rampStart in flight, ×rampFactor per rampAfter successful batches. */
  private concurrency(): number {
    const o = this.options;
    if (o.rampStart === undefined) return o.concurrency;
    const steps = Math.floor(this.s.rampSucceeded / o.rampAfter);
    return Math.min(o.concurrency, Math.floor(o.rampStart * o.rampFactor ** steps));
  }

  /** Instances and batches given to running lanes (sending, or tracking). */
  private inFlight(): { instances: number; batches: number } {
    let instances = 0;
    let batches = 0;
    for (const lane of this.running.values()) {
      instances += instancesOf(lane, this.layout());
      const n = lane.items.length + (lane.batches ? lane.batches.to - lane.batches.from : 0);
      batches += Math.min(n, lane.concurrency);
    }
    return { instances, batches };
  }

  private outcomeContext(): OutcomeContext {
    return {
      options: this.options,
      canaryBatches: this.canaryBatches(),
      now: Date.now(),
      random: Math.random,
      newKey: () => `i${String(this.s.nextItem++).padStart(7, '0')}`,
    };
  }
}

/** A lane the engine asked to stop that timed out instead (its worker died): not a failure. */
function canceledThenTimedOut(err: unknown): boolean {
  return err instanceof ActivityFailure && err.retryState === RetryState.CANCEL_REQUESTED;
}
