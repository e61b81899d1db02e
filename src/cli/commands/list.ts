import type { Command } from 'commander';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import {
  CampaignErrors,
  CampaignFinished,
  CampaignState,
  CampaignTotal,
} from '../../temporal/search-attributes';
import { CAMPAIGN_WORKFLOW } from '../../campaign/campaign-workflow';
import { note, out, printJson, type CliContext } from '../context';
import type { CampaignStatus } from '../../campaign/status';
import { statusQuery } from '../../workflows/definitions';
import { CAMPAIGN_STATES } from '../../campaign/status';
import { usageError } from '../exit-codes';
import { durationFlag, integerFlag } from '../flags';
import { alignedTable } from '../table';
import { withTemporal } from '../temporal';

// Set by Temporal on every workflow a schedule starts: the schedule's id.
const ScheduledById = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);

export interface CampaignListItem {
  campaignId: string;
  state: string;
  total: number;
  finished: number;
  errors: number;
  startedAt: string;
  closedAt?: string;
  /** The schedule that started it, if any. */
  scheduledBy?: string;
  runs: number;
  /**
   * Where the counts come from: `live` (the running campaign's status query, this moment) or
   * `visibility` (its search attributes, refreshed every few thousand phones and on each change
   * of state: a running campaign's counts there may lag).
   */
  counts: 'live' | 'visibility';
  /** What the running campaign waits on, as its status says: the blocking cause, or its latest error and fix. */
  waitingOn?: string;
}

/** Running campaigns whose status `list` asks for; more are shown from visibility. */
export const LIVE_LIST_LIMIT = 20;
/** A worker answers a status query in milliseconds; one that does not leaves visibility's counts. */
const LIVE_QUERY_TIMEOUT_MS = 3000;

/**
 * Reads the live status of running campaigns (at most LIVE_LIST_LIMIT, at the same time): one
 * status query each, which Temporal Cloud bills as one action.
 */
async function withLiveCounts(client: Client, items: CampaignListItem[]): Promise<CampaignListItem[]> {
  const running = items.filter((i) => i.closedAt === undefined).slice(0, LIVE_LIST_LIMIT);
  const live = new Map<string, CampaignStatus>();
  await Promise.all(
    running.map(async (i) => {
      try {
        const status = await client.withDeadline(Date.now() + LIVE_QUERY_TIMEOUT_MS, () =>
          client.workflow.getHandle(i.campaignId).query(statusQuery),
        );
        live.set(i.campaignId, status);
      } catch {
        // No worker answered: visibility's counts stay, marked as such.
      }
    }),
  );
  return items.map((i) => {
    const s = live.get(i.campaignId);
    if (!s) return i;
    return {
      ...i,
      state: s.state,
      total: s.total,
      finished: s.succeeded + s.failed + s.timedOut + s.rejected + s.missingJob + s.skipped + s.canceled,
      errors: s.failed + s.timedOut + s.rejected,
      counts: 'live' as const,
      ...(waitingOn(s) ? { waitingOn: waitingOn(s) } : {}),
    };
  });
}

function waitingOn(s: CampaignStatus): string | undefined {
  if (s.blockedBy) return s.blockedBy;
  const latest = [...(s.troubles ?? [])].sort((a, b) => b.lastAt.localeCompare(a.lastAt))[0];
  return latest?.hint;
}

function stateOf(info: WorkflowExecutionInfo): string {
  const recorded = info.typedSearchAttributes.get(CampaignState);
  switch (info.status.name) {
    case 'RUNNING':
    case 'COMPLETED':
      return recorded ?? (info.status.name === 'RUNNING' ? 'running' : 'completed');
    case 'TERMINATED':
      return 'terminated';
    case 'CANCELLED':
    case 'FAILED':
      // Campaigns that did not complete end their execution Failed or Canceled and record how
      // they ended (src/campaign/ending.ts): aborted, canceled or failed.
      return recorded === 'aborted' || recorded === 'canceled' || recorded === 'failed'
        ? recorded
        : info.status.name === 'CANCELLED'
          ? 'canceled'
          : 'failed';
    default:
      return 'failed';
  }
}

/** One line per campaign: runs chained by continue-as-new share the workflow id. */
function toItems(executions: WorkflowExecutionInfo[]): CampaignListItem[] {
  const byId = new Map<string, WorkflowExecutionInfo[]>();
  for (const e of executions) byId.set(e.workflowId, [...(byId.get(e.workflowId) ?? []), e]);
  const items = [...byId.values()].map((runs) => {
    runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    const first = runs[0]!;
    const latest = runs[runs.length - 1]!;
    const sa = latest.typedSearchAttributes;
    const scheduledBy = first.typedSearchAttributes.get(ScheduledById);
    return {
      campaignId: latest.workflowId,
      state: stateOf(latest),
      total: sa.get(CampaignTotal) ?? 0,
      finished: sa.get(CampaignFinished) ?? 0,
      errors: sa.get(CampaignErrors) ?? 0,
      startedAt: first.startTime.toISOString(),
      ...(latest.closeTime && latest.status.name !== 'RUNNING'
        ? { closedAt: latest.closeTime.toISOString() }
        : {}),
      ...(scheduledBy ? { scheduledBy } : {}),
      runs: runs.length,
      counts: 'visibility' as const,
    };
  });
  return items.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

function table(items: CampaignListItem[]): string[] {
  return alignedTable(
    ['CAMPAIGN', 'STATE', 'FINISHED', 'ERRORS', 'STARTED', 'SCHEDULE'],
    items.map((i) => [
      i.campaignId,
      i.state,
      // "≥": a running campaign's count from visibility, which only ever lags behind.
      `${i.closedAt === undefined && i.counts === 'visibility' ? '≥' : ''}${i.finished}/${i.total}`,
      String(i.errors),
      i.startedAt.replace('T', ' ').slice(0, 19),
      i.scheduledBy ? `scheduled: ${i.scheduledBy}` : '-',
    ]),
  );
}

/** The states `list --state` takes: the campaign's own (`terminated` among them). */
const LIST_STATES = CAMPAIGN_STATES;

function parseStates(raw: string | undefined): Set<string> | undefined {
  if (raw === undefined) return undefined;
  const words = raw
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean);
  const wrong = words.filter((w) => !(LIST_STATES as readonly string[]).includes(w));
  if (words.length === 0 || wrong.length)
    throw usageError(
      `--state: ${wrong.length ? `unknown state "${wrong.join(', ')}"` : 'no state given'}; use a comma-separated list of ${LIST_STATES.join(', ')}`,
    );
  return new Set(words);
}

export function registerList(program: Command, ctx: CliContext): void {
  program
    .command('list')
    .description('campaigns, newest first, with their state and counts (scheduled ones marked)')
    .option('--limit <n>', 'at most this many campaigns', '50')
    .option('--state <states>', `only campaigns in these states, comma-separated (${LIST_STATES.join(', ')})`)
    .option('--since <dur>', 'only campaigns started within this long (e.g. 2h, 7d)')
    .option(
      '--no-live',
      `counts of running campaigns from visibility only (by default up to ${LIVE_LIST_LIMIT} are asked for their live status: one query, one Temporal Cloud action, each)`,
    )
    .option('--json', 'print a JSON array')
    .action(
      async (flags: { limit: string; state?: string; since?: string; json?: boolean; live: boolean }) => {
        const limit = integerFlag('--limit', flags.limit, { min: 1, max: 10_000 });
        const states = parseStates(flags.state);
        const since =
          flags.since !== undefined
            ? new Date(Date.now() - durationFlag('--since', flags.since, { min: 1000 }))
            : undefined;
        await withTemporal(ctx.env, async ({ client }) => {
          const executions: WorkflowExecutionInfo[] = [];
          // Campaign workflows only: connectivity checks and other internal workflows stay out.
          // Visibility lists runs, not campaigns; read a bounded window and fold runs together.
          const query = [
            `WorkflowType = '${CAMPAIGN_WORKFLOW}'`,
            since ? `StartTime > '${since.toISOString()}'` : '',
          ]
            .filter(Boolean)
            .join(' AND ');
          for await (const e of client.workflow.list({ query, pageSize: 200 })) {
            if (states && !states.has(stateOf(e))) continue;
            executions.push(e);
            if (executions.length >= limit * 4 + 200) break;
          }
          const listed = toItems(executions).slice(0, limit);
          const items = flags.live ? await withLiveCounts(client, listed) : listed;
          if (flags.json) printJson(ctx, items);
          else if (items.length === 0) out(ctx, 'no campaigns');
          else {
            table(items).forEach((l) => out(ctx, l));
            // Under the table, not in it: a cause and its fix do not fit a column.
            for (const i of items) if (i.waitingOn) out(ctx, `${i.campaignId}: ${i.state === 'blocked' ? 'BLOCKED' : 'TROUBLE'}  ${i.waitingOn}`);
            const lagging = items.filter((i) => i.closedAt === undefined && i.counts === 'visibility').length;
            if (lagging > 0)
              note(
                ctx,
                `≥: ${lagging} running campaign${lagging === 1 ? '' : 's'} counted from visibility, which lags by up to ` +
                  `5,000 phones (${flags.live ? 'no worker answered its status query, or more than ' + LIVE_LIST_LIMIT + ' run' : '--no-live'}); ` +
                  '`koophone-reset status ID` has the live count',
              );
          }
        });
      },
    );
}
