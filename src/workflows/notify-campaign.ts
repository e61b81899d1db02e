import { ActivityFailure, ApplicationFailure, log, proxyActivities } from '@temporalio/workflow';
import type { CampaignActivities } from '../activities';
import { NOTIFICATION_GIVEN_UP, type Notification } from '../campaign/notification';

export interface NotifyCampaignInput {
  ref: string;
  notification: Notification;
  retryForMs: number;
}

export interface NotifyCampaignResult {
  delivered: boolean;
  attempts: number;
  /** Why it was given up; never the URL. */
  problem?: string;
}

/**
 * One `--notify` event, sent apart from its campaign: the campaign starts this workflow
 * (abandoned when the campaign closes) and goes on at once, so a receiver that is down delays
 * nothing and the last event is still retried after the campaign has ended. Its workflow id is
 * the event's idempotency key: one execution per event, however often the start is repeated.
 * A given-up event ends Completed, logged: a receiver being down is no failure of ours.
 */
export async function notifyCampaign(input: NotifyCampaignInput): Promise<NotifyCampaignResult> {
  const { sendNotification } = proxyActivities<CampaignActivities>({
    startToCloseTimeout: '30 seconds',
    // The activity gives up by itself once retryForMs has passed; this is the backstop.
    scheduleToCloseTimeout: input.retryForMs + 60_000,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: [NOTIFICATION_GIVEN_UP],
    },
  });
  const n = input.notification;
  try {
    const sent = await sendNotification(input);
    log.info('notification delivered', {
      campaignId: n.campaignId,
      event: n.event,
      seq: n.seq,
      attempts: sent.attempts,
    });
    return { delivered: true, attempts: sent.attempts };
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    const details =
      cause instanceof ApplicationFailure
        ? (cause.details?.[0] as { attempts?: number; problem?: string })
        : undefined;
    const problem = details?.problem ?? cause?.message ?? String(err);
    log.warn('notification given up', {
      campaignId: n.campaignId,
      event: n.event,
      seq: n.seq,
      attempts: details?.attempts,
      problem,
    });
    return { delivered: false, attempts: details?.attempts ?? 0, problem };
  }
}
