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

  async wait(campaignId: string, slotAt: number, minIntervalMs: number): Promise<void> {
    const now = Date.now();
    const last = this.last.get(campaignId) ?? -Infinity;
    const at = slotAt > now ? slotAt : Math.max(now, last + minIntervalMs);
    this.last.set(campaignId, Math.max(last, at));
    if (at > now) await Context.current().sleep(at - now);
  }
}
