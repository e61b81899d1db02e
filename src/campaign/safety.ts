import { z } from 'zod';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex');

/** The size and sha256 of a source's bytes. */
export const sourceBytesSchema = z.object({ size: z.number().int().min(0), sha256 }).strict();
export type SourceBytes = z.infer<typeof sourceBytesSchema>;

/** Count and sha256 of the deduplicated ids, in order, one per line. */
export const targetPinSchema = z
  .object({
    count: z.number().int().min(0),
    sha256,
    /**
     * An id file's bytes as the plan read them (a stdin spill's as `start` wrote them): prepare
     * compares size and hash before it parses anything, so a file replaced by something huge or
     * hostile is refused SOURCE_CHANGED without being parsed. Absent from older inputs.
     */
    file: sourceBytesSchema.optional(),
  })
  .strict();
export type TargetPin = z.infer<typeof targetPinSchema>;

/**
 * What `start` checked and the operator approved, carried in the workflow input so that prepare
 * enforces it again (a schedule or a direct `temporal workflow start` must not bypass it).
 */
export const campaignSafetySchema = z
  .object({
    /** The set the plan counted: prepare refuses a source that reads differently (SOURCE_CHANGED). */
    pin: targetPinSchema.optional(),
    /** Move aside the stored data of an earlier campaign with this id instead of refusing. */
    archivePrevious: z.boolean().optional(),
    /** Skip phones other running campaigns hold (reported `skipped`, `LEASED_BY <campaign>`). */
    skipOverlap: z.boolean().optional(),
  })
  .strict();
export type CampaignSafety = z.infer<typeof campaignSafetySchema>;

/** Failure types of the safety checks: stable names the workflow and the CLI match on. */
export const SOURCE_CHANGED = 'SOURCE_CHANGED';
export const CAMPAIGN_ID_REUSED = 'CAMPAIGN_ID_REUSED';
export const PHONES_LEASED = 'PHONES_LEASED';
export const SAFETY_FAILURES = [SOURCE_CHANGED, CAMPAIGN_ID_REUSED, PHONES_LEASED] as const;
