import { mergeAnomalies } from '../../campaign/anomalies';
import type { LaneInput, LaneResult } from '../../campaign/lane';
import { addCounts } from '../../campaign/outcome';
import { mergeTroubles } from '../../campaign/troubles';
import type { WorkItem } from '../../campaign/work-item';
import type { CampaignCarry } from '../campaign-state';
import { applyItemResult, type ItemEffects, type OutcomeContext } from './item-outcome';
import { reconcileReceived, type TermReceipts } from './lane-received';

/**
 * Folds one lane's term into the campaign: its summed clean outcomes, each result that needs a
 * decision, what it handed back (unsent items and batches, items whose tracking the next lane
 * resumes) and where its rate went. Returns the effects the workflow must carry out.
 *
 * With `receipts` (the term's, runs since 'lane-received'), what the lane says it was given is
 * trusted over `lane`, what this run planned: they differ after a term planned on a stale clock,
 * and nothing the state took out for the lane may be lost, nor anything it ran be run again.
 */
export function applyLaneResult(
  s: CampaignCarry,
  lane: LaneInput,
  r: LaneResult,
  ctx: OutcomeContext,
  receipts?: TermReceipts,
): ItemEffects[] {
  if (receipts && r.received) reconcileReceived(s, lane, r.received, receipts, ctx.canaryBatches);
  s.calls += r.calls;
  s.polls += r.polls;
  s.cost.heartbeats += r.heartbeats;
  s.cost.activityRetries += Math.max(0, r.attempt - 1);
  addCounts(s.counts, r.totals.counts);
  s.resetsSent += r.totals.resets;
  if (r.totals.quarantined) s.quarantined = (s.quarantined ?? 0) + r.totals.quarantined;
  s.rampSucceeded += r.totals.cleanFirstRound;
  const effects = r.results.map(({ item, result }) => applyItemResult(s, item, result, ctx));
  // Handed-over items go first next term: their calls are accepted and their jobs running.
  const handedOver: WorkItem[] = r.handedOver.map((i) => ({ ...i, handedOver: true, notBefore: ctx.now }));
  s.pending.unshift(...handedOver);
  s.pending.push(...r.unsent);
  if (r.unsentBatches) (s.spareBatches ??= []).push(r.unsentBatches);
  foldRate(s, lane, r);
  s.troubles = mergeTroubles(s.troubles ?? [], r.troubles, ctx.now);
  if (r.answeredAgoMs !== undefined) s.answeredAt = Math.max(s.answeredAt ?? 0, ctx.now - r.answeredAgoMs);
  if (r.anomalies?.length) s.anomalies = mergeAnomalies(s.anomalies, r.anomalies);
  return effects;
}

/**
 * Lanes cut or raise their own rate (AIMD on the answers they get); the campaign's rate moves by
 * the sum of what they changed, and a limit the gateway named (divided among the lanes) is the
 * account's again.
 */
function foldRate(s: CampaignCarry, lane: LaneInput, r: LaneResult): void {
  s.rate.current = Math.max(0.05, s.rate.current + (r.rate.current - lane.rate.current));
  if (r.rate.knownLimit !== undefined && r.rate.knownLimit !== lane.rate.knownLimit) {
    s.rate.knownLimit = r.rate.knownLimit * lane.lanes;
  }
  if (r.rate.lastCutAt !== undefined) s.rate.lastCutAt = Math.max(s.rate.lastCutAt ?? 0, r.rate.lastCutAt);
}
