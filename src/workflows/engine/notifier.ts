import { log, ParentClosePolicy, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import {
  buildNotification,
  notifyEventOf,
  type NotificationFacts,
  type NotifyEvent,
  type NotifyTarget,
} from '../../campaign/notification';
import {
  hasEnded,
  type CampaignResult,
  type CampaignState,
  type CampaignStatus,
} from '../../campaign/status';
import type { CampaignCarry } from '../campaign-state';
import { notifyCampaign } from '../notify-campaign';

/**
 * `--notify`: one webhook event per state change of the campaign (src/campaign/notification.ts
 * decides which), each sent by its own notifyCampaign workflow, started and abandoned: the
 * campaign waits for the start (a server round trip), never for the receiver. The event's number
 * and the state last seen go on in the carry, so a run continued as new neither repeats nor
 * skips one. See docs/design.md "Notifications".
 */
export class Notifier {
  private readonly starting: Promise<void>[] = [];

  constructor(
    private readonly campaignId: string,
    private readonly s: CampaignCarry,
    private readonly target: NotifyTarget,
    private readonly retryForMs: number,
    private readonly status: () => CampaignStatus,
  ) {}

  /** Each upsert's state: blocked and unblocked go out here; endings wait for the result (its report). */
  seen(state: CampaignState): void {
    if (hasEnded(state)) return;
    const event = this.advance(state);
    if (!event) return;
    const st = this.status();
    this.send(event, {
      state,
      at: st.updatedAt,
      total: st.total,
      counts: st,
      resetsSent: st.resetsSent,
      ...(event === 'blocked' && st.blockedBy ? { blockedBy: st.blockedBy } : {}),
    });
  }

  /** The campaign's ending, with its report, then every start awaited: none is lost with the run. */
  async ended(r: CampaignResult): Promise<void> {
    const event = this.advance(r.state);
    if (event) {
      this.send(event, {
        state: r.state,
        at: r.finishedAt,
        total: r.total,
        counts: r.counts,
        resetsSent: r.resetsSent,
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.reportLocation ? { report: r.reportLocation } : {}),
      });
    }
    await this.settle();
  }

  /** Before a continue-as-new: the events started in this run are started. */
  async settle(): Promise<void> {
    await Promise.all(this.starting.splice(0));
  }

  private advance(state: CampaignState): NotifyEvent | undefined {
    const before = this.s.notified;
    const event = notifyEventOf(before?.state, state);
    this.s.notified = { seq: (before?.seq ?? 0) + (event ? 1 : 0), state };
    return event;
  }

  private send(event: NotifyEvent, facts: Omit<NotificationFacts, 'event' | 'campaignId' | 'seq'>): void {
    const notification = buildNotification({
      ...facts,
      event,
      campaignId: this.campaignId,
      seq: this.s.notified!.seq,
    });
    const workflowId = `${this.campaignId}-notify-${notification.seq}-${event}`;
    this.s.cost.workflowRuns += 1;
    this.starting.push(
      startChild(notifyCampaign, {
        workflowId,
        args: [{ ref: this.target.ref, notification, retryForMs: this.retryForMs }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // The event's own id: started once, whatever repeats the start.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      }).then(
        () => undefined,
        (err: unknown) => {
          log.warn('notification not started', {
            campaignId: this.campaignId,
            event,
            workflowId,
            error: String(err),
          });
        },
      ),
    );
  }
}
