import { z } from 'zod';

/** Every instance of a campaign ends in exactly one of these. */
export const OUTCOMES = [
  'succeeded',
  'failed',
  'timed_out',
  'rejected',
  'missing_job',
  'skipped',
  'canceled',
] as const;
export const outcomeSchema = z.enum(OUTCOMES);
export type Outcome = z.infer<typeof outcomeSchema>;

/** One report line per instance; field names are the report's column names. */
export const reportLineSchema = z.object({
  instance_id: z.string(),
  outcome: outcomeSchema,
  resets: z.number().int().min(0),
  job_id: z.string(),
  error_code: z.string(),
  error_msg: z.string(),
  finished_at: z.string(),
});
export type ReportLine = z.infer<typeof reportLineSchema>;
export const REPORT_COLUMNS = Object.keys(reportLineSchema.shape) as (keyof ReportLine)[];

export type OutcomeCounts = Record<Outcome, number>;

export function emptyCounts(): OutcomeCounts {
  return { succeeded: 0, failed: 0, timed_out: 0, rejected: 0, missing_job: 0, skipped: 0, canceled: 0 };
}

export function addCounts(into: OutcomeCounts, more: Partial<OutcomeCounts>): void {
  for (const k of OUTCOMES) into[k] += more[k] ?? 0;
}

export function totalOf(counts: OutcomeCounts): number {
  return OUTCOMES.reduce((sum, k) => sum + counts[k], 0);
}

/**
 * The counts the error budget and abort rules judge: phones written `failed JOURNAL_UNREADABLE`
 * (`quarantined`: their journal could not be used, our own store's fault) are left out.
 */
export function budgetCounts(counts: OutcomeCounts, quarantined = 0): OutcomeCounts {
  return { ...counts, failed: Math.max(0, counts.failed - quarantined) };
}

/** The outcomes that spend the error budget. */
export function errorsOf(counts: OutcomeCounts): number {
  return counts.failed + counts.timed_out + counts.rejected;
}
