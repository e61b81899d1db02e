import { log, proxyActivities } from '@temporalio/workflow';
import type { CampaignActivities } from '../../activities';
import { isBlockedAnswer, noteBlocked, noteProbeFailed, probeDelayMs, SPOOL_TAMPERED } from '../../campaign/blocking';
import { addHold, holdMessage, releaseHold, type SpoolHold } from '../../campaign/spool-hold';
import type { CampaignCarry } from '../campaign-state';
import type { CampaignControl } from './campaign-control';

// Holding spool slices (and probing them) is new workflow commands.
const SPOOL_HOLD_PATCH = 'spool-held';

/**
 * Work held because its slice of the spool no longer reads as prepare wrote it, run against
 * Temporal: the hold and its cause in the campaign's state (status shows it `blocked`, naming the
 * batches and records), a probe of the held slices after the own-parts backoff (2 s doubling to
 * 30 s) between terms, and what a probe finds true again back to the campaign. Unlike an own part
 * that blocks the whole campaign, the rest goes on: every slice is proved before it is sent. The
 * campaign cannot complete while anything is held; a cancel gives the held work its canceled lines
 * (only for records that still read true). See docs/design.md, "The spool is verified".
 */
export class SpoolHolds {
  private readonly acts = proxyActivities<CampaignActivities>({
    // Proving a held slice reads it and its seal: seconds, a whole million-phone spool included.
    startToCloseTimeout: '5 minutes',
    retry: { maximumAttempts: 1 },
  });

  constructor(
    private readonly s: CampaignCarry,
    private readonly control: CampaignControl,
    /** The spool records of a range of batch numbers. */
    private readonly recordsOf: (batches: { from: number; to: number }) => { start: number; end: number },
  ) {}

  /** A lane found slices that do not read true: they are held, the campaign shows why. */
  hold(more: SpoolHold): void {
    this.control.patch(SPOOL_HOLD_PATCH);
    const was = this.s.held;
    const hold = addHold(was?.hold, more);
    const cause = noteBlocked(was?.cause, { part: 'spool', code: SPOOL_TAMPERED, message: holdMessage(hold) }, Date.now());
    this.s.held = { hold, cause: { ...cause, message: holdMessage(hold).slice(0, MAX_MESSAGE) } };
    log.warn('spool slices held: they do not read as prepare wrote them', {
      campaignId: this.control.campaignId,
      cause: this.s.held.cause.message,
    });
    this.control.noteHealth();
    this.control.touch();
  }

  /** When the held slices are next proved (workflow time), or undefined when nothing is held. */
  dueAt(): number | undefined {
    const cause = this.s.held?.cause;
    return cause ? cause.lastAt + probeDelayMs(cause.probes) : undefined;
  }

  due(now: number): boolean {
    const at = this.dueAt();
    return at !== undefined && at <= now;
  }

  /** Proves the held slices again: those that read true go back to the campaign (spare batches, pending). */
  async probe(): Promise<void> {
    const held = this.s.held!;
    const ranges = [...held.hold.batches.map((b) => this.recordsOf(b)), ...held.hold.items.map((i) => i.range!)];
    this.s.cost.activities++;
    const answer = await this.acts
      .probeSpool({
        campaignId: this.control.campaignId,
        ...(this.s.prepared?.seal ? { seal: this.s.prepared.seal } : {}),
        ranges,
      })
      .catch((err: unknown) => {
        log.warn('spool probe failed', { campaignId: this.control.campaignId, error: String(err) });
        return undefined;
      });
    const now = Date.now();
    if (!answer || isBlockedAnswer(answer)) {
      this.s.held = { ...held, cause: noteProbeFailed(held.cause, undefined, now) };
      this.control.touch();
      return;
    }
    const { back, hold } = releaseHold(held.hold, new Set(answer.released), answer);
    this.giveBack(back);
    if (hold) {
      const cause = noteProbeFailed(held.cause, undefined, now);
      this.s.held = { hold, cause: { ...cause, message: holdMessage(hold).slice(0, MAX_MESSAGE) } };
    } else {
      delete this.s.held;
      log.info('spool slices read true again: the held batches resume', {
        campaignId: this.control.campaignId,
        heldMs: now - held.cause.since,
      });
    }
    this.control.noteHealth();
    this.control.touch();
  }

  /** The campaign stops: everything held goes back, to be written canceled with the rest. */
  releaseAll(): void {
    const held = this.s.held;
    if (!held) return;
    this.giveBack(held.hold);
    delete this.s.held;
  }

  private giveBack(back: Pick<SpoolHold, 'batches' | 'items'>): void {
    if (back.batches.length > 0) (this.s.spareBatches ??= []).unshift(...back.batches);
    const now = Date.now();
    this.s.pending.push(...back.items.map((i) => ({ ...i, notBefore: Math.min(i.notBefore, now) })));
  }
}

// As the own parts' causes: carried across continue-as-new and shown in status and the UI.
const MAX_MESSAGE = 300;
