import { Context } from '@temporalio/activity';

/** The call would go this long after its slot: too late to keep the campaign under its rate. */
export interface MissedSlot {
  lateMs: number;
}

/**
 * The workflow gives every batch-reset call a slot spaced by the campaign rate, so calls stay
 * under the rate across all workers. A call whose slot is still ahead simply waits for it: the
 * slots are already spaced, whatever order this worker picked the activities up in.
 *
 * A call whose slot has passed (a worker that fell behind, a restart, a loaded machine) cannot be
 * spaced here: this process does not know the slots other workers hold, nor those the workflow
 * hands out next, so a late call would land among them. Past `toleranceMs` it is not sent; the
 * caller hands it back for a fresh slot. Within the tolerance, late calls are spaced from the
 * last call this process sent or promised, so a backlog in one process cannot burst.
 */
export class SubmitPacer {
  private readonly last = new Map<string, number>();

  /**
   * `scheduledAt` is when the server scheduled this attempt, on the same clock as `slotAt` (the
   * workflow's). The slot is never waited for longer than the lead the workflow gave it
   * (`slotAt - scheduledAt`, a few seconds): a worker whose clock runs behind the server's, or a
   * server that skips time, must not hold a call for the difference.
   *
   * Resolves once the call may go, or with the missed slot: the call must not go then.
   */
  async wait(
    campaignId: string,
    slotAt: number,
    minIntervalMs: number,
    scheduledAt = -Infinity,
    toleranceMs = Infinity,
  ): Promise<MissedSlot | undefined> {
    const now = Date.now();
    const lead = Math.max(0, slotAt - scheduledAt);
    const due = Math.min(slotAt, now + lead);
    const last = this.last.get(campaignId) ?? -Infinity;
    const at = due > now ? due : Math.max(now, last + minIntervalMs);
    if (at - due > toleranceMs) return { lateMs: at - due };
    this.last.set(campaignId, Math.max(last, at));
    if (at > now) await Context.current().sleep(at - now);
    // A process stalled while it waited (CPU starved, a long GC, SIGSTOP) wakes every waiting
    // call at once: the slot is as missed as if the call had arrived late.
    const woke = Date.now();
    if (woke - at > toleranceMs) return { lateMs: woke - due };
    return undefined;
  }
}
