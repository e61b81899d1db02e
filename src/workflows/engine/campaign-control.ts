import { log, patched, setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { describeBlocking, fixFor, type BlockingCause } from '../../campaign/blocking';
import { addEtaSample, estimateRemainingMs } from '../../campaign/eta';
import type { LaneProgress } from '../../campaign/lane';
import type { CampaignOptions } from '../../campaign/options';
import { addCounts, budgetCounts, errorsOf, totalOf } from '../../campaign/outcome';
import { mergeAnomalies } from '../../campaign/anomalies';
import { describePoolBudget, type PoolLimit } from '../../campaign/pool-budget';
import type { CampaignResult, CampaignState, CampaignStatus } from '../../campaign/status';
import { anomalyStatus, statusFromCounts } from '../../campaign/status';
import { blockedBy, blockingFrom, describeTrouble, mergeTroubles, TROUBLE_SHOWN_MS, type Trouble } from '../../campaign/troubles';
import { itemSize } from '../../campaign/work-item';
import {
  CampaignErrors,
  CampaignFinished,
  CampaignState as CampaignStateKey,
  CampaignTotal,
} from '../../temporal/search-attributes';
import { accountShareSignal } from '../account-definitions';
import { describeBudget } from '../../campaign/budget';
import { temporalActions, type CampaignCarry } from '../campaign-state';
import {
  cancelNowUpdate,
  cancelSignal,
  cancelUpdate,
  pauseSignal,
  pauseUpdate,
  resumeSignal,
  resumeUpdate,
  statusQuery,
} from '../definitions';
import { campaignDetails } from '../details';
import { onShareChanged } from '../../campaign/rate-slots';
import type { RateShare } from '../../campaign/rate-share';
import { nextWindowStart, openWindowEnd } from '../../campaign/windows';

/** What the control side needs from the engine: live figures only it knows. */
export interface EngineFigures {
  ceiling(): number;
  inFlight(): { instances: number; batches: number };
  concurrency(): number;
  totalBatches(): number;
  /** Running lanes' outcomes so far (and when each came): shown, not yet counted. */
  progress(): LaneReport[];
  /** Told the state at each upsert, where every change of it is recorded (`--notify`). */
  stateSeen?(state: CampaignState): void;
}

/** A running lane's latest progress signal and when (workflow time) it came. */
export interface LaneReport {
  progress: LaneProgress;
  at: number;
}

/**
 * The campaign as the operator sees and steers it: the status query, pause/resume/cancel (as
 * updates that answer and signals that do not), the account's share signal, search attributes,
 * the UI's current details, the result. The engine decides what runs; this says what is.
 */
export class CampaignControl {
  readonly campaignId: string;
  private finalState: CampaignState | undefined;
  private updatedAt = new Date().toISOString();
  private lastUpsertFinished = -1;
  /** The search attributes say `blocked` (see noteHealth). */
  private blockedShown = false;
  private readonly patchesUsed = new Set<string>();

  constructor(
    campaignId: string,
    private readonly s: CampaignCarry,
    private readonly options: CampaignOptions,
    private readonly figures: EngineFigures,
  ) {
    this.campaignId = campaignId;
  }

  stopping(): boolean {
    return this.s.cancelReason !== undefined || this.s.abortReason !== undefined;
  }

  total(): number {
    const p = this.s.prepared;
    return p ? p.total + p.duplicates + p.skipped + (p.rejected ?? 0) : 0;
  }

  state(): CampaignState {
    if (this.finalState) return this.finalState;
    if (this.s.cancelReason !== undefined) return 'canceling';
    if (this.s.paused) return 'paused';
    // A held slice of the spool blocks the campaign's end, and only the operator can release it.
    if (this.s.blocked || this.s.held || this.blocker(Date.now())) return 'blocked';
    return 'running';
  }

  /**
   * The campaign's troubles with the running lanes' on top, and when KooPhone last answered.
   * Ages in lanes' reports count from when each came.
   */
  health(now: number): { troubles: Trouble[]; answeredAt: number | undefined } {
    let troubles = this.s.troubles ?? [];
    let answeredAt = this.s.answeredAt;
    for (const { progress: p, at } of this.figures.progress()) {
      troubles = mergeTroubles(troubles, p.troubles, at);
      if (p.answeredAgoMs !== undefined) answeredAt = Math.max(answeredAt ?? 0, at - p.answeredAgoMs);
    }
    return { troubles: troubles.filter((t) => now - t.lastAt < TROUBLE_SHOWN_MS), answeredAt };
  }

  /** What blocks the campaign now: errors only an operator can fix, going on with no progress. */
  blocker(now: number): Trouble | undefined {
    const { troubles, answeredAt } = this.health(now);
    return blockedBy(troubles, answeredAt, now, this.options.blockedAfterMs);
  }

  /**
   * When the campaign would become blocked if nothing changes, for the engine's wait: a campaign
   * whose every call fails may have nothing else to wake it for minutes.
   */
  blockedAt(now: number): number | undefined {
    if (this.state() !== 'running') return undefined;
    const { troubles, answeredAt } = this.health(now);
    return blockingFrom(troubles, answeredAt, this.options.blockedAfterMs)?.at;
  }

  /**
   * Called whenever lanes report: a campaign that becomes blocked (or stops being) says so in its
   * search attributes, so the Temporal UI's list and `list --state blocked` show it.
   */
  noteHealth(): void {
    const blocked = this.state() === 'blocked';
    if (blocked === this.blockedShown) return;
    this.blockedShown = blocked;
    const cause = this.whyBlocked(Date.now());
    if (cause) log.warn('campaign blocked', { campaignId: this.campaignId, cause });
    else log.info('campaign no longer blocked', { campaignId: this.campaignId });
    this.touch();
    if (this.patch('blocked-state')) this.upsert(true);
  }

  /** Why the campaign is blocked, in one line with the fix: an own part first, else KooPhone's auth. */
  private whyBlocked(now: number): string | undefined {
    if (this.s.blocked) return describeBlocking(this.s.blocked);
    if (this.s.held) return describeBlocking(this.s.held.cause);
    const auth = this.blocker(now);
    return auth ? describeTrouble(auth) : undefined;
  }

  /**
   * `patched(id)`, counting the cost: the first time a run uses a patch, the SDK records it in
   * the TemporalChangeVersion search attribute, an upsert.
   */
  patch(id: string): boolean {
    const on = patched(id);
    if (on && !this.patchesUsed.has(id)) {
      this.patchesUsed.add(id);
      this.s.cost.searchAttributeUpserts += 1;
    }
    return on;
  }

  /** The campaign could not start (prepare refused its source): nothing was sent. */
  fail(reason: string): void {
    this.finalState = 'failed';
    this.s.abortReason = reason;
    this.upsert(true);
  }

  end(state: CampaignState): void {
    this.finalState = state;
  }

  ended(): boolean {
    return this.finalState !== undefined;
  }

  /** A cancel that did not come through the campaign's own update or signal. */
  requestCancel(reason: string): void {
    this.cancel(reason);
  }

  abort(reason: string): void {
    if (this.stopping()) return;
    this.s.abortReason = reason;
    log.warn('campaign aborting', { campaignId: this.campaignId, reason });
    this.touch();
    this.upsert(true);
  }

  status(): CampaignStatus {
    const s = this.s;
    // Running lanes' outcomes so far are shown at once; the campaign counts them when they return.
    const reported = this.figures.progress().map((r) => r.progress);
    const counts = { ...s.counts };
    for (const p of reported) addCounts(counts, p.counts);
    const sum = (f: (p: LaneProgress) => number) => reported.reduce((n, p) => n + f(p), 0);
    const flight = this.figures.inFlight();
    flight.instances = Math.max(0, flight.instances - sum((p) => p.finished));
    const finished = totalOf(counts);
    const o = this.options;
    const now = Date.now();
    const { troubles } = this.health(now);
    const blockedBy = this.finalState ? undefined : this.whyBlocked(now);
    const cause = this.finalState ? undefined : (this.s.blocked ?? this.s.held?.cause);
    const anomalies = reported.reduce((all, p) => mergeAnomalies(all, p.anomalies), s.anomalies ?? []);
    return {
      campaignId: this.campaignId,
      state: this.state(),
      total: this.total(),
      pending: Math.max(0, this.total() - finished - flight.instances),
      inFlight: flight.instances,
      ...statusFromCounts(counts),
      resetsSent: s.resetsSent,
      startedAt: s.startedAt,
      updatedAt: this.updatedAt,
      reason: s.abortReason ?? s.cancelReason,
      batchResetCalls: s.calls + sum((p) => p.calls),
      taskPolls: s.polls + sum((p) => p.polls),
      slotsMissed: s.slotsMissed ?? 0,
      currentRate: Math.round((s.rate.current + sum((p) => p.rate - p.startRate)) * 100) / 100,
      configuredRate: o.rate === 'auto' ? `auto (max ${o.rateMax})` : o.rate,
      ...(s.account ? { accountShare: s.account.share } : {}),
      currentConcurrency: this.figures.concurrency(),
      batchesInFlight: flight.batches,
      windowOpen: openWindowEnd(o.windows, now) !== undefined,
      ...(o.windows.length > 0 ? { nextWindow: iso(nextWindowStart(o.windows, now)) } : {}),
      cost: { ...s.cost, temporalActions: temporalActions(s.cost), apiCalls: s.calls + s.polls + (s.listingCalls ?? 0) },
      ...(s.listingCalls ? { listingCalls: s.listingCalls } : {}),
      ...(s.prepared?.pools?.length ? { poolBudget: poolBudgetText(o, s.prepared.pools) } : {}),
      canary: o.canary === 0 ? 'off' : s.canary.passed ? 'passed' : s.nextBatch > 0 ? 'running' : 'pending',
      // Phones refused for good before any call (pre-flight), and those written for a journal the
      // store could not give back, spend none of it.
      errorBudget: {
        used: errorsOf(budgetCounts(counts, s.quarantined)) - (s.prepared?.rejected ?? 0),
        limit: describeBudget(o.maxErrors),
      },
      awaitingRetry: s.pending.filter((i) => !i.handedOver).reduce((n, i) => n + itemSize(i), 0),
      run: s.run,
      ...(troubles.length > 0 ? { troubles: troubles.map(troubleStatus) } : {}),
      ...(blockedBy ? { blockedBy } : {}),
      ...(cause ? { blockingCause: causeStatus(cause) } : {}),
      ...(anomalies.length > 0 ? { anomalies: anomalyStatus(anomalies) } : {}),
    };
  }

  /** Search attribute upserts are history events (and billed): on state changes and milestones only. */
  upsert(force = false): void {
    this.figures.stateSeen?.(this.state());
    const done = totalOf(this.s.counts);
    if (!force && done - this.lastUpsertFinished < 5000) return;
    this.lastUpsertFinished = done;
    this.s.cost.searchAttributeUpserts += 1;
    upsertSearchAttributes([
      { key: CampaignStateKey, value: this.state() },
      { key: CampaignTotal, value: this.total() },
      { key: CampaignFinished, value: done },
      { key: CampaignErrors, value: errorsOf(this.s.counts) },
    ]);
  }

  /** Current details are not a history event: refreshing them on every change costs nothing. */
  touch(): void {
    this.updatedAt = new Date().toISOString();
    const now = Date.now();
    const status = this.status();
    const finished = status.total - status.pending - status.inFlight;
    // The pace behind the ETA, smoothed in workflow time: phones finish a batch at a time.
    this.s.eta = addEtaSample(this.s.eta ?? {}, { at: now, finished });
    const remaining = this.finalState ? 0 : estimateRemainingMs(this.s.eta, status.pending + status.inFlight);
    setCurrentDetails(campaignDetails(status, remaining));
  }

  register(): void {
    const s = this.s;
    setHandler(statusQuery, () => this.status());
    setHandler(accountShareSignal, (share: RateShare) => {
      s.cost.signals++;
      if (!s.account) return; // a share sent to a campaign that never joined (an older version)
      const before = this.figures.ceiling();
      s.account.share = share;
      onShareChanged(s.rate, before, this.figures.ceiling());
      this.touch();
    });
    setHandler(pauseSignal, () => (s.cost.signals++, this.pause()));
    setHandler(resumeSignal, () => (s.cost.signals++, this.resume()));
    setHandler(cancelSignal, (reason: string) => (s.cost.signals++, this.cancel(reason)));
    const answer = (act: () => void) => () => {
      s.cost.updates += 1;
      act();
      return this.status();
    };
    setHandler(pauseUpdate, answer(() => this.pause()), {
      validator: () => {
        this.validateActive();
        if (s.abortReason !== undefined) throw new Error(`campaign ${this.campaignId} is aborting: ${s.abortReason}`);
        if (s.paused) throw new Error(`campaign ${this.campaignId} is already paused`);
      },
    });
    setHandler(resumeUpdate, answer(() => this.resume()), {
      validator: () => {
        this.validateActive();
        if (!s.paused) throw new Error(`campaign ${this.campaignId} is not paused`);
      },
    });
    setHandler(
      cancelUpdate,
      (reason: string) => answer(() => this.cancel(reason))(),
      {
        validator: (reason: string) => {
          this.validateActive();
          if (typeof reason !== 'string' || reason.length > 500) {
            throw new Error('cancel reason must be a string of at most 500 characters');
          }
        },
      },
    );
    this.registerCancelNow(answer);
  }

  /**
   * `cancel --now`: a cancel that does not wait for the batches in flight. Their lines say their
   * call was accepted (naming the job) but the job was not followed, and count the reset.
   */
  private registerCancelNow(answer: (act: () => void) => () => CampaignStatus): void {
    setHandler(
      cancelNowUpdate,
      (reason: string) =>
        answer(() => {
          this.cancel(reason);
          this.s.cancelNow = true;
        })(),
      {
        validator: (reason: string) => {
          if (this.finalState) throw new Error(`campaign ${this.campaignId} has already ended (${this.finalState})`);
          if (typeof reason !== 'string' || reason.length > 500) {
            throw new Error('cancel reason must be a string of at most 500 characters');
          }
        },
      },
    );
  }

  result(report: { location: string; lines: number }): CampaignResult {
    const s = this.s;
    const o = this.options;
    const reason = s.abortReason ?? s.cancelReason;
    return {
      campaignId: this.campaignId,
      state: this.state(),
      ...(reason ? { reason } : {}),
      total: this.total(),
      counts: s.counts,
      resetsSent: s.resetsSent,
      batchResetCalls: s.calls,
      configuredRate: o.rate === 'auto' ? `auto (max ${o.rateMax})` : o.rate,
      batchSize: o.batchSize,
      reportLocation: report.location,
      reportLines: report.lines,
      cost: { ...s.cost, temporalActions: temporalActions(s.cost), apiCalls: s.calls + s.polls + (s.listingCalls ?? 0) },
      startedAt: s.startedAt,
      finishedAt: new Date().toISOString(),
      ...(s.anomalies?.length ? { anomalies: s.anomalies } : {}),
    };
  }

  private validateActive(): void {
    if (this.finalState) throw new Error(`campaign ${this.campaignId} has already ended (${this.finalState})`);
    if (this.s.cancelReason !== undefined) throw new Error(`campaign ${this.campaignId} is being canceled`);
  }

  private pause(): void {
    if (this.s.paused || this.stopping()) return;
    this.s.paused = true;
    this.touch();
    this.upsert(true);
  }

  private resume(): void {
    if (!this.s.paused) return;
    this.s.paused = false;
    this.touch();
    this.upsert(true);
  }

  private cancel(reason?: string): void {
    if (this.s.cancelReason !== undefined || this.finalState) return;
    this.s.paused = false;
    this.s.cancelReason = reason?.trim() || 'canceled by operator';
    this.s.paused = false;
    this.touch();
    this.upsert(true);
  }
}

function troubleStatus(t: Trouble) {
  return {
    kind: t.kind,
    code: t.code,
    message: t.message,
    calls: t.calls,
    firstAt: new Date(t.firstAt).toISOString(),
    lastAt: new Date(t.lastAt).toISOString(),
    hint: describeTrouble(t),
  };
}

function causeStatus(c: BlockingCause) {
  return {
    part: c.part,
    code: c.code,
    message: c.message,
    since: new Date(c.since).toISOString(),
    lastAt: new Date(c.lastAt).toISOString(),
    fix: fixFor(c),
  };
}

/** "10% of each pool at once (phone-pool-1 100 of 1,000, …)". */
function poolBudgetText(o: CampaignOptions, pools: readonly PoolLimit[]): string {
  const each = pools
    .slice(0, 5)
    .map((p) => `${p.name} ${p.limit} of ${p.size}`)
    .join(', ');
  const more = pools.length > 5 ? `, … ${pools.length} pools` : '';
  return `${o.maxPerPool ? describePoolBudget(o.maxPerPool) : '?'} of each pool at once (${each}${more})`;
}

const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
