import type { StoredCampaign } from '../report';

/** Whether a report is the campaign's whole, final report, and if not, why. */
export interface ReportCompleteness {
  campaignId: string;
  lines: number;
  /** Phones the campaign prepared, when the store knows. */
  total?: number;
  /** The campaign's state as Temporal or the store last said. */
  state?: string;
  /** The campaign assembled its final report. */
  final: boolean;
  partial: boolean;
  /** Why it is partial, in a sentence fragment: "the campaign is canceling". */
  why?: string;
}

const ENDED = new Set(['completed', 'canceled', 'cancelled', 'aborted', 'failed', 'terminated', 'timed out']);

/**
 * A report is partial while the campaign runs (lines come in as batches end; canceled phones
 * get theirs when it ends), when it ended without assembling its report (terminated), or when
 * its final report has fewer lines than phones.
 */
export function reportCompleteness(
  campaignId: string,
  lines: number,
  stored: StoredCampaign | undefined,
  liveState: string | undefined,
): ReportCompleteness {
  const state = liveState ?? stored?.finalState;
  const final = stored?.finalState !== undefined;
  const total = stored?.total;
  let why: string | undefined;
  if (!final && state !== undefined && !ENDED.has(state))
    why = `the campaign is ${state}; the report is final once it ends`;
  else if (!final)
    why = state
      ? `the campaign ended ${state} without assembling its final report`
      : 'the campaign has not assembled its final report';
  else if (total !== undefined && lines < total)
    why = `the final report is short by ${(total - lines).toLocaleString('en-US')} lines`;
  return {
    campaignId,
    lines,
    ...(total !== undefined ? { total } : {}),
    ...(state !== undefined ? { state } : {}),
    final,
    partial: why !== undefined,
    ...(why !== undefined ? { why } : {}),
  };
}

/** The stderr note: "partial report: 300 of 3,000 phones have a line (the campaign is canceling; …)". */
export function partialNote(c: ReportCompleteness): string | undefined {
  if (!c.partial) return undefined;
  const of = c.total !== undefined ? ` of ${c.total.toLocaleString('en-US')}` : '';
  return `partial report: ${c.lines.toLocaleString('en-US')}${of} phones have a line (${c.why})`;
}
