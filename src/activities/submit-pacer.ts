import { Context } from '@temporalio/activity';

/**
 * The workflow gives every batch-reset call a slot spaced by the campaign rate, so calls stay
 * under the rate across all workers. A worker that falls behind (restart, backlog) would fire
 * its overdue slots at once; this per-process pacer keeps even those spaced.
 */
export class SubmitPacer {
  private readonly next = new Map<string, number>();

  async wait(campaignId: string, slotAt: number, minIntervalMs: number): Promise<void> {
    const now = Date.now();
    const at = Math.max(slotAt, this.next.get(campaignId) ?? 0, now);
    this.next.set(campaignId, at + minIntervalMs);
    if (at > now) await Context.current().sleep(at - now);
  }
}
