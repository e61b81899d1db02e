import type { OutcomeCounts } from '../../campaign/outcome';
import type { CampaignResult, CampaignStatus } from '../../campaign/status';

/**
 * What the report says about the campaign besides its lines. Only the id is required, so a
 * running campaign (a status, no result yet) renders as well as a finished one.
 */
export interface HtmlReportSummary {
  campaignId: string;
  /** A `CampaignState`; any string is shown as given. */
  state?: string;
  reason?: string;
  total?: number;
  counts?: Partial<OutcomeCounts>;
  pending?: number;
  inFlight?: number;
  resetsSent?: number;
  batchResetCalls?: number;
  /** Batch-reset calls per second, or a description such as "auto (max 40)". */
  configuredRate?: number | string;
  /** Instances per batch-reset call; the rate-limit ceiling assumes 100 (the default) without it. */
  batchSize?: number;
  startedAt?: string;
  finishedAt?: string;
  updatedAt?: string;
  cost?: Partial<CampaignStatus['cost']>;
  reportLocation?: string;
  /** Why the report is not the campaign's whole, final report ("the campaign is canceling; …"). */
  partial?: string;
  /** When the report was made; defaults to now. */
  generatedAt?: string;
}

export function summaryFromResult(
  result: CampaignResult,
  extra: Partial<HtmlReportSummary> = {},
): HtmlReportSummary {
  return {
    campaignId: result.campaignId,
    state: result.state,
    ...(result.reason !== undefined ? { reason: result.reason } : {}),
    total: result.total,
    counts: result.counts,
    resetsSent: result.resetsSent,
    batchResetCalls: result.batchResetCalls,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    cost: result.cost,
    reportLocation: result.reportLocation,
    // A finished campaign's rate comes with its result (results of older versions lack it).
    ...(result.configuredRate !== undefined ? { configuredRate: result.configuredRate } : {}),
    ...(result.batchSize !== undefined ? { batchSize: result.batchSize } : {}),
    ...extra,
  };
}

export function summaryFromStatus(
  status: CampaignStatus,
  extra: Partial<HtmlReportSummary> = {},
): HtmlReportSummary {
  return {
    campaignId: status.campaignId,
    state: status.state,
    ...(status.reason !== undefined ? { reason: status.reason } : {}),
    total: status.total,
    counts: {
      succeeded: status.succeeded,
      failed: status.failed,
      timed_out: status.timedOut,
      rejected: status.rejected,
      missing_job: status.missingJob,
      skipped: status.skipped,
      canceled: status.canceled,
    },
    pending: status.pending,
    inFlight: status.inFlight,
    resetsSent: status.resetsSent,
    batchResetCalls: status.batchResetCalls,
    configuredRate: status.configuredRate,
    startedAt: status.startedAt,
    updatedAt: status.updatedAt,
    cost: status.cost,
    ...(status.reportLocation !== undefined ? { reportLocation: status.reportLocation } : {}),
    ...extra,
  };
}

/**
 * Batch-reset calls per second the campaign may make at most: the number itself, or the
 * maximum of an adaptive rate ("auto (max 40)"). Undefined when the summary does not say.
 */
export function rateLimitPerSecond(configuredRate: number | string | undefined): number | undefined {
  if (typeof configuredRate === 'number') return configuredRate > 0 ? configuredRate : undefined;
  if (configuredRate === undefined) return undefined;
  const asNumber = Number(configuredRate);
  if (configuredRate.trim() !== '' && Number.isFinite(asNumber) && asNumber > 0) return asNumber;
  const max = /\bmax\s+(\d+(?:\.\d+)?)/.exec(configuredRate);
  return max ? Number(max[1]) : undefined;
}
