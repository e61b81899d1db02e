import { ActivityFailure, ApplicationFailure, condition, log, proxyActivities } from '@temporalio/workflow';
import type { CampaignActivities } from '../../activities';
import {
  endsWithoutWriting,
  faultOfFailure,
  isBlockedAnswer,
  noteBlocked,
  noteProbeFailed,
  probeDelayMs,
  type BlockedAnswer,
  type OwnPartFault,
} from '../../campaign/blocking';
import type { CampaignCarry } from '../campaign-state';
import type { CampaignControl } from './campaign-control';

// Blocking a campaign on one of our own parts (probes, retried writes) is new workflow commands.
const OWN_PART_PATCH = 'own-part-blocked';

/**
 * A campaign blocked by one of our own parts, run against Temporal: the cause in the campaign's
 * state (and so in its status, search attribute and details), the probes after the backoff, the
 * store writes tried again until the part heals. The decisions are in src/campaign/blocking.ts;
 * see docs/design.md, "Blocked by our own parts". Never a phone marked, never a count against
 * the canary or the budget, never the workflow failed.
 */
export class OwnParts {
  private readonly probes = proxyActivities<CampaignActivities>({
    // A probe answers in seconds or counts as failed: the next one comes after the backoff.
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 1 },
  });

  constructor(
    private readonly s: CampaignCarry,
    private readonly control: CampaignControl,
    /** Stops the running lanes: they would meet the same fault, and nothing new may be sent. */
    private readonly stopLanes: () => void,
  ) {}

  /** A part fails: the campaign is blocked and sends nothing new until a probe finds it healed. */
  block(fault: OwnPartFault): void {
    this.control.patch(OWN_PART_PATCH);
    const was = this.s.blocked;
    this.s.blocked = noteBlocked(was, fault, Date.now());
    if (!was) log.warn('campaign blocked by an own part', { campaignId: this.control.campaignId, ...fault });
    this.stopLanes();
    this.control.noteHealth();
    this.control.touch();
  }

  private unblock(): void {
    const was = this.s.blocked;
    if (!was) return;
    delete this.s.blocked;
    log.info('own part healed: campaign resumes', {
      campaignId: this.control.campaignId,
      part: was.part,
      blockedMs: Date.now() - was.since,
    });
    this.control.noteHealth();
    this.control.touch();
  }

  /** Waits the backoff (or until a cancel --now ends a campaign whose store is lost), then probes. */
  async probe(): Promise<void> {
    const cause = this.s.blocked!;
    this.s.cost.timers++;
    await condition(() => this.reportLost(), probeDelayMs(cause.probes));
    if (this.reportLost()) return;
    this.s.cost.activities++;
    const answer = await this.probes
      .probeOwnParts({
        campaignId: this.control.campaignId,
        parts: [cause.part],
        ...(this.s.prepared?.file ? { sourceFile: this.s.prepared.file } : {}),
      })
      .catch((err: unknown) => {
        // No answer (a worker on another store refused it, a timeout): the part is not proved healed.
        log.warn('own part probe failed', { campaignId: this.control.campaignId, error: String(err) });
        return undefined;
      });
    if (answer && !isBlockedAnswer(answer)) this.unblock();
    else this.s.blocked = noteProbeFailed(cause, answer?.blocked, Date.now());
    this.control.touch();
  }

  /**
   * Runs an activity that writes to the store until it is done: a fault blocks the campaign and
   * the call goes again after the backoff (the call is its own probe). Undefined when, blocked,
   * the campaign must end without it: `until` holds (by default, reportLost).
   */
  async persist<T>(
    call: () => Promise<T | BlockedAnswer>,
    until: () => boolean = () => this.reportLost(),
  ): Promise<T | undefined> {
    for (let tries = 0; ; tries++) {
      // Given up only while blocked: a write the store may take is always tried.
      if (this.s.blocked && until()) return undefined;
      this.s.cost.activities++;
      const r = await this.answerOf(call);
      if (!isBlockedAnswer(r)) {
        // Healed: a write that failed went through. (A first try that works says nothing of the
        // lanes' cause, which only their probe clears: no flapping between blocked and running.)
        if (tries > 0) this.unblock();
        return r;
      }
      if (tries === 0) this.block(r.blocked);
      else this.s.blocked = noteProbeFailed(this.s.blocked!, r.blocked, Date.now());
      this.control.touch();
      this.s.cost.timers++;
      await condition(until, probeDelayMs(this.s.blocked!.probes));
    }
  }

  /**
   * The fault an activity's failure stands for, its attempts spent on it (a lane refused by every
   * worker for their store), or undefined: a bug, which fails as before.
   */
  failure(err: unknown): OwnPartFault | undefined {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    const fault =
      cause instanceof ApplicationFailure
        ? faultOfFailure(cause.type ?? undefined, cause.message)
        : undefined;
    return fault && this.control.patch(OWN_PART_PATCH) ? fault : undefined;
  }

  /**
   * A cancel --now of a campaign whose store no longer holds it: it ends without writing a line
   * (its lines could only be written by re-creating the store half-way).
   */
  reportLost(): boolean {
    return endsWithoutWriting(this.s.blocked, { cancelNow: this.s.cancelNow === true });
  }

  private async answerOf<T>(call: () => Promise<T | BlockedAnswer>): Promise<T | BlockedAnswer> {
    try {
      return await call();
    } catch (err) {
      const fault = this.failure(err);
      if (fault) return { blocked: fault };
      throw err;
    }
  }
}
