import { mergeAnomalies, type Anomaly } from './anomalies';
import { emptyTotals, receivedBy, type LaneInput, type LaneResult } from './lane';
import { addCounts, budgetCounts, emptyCounts, errorsOf, totalOf, type OutcomeCounts } from './outcome';
import { noteTrouble, troubleKindOf, type Trouble } from './troubles';
import type { ResetBatchResult, WorkItem } from './work-item';
import { abortRuleFired, budgetExceeded } from './budget';
import { isOverloaded, limitFromMessage, onClean, onOverloaded, onThrottled } from './rate-slots';

/**
 * What one lane has done in its term, item by item: the result it will return, its rate's AIMD
 * steps, the troubles its calls met, and whether it must stop (a fatal answer, its part of the
 * error budget spent, its results full). Pure bookkeeping, no I/O: the lane runs the calls.
 */
export class LaneLedger {
  readonly result: LaneResult;
  /** Outcomes of the items that ended in this term (for the budget and the progress signals). */
  readonly counts: OutcomeCounts = emptyCounts();
  /** Errors this lane's calls (batch-reset calls and task queries) met, by kind. */
  readonly troubles: Trouble[] = [];
  /** Odd answers to this lane's accepted calls, by kind (cmd_jobs dropped or collapsed). */
  anomalies: Anomaly[] = [];
  /** When KooPhone last accepted a call or answered a query of this lane (its clock). */
  answeredAt: number | undefined;
  /** Of `counts.failed`, phones written for an unusable journal: they spend no budget. */
  private quarantined = 0;
  private resultIds = 0;

  constructor(
    private readonly input: LaneInput,
    attempt: number,
    private readonly now: () => number = Date.now,
  ) {
    this.result = {
      results: [],
      totals: emptyTotals(),
      unsent: [],
      handedOver: [],
      rate: { ...input.rate },
      calls: 0,
      polls: 0,
      heartbeats: 0,
      attempt,
      received: receivedBy(input),
    };
  }

  /** A call goes now (its journal mark is written). */
  sent(): void {
    this.result.calls += 1;
  }

  /** Calls an earlier attempt of this lane made and nobody has counted (its worker died). */
  unreported(calls: number): void {
    this.result.calls += calls;
  }

  /** How KooPhone answered one call or task query: an error's kind is a trouble; else it answered. */
  answered(error?: { code: string; message: string }): void {
    if (!error) {
      this.answeredAt = this.now();
      return;
    }
    const kind = troubleKindOf(error.code);
    if (kind) noteTrouble(this.troubles, kind, error.code, error.message, this.now());
  }

  /** What an accepted call's answer held that its item could not use. */
  odd(found: readonly Anomaly[]): void {
    this.anomalies = mergeAnomalies(this.anomalies, found);
  }

  /**
   * Folds one item's result in. Says why the lane must stop and return now (a fatal answer, its
   * part of the budget spent), and whether its results hold enough ids for one payload (it then
   * only stops sending).
   */
  record(item: WorkItem, r: ResetBatchResult): { stop?: string; full: boolean } {
    const { input, result } = this;
    // Calls that died with their worker are counted here; a call of this lane whose answer proved
    // nothing is in `uncertain` too, and was counted as it went.
    result.calls += (r.uncertain ?? 0) - (r.lostAnswer ? 1 : 0);
    this.adjustRate(r);
    if (r.kind === 'tracked') {
      result.polls += r.polls;
      addCounts(this.counts, r.counts);
      this.quarantined += r.quarantined ?? 0;
    }
    const errors = r.kind === 'tracked' ? r.failedJobs + (r.counts.timed_out ?? 0) + (r.counts.rejected ?? 0) : 0;
    const spent = r.kind === 'tracked' && (r.counts.failed ?? 0) + (r.counts.timed_out ?? 0) + (r.counts.rejected ?? 0) > 0;
    let full = false;
    if (!input.detail && r.kind === 'tracked' && r.retryIds.length === 0) {
      const t = result.totals;
      t.items += 1;
      addCounts(t.counts, r.counts);
      t.resets += r.resets;
      if (r.quarantined) t.quarantined = (t.quarantined ?? 0) + r.quarantined;
      if (item.round === 0 && errors === 0) t.cleanFirstRound += 1;
    } else {
      result.results.push({ item, result: r });
      this.resultIds += (item.ids?.length ?? 0) + (r.kind === 'tracked' ? r.retryIds.length : 0);
      full = this.resultIds >= input.maxResultIds;
    }
    const stop = r.kind === 'fatal' ? `${r.code}: ${r.message}` : spent ? this.budgetBroken() : undefined;
    return { ...(stop ? { stop } : {}), full };
  }

  /** AIMD on the lane's own share: clean answers raise it, throttling and overload cut it. */
  private adjustRate(r: ResetBatchResult): void {
    const { input } = this;
    const rate = this.result.rate;
    if (r.kind === 'tracked') {
      if (r.calls > 0) onClean(rate, input.ceiling);
    } else if (r.kind === 'retry' && r.throttled) {
      // A limit the gateway names is the account's: this lane's part of it is its share.
      const limit = limitFromMessage(r.message);
      onThrottled(rate, input.ceiling, this.now(), limit ? `limit:${limit / input.lanes}` : r.message);
    } else if (r.kind === 'retry' && isOverloaded(r.code)) {
      onOverloaded(rate, input.ceiling, this.now());
    }
  }

  /**
   * Judged as if every lane fared as this one: its counts scaled by the lanes, on top of the
   * campaign's when the term started. The workflow judges the real totals when the lane returns.
   */
  private budgetBroken(): string | undefined {
    const b = this.input.budget;
    if (!b) return undefined;
    const scaled = emptyCounts();
    const before = budgetCounts(b.counts, b.quarantined);
    const mine = budgetCounts(this.counts, this.quarantined);
    for (const k of Object.keys(scaled) as (keyof OutcomeCounts)[]) {
      scaled[k] = before[k] + this.input.lanes * mine[k];
    }
    const judged = totalOf(scaled) - scaled.skipped;
    return (
      budgetExceeded(b.maxErrors, errorsOf(scaled), judged, b.total) ??
      abortRuleFired(b.abortOn, scaled, judged, b.abortMinFinished)
    );
  }
}
