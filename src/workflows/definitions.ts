import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { LaneProgress } from '../campaign/lane';
import type { CampaignStatus } from '../campaign/status';
import type { TroubleSeen } from '../campaign/troubles';

/** Progress of a campaign: the status object of design.md. */
export const statusQuery = defineQuery<CampaignStatus>('status');

// Updates answer with the new status and refuse (validator) what makes no sense in the current
// state; signals do the same without an answer, for fire-and-forget callers and schedules.
export const pauseUpdate = defineUpdate<CampaignStatus>('pause');
export const resumeUpdate = defineUpdate<CampaignStatus>('resume');
export const cancelUpdate = defineUpdate<CampaignStatus, [reason: string]>('cancel');
/** Cancel, and stop following the batches in flight too (lane engine only). */
export const cancelNowUpdate = defineUpdate<CampaignStatus, [reason: string]>('cancelNow');

export const pauseSignal = defineSignal('pauseSignal');
export const resumeSignal = defineSignal('resumeSignal');
export const cancelSignal = defineSignal<[reason: string]>('cancelSignal');

/** A lane's outcomes so far in its term, for the status only: they count once the lane returns. */
export const laneProgressSignal = defineSignal<[progress: LaneProgress]>('laneProgress');

/** What a fleet listing (prepare's pre-flight, a refresh) met so far: its errors as ages, cumulative. */
export interface ListingProgress {
  calls: number;
  troubles: TroubleSeen[];
  answeredAgoMs?: number;
}

/** A fleet listing's troubles while it waits for KooPhone, for the status and `blocked`. */
export const listingProgressSignal = defineSignal<[progress: ListingProgress]>('listingProgress');
