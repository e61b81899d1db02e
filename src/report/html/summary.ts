import type { OutcomeCounts } from '../../campaign/outcome';
import { hasEnded, type AnomalyStatus, type CampaignStatus, type CampaignView } from '../../campaign/status';

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
  /** Odd answers the campaign dropped or collapsed instead of failing. */
  anomalies?: AnomalyStatus[];
  /** When the report was made; defaults to now. */
  generatedAt?: string;
}

/**
 * The report's summary of a campaign's status, the one shape every status comes in: a running
 * campaign's progress query or a finished one's result (`statusFromResult`). A status that has
 * ended was last updated when the campaign finished.
 */
export function summaryFromStatus(
  status: CampaignView,
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
    ...(status.batchResetCalls !== undefined ? { batchResetCalls: status.batchResetCalls } : {}),
    // Results of older versions lack the rate and batch size.
    ...(status.configuredRate !== undefined ? { configuredRate: status.configuredRate } : {}),
    ...(status.batchSize !== undefined ? { batchSize: status.batchSize } : {}),
    startedAt: status.startedAt,
    updatedAt: status.updatedAt,
    ...(hasEnded(status.state) ? { finishedAt: status.updatedAt } : {}),
    ...(status.cost !== undefined ? { cost: status.cost } : {}),
    ...(status.reportLocation !== undefined ? { reportLocation: status.reportLocation } : {}),
    ...(status.anomalies?.length ? { anomalies: status.anomalies } : {}),
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
