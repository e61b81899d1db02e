import { addEtaSample, averageRemainingMs as averagePace, estimateRemainingMs, type EtaState } from '../campaign/eta';
import { finishedOf, type CampaignView } from './campaign-status';

/**
 * The ETA a watcher shows, from src/campaign/eta.ts: phones finish a batch at a time, so a rate
 * over the last seconds swung between 0 and thousands a second ("1h41m", then "169ms"); a rate
 * smoothed over minutes does not. A watch that joins a running campaign starts from the
 * campaign's own average pace since it started, so its first estimates are not guesses either.
 */
export class ProgressEta {
  private state: EtaState = {};

  add(s: CampaignView, at = Date.now()): void {
    const finished = finishedOf(s);
    const since = at - Date.parse(s.startedAt);
    const priorPerMs =
      this.state.first === undefined && finished > 0 && since > 0 ? finished / since : undefined;
    this.state = addEtaSample(this.state, { at, finished }, priorPerMs === undefined ? {} : { priorPerMs });
  }

  /** Milliseconds left, or undefined while nothing has finished to go by. */
  remainingMs(s: CampaignView): number | undefined {
    return estimateRemainingMs(this.state, s.total - finishedOf(s));
  }
}

/** The average pace since the start, for a single look (`status`): one sample is all there is. */
export function averageRemainingMs(s: CampaignView, at = Date.now()): number | undefined {
  return averagePace(s.total, finishedOf(s), Date.parse(s.startedAt), at);
}
