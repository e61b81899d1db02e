/**
 * What `start` checked and the operator approved, carried in the workflow input so that prepare
 * enforces it again (a schedule or a direct `temporal workflow start` must not bypass it).
 */
export interface CampaignSafety {
  /** The set the plan counted: prepare refuses a source that reads differently (SOURCE_CHANGED). */
  pin?: TargetPin;
  /** Move aside the stored data of an earlier campaign with this id instead of refusing. */
  archivePrevious?: boolean;
  /** Skip phones other running campaigns hold (reported `skipped`, `LEASED_BY <campaign>`). */
  skipOverlap?: boolean;
}

/** Count and sha256 of the deduplicated ids, in order, one per line. */
export interface TargetPin {
  count: number;
  sha256: string;
}

/** Failure types of the safety checks: stable names the workflow and the CLI match on. */
export const SOURCE_CHANGED = 'SOURCE_CHANGED';
export const CAMPAIGN_ID_REUSED = 'CAMPAIGN_ID_REUSED';
export const PHONES_LEASED = 'PHONES_LEASED';
export const SAFETY_FAILURES = [SOURCE_CHANGED, CAMPAIGN_ID_REUSED, PHONES_LEASED] as const;
