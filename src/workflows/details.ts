import type { CampaignStatus } from '../campaign/status';

const fmt = (n: number) => n.toLocaleString('en-US');

/** "~1h41m", from a smoothed pace (src/campaign/eta.ts): never the swing of the last seconds. */
function eta(status: CampaignStatus, remainingMs: number | undefined): string {
  if (status.pending + status.inFlight === 0) return 'done';
  if (remainingMs === undefined) return 'estimating…';
  const seconds = Math.round(remainingMs / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h > 0 ? `~${h}h${m}m` : m > 0 ? `~${m}m${seconds % 60}s` : `~${seconds}s`;
}

/**
 * The campaign's live details for the Temporal UI (workflow "current details"), in Markdown.
 * Built only from the status object, so it can never carry a secret.
 */
export function campaignDetails(status: CampaignStatus, remainingMs: number | undefined): string {
  const rows: [string, string][] = [
    ['succeeded', fmt(status.succeeded)],
    ['failed', fmt(status.failed)],
    ['timed out', fmt(status.timedOut)],
    ['rejected', fmt(status.rejected)],
    ['missing job', fmt(status.missingJob)],
    ['skipped', fmt(status.skipped)],
    ['canceled', fmt(status.canceled)],
    ['in flight', fmt(status.inFlight)],
    ['pending', fmt(status.pending)],
  ];
  const lines = [
    `### Campaign ${status.campaignId}: **${status.state}**${status.reason ? ` — ${status.reason}` : ''}`,
    '',
    ...(status.blockedBy ? [`> **Blocked:** ${status.blockedBy}`, ''] : []),
    `**${fmt(status.total - status.pending - status.inFlight)} / ${fmt(status.total)}** instances finished · ETA ${eta(status, remainingMs)}`,
    '',
    '| outcome | instances |',
    '|---|--:|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    `- rate: ${status.currentRate}/s (configured ${status.configuredRate}), ${status.currentConcurrency} batches in flight max`,
    `- error budget: ${fmt(status.errorBudget.used)} errors used of ${status.errorBudget.limit}; canary ${status.canary}`,
    `- batch-reset calls: ${fmt(status.batchResetCalls)}, task polls: ${fmt(status.taskPolls)}, resets sent: ${fmt(status.resetsSent)}${status.slotsMissed ? `, slots missed: ${fmt(status.slotsMissed)}` : ''}`,
    `- Temporal actions so far: ${fmt(status.cost.temporalActions)} (run ${status.run})`,
  ];
  if (status.nextWindow !== undefined || !status.windowOpen) {
    lines.push(
      `- maintenance window: ${status.windowOpen ? 'open' : 'closed'}${status.nextWindow ? `, next opens ${status.nextWindow}` : ''}`,
    );
  }
  if (status.awaitingRetry > 0) lines.push(`- awaiting retry: ${fmt(status.awaitingRetry)} instances`);
  for (const t of status.troubles ?? []) lines.push(`- error: ${t.hint} (last ${t.lastAt.slice(11, 19)} UTC)`);
  for (const a of status.anomalies ?? []) lines.push(`- odd answer: ${a.text}`);
  lines.push('', `_updated ${status.updatedAt}_`);
  return lines.join('\n');
}
