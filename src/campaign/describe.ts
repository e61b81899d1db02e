import { formatDuration } from './duration';
import type { CampaignOptions, ErrorBudget, IdSource } from './options';

const budget = (b: ErrorBudget) => (b.kind === 'count' ? String(b.value) : `${b.value}%`);

function describeSource(source: IdSource, instances?: number): string {
  const n = instances === undefined ? '' : `${instances.toLocaleString('en-US')} `;
  switch (source.kind) {
    case 'inline':
      return `${n || `${source.ids.length.toLocaleString('en-US')} `}listed instances`;
    case 'file':
      return `${n}instances from ${source.path}`;
    case 'fleet': {
      const filters = [
        source.namePrefix && `name ${source.namePrefix}*`,
        source.poolTag && `pool tag ${source.poolTag}`,
        source.poolName && `pool ${source.poolName}`,
      ].filter(Boolean);
      return `${n}instances of the fleet${filters.length > 0 ? ` (${filters.join(', ')})` : ''}`;
    }
  }
}

/** The one-line summary the Temporal UI shows for a campaign: what, from where, how. */
export function campaignSummaryLine(options: CampaignOptions, source: IdSource, instances?: number): string {
  const rate = options.rate === 'auto' ? `auto rate ≤ ${options.rateMax}/s` : `${options.rate} calls/s`;
  return (
    `Reset ${describeSource(source, instances)} · ${options.batchSize}/batch · ${rate} · ` +
    `${options.concurrency} in flight · max errors ${budget(options.maxErrors)} · canary ${options.canary}`
  );
}

/** The campaign's options as Markdown, for the UI's static details. Holds no secret by construction. */
export function campaignStaticDetails(options: CampaignOptions, source: IdSource): string {
  const rows: [string, string][] = [
    ['source', describeSource(source)],
    ['batch size', String(options.batchSize)],
    [
      'concurrency',
      options.rampStart
        ? `${options.rampStart} → ${options.concurrency} (×${options.rampFactor} per ${options.rampAfter} ok)`
        : String(options.concurrency),
    ],
    ['rate', options.rate === 'auto' ? `auto, at most ${options.rateMax}/s` : `${options.rate}/s`],
    ['max errors', budget(options.maxErrors)],
    ['canary batches', String(options.canary)],
    ['re-resets of failed jobs', `${options.retryFailed}, after ${formatDuration(options.retryDelayMs)}`],
    ['job timeout', formatDuration(options.jobTimeoutMs)],
  ];
  for (const [kind, rule] of Object.entries(options.abortOn ?? {}))
    if (rule) rows.push([`abort on ${kind}`, budget(rule)]);
  for (const w of options.windows ?? [])
    rows.push(['maintenance window', `${w.cron} for ${formatDuration(w.durationMs)} (${w.timezone})`]);
  // The host only: the URL may carry a token and is never in the options (src/campaign/notification.ts).
  if (options.notify)
    rows.push(['notify', `${options.notify.to}, retried for ${formatDuration(options.notifyRetryForMs)}`]);
  return ['| option | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}
