import { z } from 'zod';
import { CAMPAIGN_ID_PATTERN, CAMPAIGN_ID_RULE } from './campaign-id';
import { formatDuration, parseDuration } from './duration';

const duration = (label: string, min: number, max: number) =>
  z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      try {
        return parseDuration(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    })
    .pipe(
      z
        .number()
        .min(min, `${label} must be at least ${formatDuration(min)}`)
        .max(max, `${label} must be at most ${formatDuration(max)}`),
    );

/**
 * `--max-errors`: an absolute count ("50") or a share of finished instances ("10%"); the parsed
 * form (`{ kind, value }`, as workflow inputs record it) reads as itself.
 */
export const errorBudgetSchema = z
  .union([
    z.number(),
    z.string(),
    z.object({ kind: z.enum(['count', 'percent']), value: z.number().min(0) }).strict(),
  ])
  .transform((v, ctx): ErrorBudget => {
    if (typeof v === 'object') {
      if (v.kind === 'percent' && v.value > 100)
        ctx.addIssue({ code: 'custom', message: `${v.value}% is more than 100%` });
      if (v.kind === 'count' && !Number.isInteger(v.value))
        ctx.addIssue({ code: 'custom', message: `a count must be a whole number (got ${v.value})` });
      return v;
    }
    const s = String(v).trim();
    const pct = /^(\d+(?:\.\d+)?)%$/.exec(s);
    if (pct) {
      const value = Number(pct[1]);
      if (value > 100) ctx.addIssue({ code: 'custom', message: `${s} is more than 100%` });
      return { kind: 'percent', value };
    }
    if (/^\d+$/.test(s)) return { kind: 'count', value: Number(s) };
    ctx.addIssue({
      code: 'custom',
      message: `"${s}" must be a count (e.g. 50) or a percentage (e.g. 10%)`,
    });
    return z.NEVER;
  });
export interface ErrorBudget {
  kind: 'count' | 'percent';
  value: number;
}

/** `--max-per-pool`: phones of one pool reset at once, a count ("20") or a share of its size ("10%"). */
export const poolBudgetSchema = errorBudgetSchema.refine(
  (b) => b.value > 0,
  'must be at least 1 phone or more than 0% of a pool',
);

/** A recurring maintenance window: opens at each `cron` time in `timezone`, for `duration`. */
export const maintenanceWindowSchema = z
  .object({
    cron: z.string().min(9).max(200),
    durationMs: duration('window duration', 1000, 7 * 86_400_000),
    timezone: z.string().min(1).max(64).default('UTC'),
  })
  .strict();
export type MaintenanceWindow = z.output<typeof maintenanceWindowSchema>;

/** The operator's campaign options, validated once at the edge (docs/design.md "One declaration per fact"). */
export const campaignOptionsSchema = z
  .object({
    /** Informational: the campaign id is always the workflow id (schedules append a timestamp). */
    campaignId: z.string().regex(CAMPAIGN_ID_PATTERN, CAMPAIGN_ID_RULE).optional(),
    batchSize: z.number().int().min(1).max(100).default(100),
    concurrency: z.number().int().min(1).max(500).default(10),
    /**
     * batch-reset calls per second for this campaign, across all workers; `auto` finds the
     * tenant's unpublished limit (up to rateMax) from how the API answers.
     */
    rate: z.union([z.number().gt(0).max(1000), z.literal('auto')]).default(5),
    rateMax: z.number().gt(0).max(1000).default(50),
    /** Exponential ramp: start with rampStart batches in flight, ×rampFactor every rampAfter successful batches. */
    rampStart: z.number().int().min(1).max(500).optional(),
    rampFactor: z.number().gt(1).max(10).default(2),
    rampAfter: z.number().int().min(1).max(10_000).default(1),
    maxErrors: errorBudgetSchema.default({ kind: 'percent', value: 10 }),
    canary: z.number().int().min(0).max(1000).default(1),
    /** Abort rules per failure kind (like IoT jobs' abort criteria), on top of maxErrors. */
    abortOn: z
      .object({
        failed: errorBudgetSchema.optional(),
        timed_out: errorBudgetSchema.optional(),
        rejected: errorBudgetSchema.optional(),
      })
      .strict()
      .default({}),
    /** Abort rules apply only once this many instances have finished. */
    abortMinFinished: z.number().int().min(0).default(100),
    retryFailed: z.number().int().min(0).max(20).default(2),
    retryTimedOut: z.number().int().min(0).max(20).default(0),
    /** Job error codes never re-reset (e.g. CPS0005 "Phone not found."). */
    noRetryCodes: z.array(z.string().min(1).max(64)).max(100).default([]),
    /** Submit only inside these windows; outside them the campaign waits, tracking what is in flight. */
    windows: z.array(maintenanceWindowSchema).max(20).default([]),
    retryDelayMs: duration('--retry-delay', 0, 7 * 86_400_000).default(5 * 60_000),
    jobTimeoutMs: duration('--job-timeout', 1000, 7 * 86_400_000).default(30 * 60_000),
    /** Longest wait between two submission attempts of one batch (exponential backoff from 2 s). */
    submitBackoffMaxMs: duration('--submit-backoff-max', 1000, 3_600_000).default(5 * 60_000),
    /** How long one batch keeps retrying submission through outages before its instances fail. */
    submitTimeoutMs: duration('--submit-timeout', 1000, 30 * 86_400_000).default(24 * 3_600_000),
    /** Liveness of a batch activity: a worker that dies is noticed after this long. */
    heartbeatTimeoutMs: duration('heartbeat timeout', 1000, 3_600_000).default(60_000),
    /** Continue-as-new once a run's history reaches this many events (Temporal warns at 10 240). */
    maxHistoryEvents: z.number().int().min(100).max(40_000).default(9_000),
    /** How long a continue-as-new waits for in-flight batches before handing them over (first engine). */
    drainTimeoutMs: duration('drain timeout', 0, 3_600_000).default(60_000),
    /**
     * How long a lane sends before it returns its outcomes: how fresh the status is, against
     * one activity per lane per term (see docs/design.md, "Campaign engine").
     */
    termMs: duration('lane term', 1000, 600_000).default(30_000),
    /**
     * How long authentication errors may go on with no call answered before the campaign shows
     * `blocked` (like a rollout's progress deadline): retrying cannot fix a revoked token.
     */
    blockedAfterMs: duration('--blocked-after', 5000, 7 * 86_400_000).default(5 * 60_000),
    /**
     * Reset phones the fleet listing shows in use (a user logged in or assigned) or backing up or
     * restoring; by default they are skipped (IN_USE, BACKUP_RUNNING, RESTORE_RUNNING).
     */
    includeInUse: z.boolean().default(false),
    /** At most this many phones (or this share) of any one pool are being reset at once. */
    maxPerPool: poolBudgetSchema.optional(),
    /**
     * No call is screened against a fleet listing older than this: a long campaign lists the
     * fleet again before a term would outlive it (src/campaign/fleet-facts.ts).
     */
    listingMaxAgeMs: duration('listing max age', 5000, 86_400_000).default(10 * 60_000),
    /**
     * `--notify`: a webhook told of each state change (src/campaign/notification.ts). Only a
     * reference to the URL, never the URL: it may carry a token (docs/design.md "Notifications").
     */
    notify: z
      .object({
        ref: z.string().regex(/^[0-9a-f]{32}$/, 'ref must be 32 hex digits'),
        to: z
          .string()
          .regex(/^https?:\/\/\S+$/)
          .max(300),
      })
      .strict()
      .optional(),
    /** How long one notification is retried (with backoff) before it is given up and logged. */
    notifyRetryForMs: duration('--notify-retry-for', 1000, 86_400_000).default(10 * 60_000),
  })
  .strict();
export type CampaignOptionsInput = z.input<typeof campaignOptionsSchema>;
export type CampaignOptions = z.output<typeof campaignOptionsSchema>;

/** Where a campaign's instance ids come from. Ids are never carried whole beyond this. */
export const idSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('inline'), ids: z.array(z.string()).min(1).max(5000) }).strict(),
  z
    .object({
      kind: z.literal('file'),
      path: z.string().min(1).max(4096),
      format: z.enum(['auto', 'text', 'csv', 'json']).default('auto'),
      /** The CSV column of the ids when it is not instance_id (`--id-column`); read as headerKey() reads names. */
      idColumn: z.string().min(1).max(200).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('fleet'),
      namePrefix: z.string().min(1).optional(),
      poolTag: z.enum(['CLOUD_APP', 'CLOUD_PHONE']).optional(),
      poolName: z.string().min(1).optional(),
    })
    .strict(),
]);
export type IdSource = z.infer<typeof idSourceSchema>;

/** Formats zod issues as one line per problem, naming the option. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('\n');
}

/** Every option's default, from the schema: the one place a default is written. */
export function campaignOptionDefaults(): CampaignOptions {
  return campaignOptionsSchema.parse({});
}

/**
 * Options recorded in histories by older versions of the workflow lack newer fields; running
 * (and replayed) campaigns get the defaults those fields have today. Only these fields: the
 * others were in every recorded input.
 */
export function withOptionDefaults(o: CampaignOptions): CampaignOptions {
  const d = campaignOptionDefaults();
  return {
    ...o,
    rateMax: o.rateMax ?? d.rateMax,
    submitBackoffMaxMs: o.submitBackoffMaxMs ?? d.submitBackoffMaxMs,
    rampFactor: o.rampFactor ?? d.rampFactor,
    rampAfter: o.rampAfter ?? d.rampAfter,
    abortOn: o.abortOn ?? d.abortOn,
    abortMinFinished: o.abortMinFinished ?? d.abortMinFinished,
    retryTimedOut: o.retryTimedOut ?? d.retryTimedOut,
    noRetryCodes: o.noRetryCodes ?? d.noRetryCodes,
    windows: o.windows ?? d.windows,
    termMs: o.termMs ?? d.termMs,
    blockedAfterMs: o.blockedAfterMs ?? d.blockedAfterMs,
    includeInUse: o.includeInUse ?? d.includeInUse,
    listingMaxAgeMs: o.listingMaxAgeMs ?? d.listingMaxAgeMs,
    notifyRetryForMs: o.notifyRetryForMs ?? d.notifyRetryForMs,
  };
}
