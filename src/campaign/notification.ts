import type { OutcomeCounts } from './outcome';
import { statusFromCounts, type CampaignState } from './status';

/** The state changes a `--notify` receiver is told of, one webhook each. */
export const NOTIFY_EVENTS = ['blocked', 'unblocked', 'completed', 'aborted', 'canceled', 'failed'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** The payload's version, in its `schema` field (docs/schemas/notification.schema.json). */
export const NOTIFICATION_SCHEMA = 'koophone-reset/notification/v1';
/** The notify activity gave up on an event: its workflow logs it and ends, never Failed. */
export const NOTIFICATION_GIVEN_UP = 'NotificationGivenUp';
/** The header that carries the payload's `idempotencyKey`: a receiver drops a key it has seen. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/**
 * Where a campaign's notifications go, as workflow inputs record it: never the URL, which may
 * carry a token (a Slack webhook's path, `?token=`). The URL stays in the shared report folder
 * (`notify/<ref>.url`, written by the CLI, read by the worker's activity); `to` is what may be
 * shown of it (scheme and host).
 */
export interface NotifyTarget {
  ref: string;
  to: string;
}

/**
 * The event a change of the campaign's state makes, if any: blocked on entering `blocked`,
 * unblocked on leaving it for a live state, and each ending once. Pure: the workflow decides
 * with it, the unit test proves it.
 */
export function notifyEventOf(
  before: CampaignState | undefined,
  after: CampaignState,
): NotifyEvent | undefined {
  if (before === after) return undefined;
  switch (after) {
    case 'blocked':
      return 'blocked';
    case 'completed':
    case 'aborted':
    case 'canceled':
    case 'failed':
      return after;
    case 'running':
    case 'paused':
    case 'canceling':
      return before === 'blocked' ? 'unblocked' : undefined;
    default:
      return undefined;
  }
}

export type NotificationCounts = ReturnType<typeof statusFromCounts>;

/** The payload POSTed to the receiver (docs/schemas/notification.schema.json). */
export interface Notification {
  schema: typeof NOTIFICATION_SCHEMA;
  event: NotifyEvent;
  campaignId: string;
  /** 1 for the campaign's first event, then one more per event: the receiver's order. */
  seq: number;
  idempotencyKey: string;
  state: CampaignState;
  at: string;
  total: number;
  counts: NotificationCounts;
  resetsSent: number;
  reason?: string;
  blockedBy?: string;
  report?: string;
  /** One line a chat (Slack, Teams, Mattermost) can post as is. */
  text: string;
}

export interface NotificationFacts {
  event: NotifyEvent;
  campaignId: string;
  seq: number;
  state: CampaignState;
  at: string;
  total: number;
  counts: OutcomeCounts | NotificationCounts;
  resetsSent: number;
  reason?: string;
  blockedBy?: string;
  report?: string;
}

/** One key per event of a campaign, the same however often it is sent. */
export function idempotencyKey(campaignId: string, seq: number, event: NotifyEvent): string {
  return `${campaignId}/${seq}/${event}`;
}

export function buildNotification(f: NotificationFacts): Notification {
  const n: Notification = {
    schema: NOTIFICATION_SCHEMA,
    event: f.event,
    campaignId: f.campaignId,
    seq: f.seq,
    idempotencyKey: idempotencyKey(f.campaignId, f.seq, f.event),
    state: f.state,
    at: f.at,
    total: f.total,
    counts: 'timed_out' in f.counts ? statusFromCounts(f.counts) : pickCounts(f.counts),
    resetsSent: f.resetsSent,
    ...(f.reason ? { reason: oneLine(f.reason) } : {}),
    ...(f.blockedBy ? { blockedBy: oneLine(f.blockedBy) } : {}),
    ...(f.report ? { report: f.report } : {}),
    text: '',
  };
  n.text = notificationText(n);
  return n;
}

/** The outcome counts of a status (which has more fields beside them). */
const pickCounts = (c: NotificationCounts): NotificationCounts => ({
  succeeded: c.succeeded,
  failed: c.failed,
  timedOut: c.timedOut,
  rejected: c.rejected,
  missingJob: c.missingJob,
  skipped: c.skipped,
  canceled: c.canceled,
});

const fmt = (n: number) => n.toLocaleString('en-US');
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

const HEADLINE: Record<NotifyEvent, string> = {
  completed: ':white_check_mark: completed',
  aborted: ':octagonal_sign: aborted',
  canceled: ':no_entry_sign: canceled',
  failed: ':x: failed',
  blocked: ':warning: blocked',
  unblocked: ':arrow_forward: unblocked',
};

/**
 * "koophone-reset campaign c-1 completed: 980 succeeded, 20 failed of 1,000 (1,020 resets sent);
 * report /r/c-1" — one line, the counts that are not 0, the reason or the cause.
 */
export function notificationText(n: Omit<Notification, 'text'>): string {
  const c = n.counts;
  const parts: [number, string][] = [
    [c.succeeded, 'succeeded'],
    [c.failed, 'failed'],
    [c.timedOut, 'timed out'],
    [c.rejected, 'rejected'],
    [c.missingJob, 'missing job'],
    [c.skipped, 'skipped'],
    [c.canceled, 'canceled'],
  ];
  const counted = parts.filter(([v]) => v > 0).map(([v, what]) => `${fmt(v)} ${what}`);
  const counts = `${counted.length > 0 ? counted.join(', ') : 'none finished'} of ${fmt(n.total)} (${fmt(n.resetsSent)} resets sent)`;
  const why = n.event === 'blocked' ? n.blockedBy : n.event === 'unblocked' ? undefined : n.reason;
  return [
    `koophone-reset campaign ${n.campaignId} ${HEADLINE[n.event]}: ${counts}`,
    ...(why ? [why] : []),
    ...(n.report ? [`report ${n.report}`] : []),
  ]
    .join('; ')
    .slice(0, 3000);
}
