import { formatDuration } from '../campaign/duration';
import { finishedOf, type CampaignView } from './campaign-status';
import { nextStep } from './next-step';
import { averageRemainingMs } from './progress-eta';

/** A running campaign's ETA from one look: its average pace since it started. */
function etaLine(s: CampaignView, now: number): string | undefined {
  if (s.state !== 'running') return undefined;
  const left = averageRemainingMs(s, now);
  if (left === undefined) return '  eta          estimating (no instance has finished yet)';
  const closed = s.windowOpen === false ? '; sending waits while the window is closed' : '';
  return `  eta          ~${formatDuration(left)} at its average pace since the start${closed}`;
}

/** The closing lines of watch, start --wait and demo. */
export function formatSummary(
  s: CampaignView,
  extra: { reportPath?: string; uiUrl?: string } = {},
): string[] {
  const took = Date.parse(s.updatedAt) - Date.parse(s.startedAt);
  const lines = [
    `Campaign ${s.campaignId} ${s.state}${Number.isFinite(took) && took >= 0 ? ` in ${formatDuration(took)}` : ''}` +
      (s.reason ? `: ${s.reason}` : ''),
    `  instances    ${s.total} (${finishedOf(s)} finished)`,
    `  outcomes     succeeded ${s.succeeded}, failed ${s.failed}, timed_out ${s.timedOut}, rejected ${s.rejected}, ` +
      `missing_job ${s.missingJob}, skipped ${s.skipped}, canceled ${s.canceled}`,
    `  resets sent  ${s.resetsSent}${s.batchResetCalls !== undefined ? ` in ${s.batchResetCalls} batch-reset calls` : ''}`,
  ];
  for (const a of s.anomalies ?? []) lines.push(`  odd answer   ${a.text}`);
  const report = extra.reportPath ?? s.reportLocation;
  if (report) lines.push(`  report       ${report}`);
  if (extra.uiUrl) lines.push(`  Temporal UI  ${extra.uiUrl}`);
  nextStep(s).forEach((step, i) => lines.push(`  ${i === 0 ? 'next' : '    '}         ${step}`));
  return lines;
}

/** What watch and start --wait print when they stop following: the summary, or why it is blocked. */
export function formatEnd(s: CampaignView): string[] {
  if (s.state !== 'blocked') return formatSummary(s);
  return [
    ...formatStatus(s),
    `The campaign goes on and resumes by itself once the cause above is fixed (nothing new is sent meanwhile); follow it with: koophone-reset watch ${s.campaignId} --through-blocked`,
  ];
}

/** The status command's human form: the summary plus what only a running campaign has. */
export function formatStatus(s: CampaignView, now = Date.now()): string[] {
  const lines = formatSummary(s);
  lines[0] = `Campaign ${s.campaignId}: ${s.state}${s.reason ? ` (${s.reason})` : ''}`;
  lines.splice(
    2,
    0,
    `  in progress  ${s.inFlight} in flight, ${s.pending} pending${s.awaitingRetry ? `, ${s.awaitingRetry} awaiting retry` : ''}`,
  );
  const eta = etaLine(s, now);
  if (eta) lines.splice(3, 0, eta);
  if (s.blockedBy) lines.splice(1, 0, `  BLOCKED      ${s.blockedBy}`);
  for (const t of s.troubles ?? []) {
    if (t.hint !== s.blockedBy) lines.push(`  error        ${t.hint} (last ${t.lastAt.slice(11, 19)} UTC)`);
  }
  if (s.configuredRate !== undefined)
    lines.push(`  rate         ${s.currentRate ?? 0}/${s.configuredRate} calls/s`);
  if (s.currentConcurrency !== undefined) lines.push(`  in flight    up to ${s.currentConcurrency} batches`);
  if (s.poolBudget) lines.push(`  pools        at most ${s.poolBudget}`);
  if (s.windowOpen === false) lines.push(`  window       closed; next opens ${s.nextWindow ?? '?'}`);
  if (s.canary !== undefined) lines.push(`  canary       ${s.canary}`);
  if (s.errorBudget?.limit) lines.push(`  error budget ${s.errorBudget.used} used of ${s.errorBudget.limit}`);
  if (s.cost)
    lines.push(`  cost         ${s.cost.temporalActions} Temporal actions, ${s.cost.apiCalls} API calls`);
  lines.push(`  started      ${s.startedAt}`, `  updated      ${s.updatedAt}`);
  return lines;
}
