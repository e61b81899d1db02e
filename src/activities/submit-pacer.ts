import { Context } from '@temporalio/activity';

/**
 * The workflow gives every batch-reset call a slot spaced by the campaign rate, so calls stay
 * under the rate across all workers. A call whose slot is still ahead simply waits for it: the
 * slots are already spaced, whatever order this worker picked the activities up in. Only calls
 * whose slot has passed (a worker that fell behind, a restart) are spaced here, from the last
 * call this process sent or promised, so a backlog cannot burst.
 */
export class SubmitPacer {
  private readonly last = new Map<string, number>();

  /**
   * `scheduledAt` is when the server scheduled this attempt, on the same clock as `slotAt` (the
   * workflow's). The slot is never waited for longer than the lead the workflow gave it
   * (`slotAt - scheduledAt`, a few seconds): a worker whose clock runs behind the server's, or a
   * server that skips time, must not hold a call for the difference.
   */
  async wait(
    campaignId: string,
    slotAt: number,
    minIntervalMs: number,
    scheduledAt = -Infinity,
  ): Promise<void> {
    const now = Date.now();
    const lead = Math.max(0, slotAt - scheduledAt);
    const due = Math.min(slotAt, now + lead);
    const last = this.last.get(campaignId) ?? -Infinity;
    const at = due > now ? due : Math.max(now, last + minIntervalMs);
    this.last.set(campaignId, Math.max(last, at));
    if (at > now) await Context.current().sleep(at - now);
  }
}
