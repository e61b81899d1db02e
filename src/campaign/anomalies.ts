// Pure (no imports), so workflow code, lanes and the CLI share it.

/**
 * Answers that break the API's promise of one cmd_job per asked instance without failing the call
 * (koophone-api.md, "Batch reset"). They are data: what cannot be used is dropped or collapsed
 * before it is journaled, counted here, and shown in `status` and the report; none fails a campaign.
 * An item journal that could not be used (`journal_unreadable`, resetItem's quarantine) is shown
 * the same way: it costs its item, never the campaign.
 */
export const ANOMALY_KINDS = ['foreign_job', 'duplicate_job', 'journal_unreadable'] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** How many of one kind a campaign met, with the first example. One entry per kind: bounded. */
export interface Anomaly {
  kind: AnomalyKind;
  count: number;
  /** An instance id, printable and cut to MAX_EXAMPLE characters. */
  example: string;
}

export interface CmdJob {
  instanceId: string;
  jobId: string;
}

const MAX_EXAMPLE = 48;

/** Counts one more anomaly into `list` (one entry per kind, the first example kept). */
export function noteAnomaly(list: Anomaly[], kind: AnomalyKind, example: string, count = 1): void {
  const a = list.find((x) => x.kind === kind);
  if (a) a.count += count;
  else list.push({ kind, count, example: printable(example) });
}

/** `into` with `more` added; neither is changed. */
export function mergeAnomalies(
  into: readonly Anomaly[] | undefined,
  more: readonly Anomaly[] | undefined,
): Anomaly[] {
  const merged = (into ?? []).map((a) => ({ ...a }));
  for (const a of more ?? []) noteAnomaly(merged, a.kind, a.example, a.count);
  return merged;
}

/**
 * The cmd_jobs of an accepted call that the campaign can follow. A job for an id that was not
 * asked is dropped: it names no phone of this call (another fleet's, a mangled id), so it gets
 * no line and no task query, and its id never reaches the journal. A second cmd_job for an asked
 * id is collapsed into that phone's one line: the very same job once; a different job is kept and
 * tracked beside the first, because both may reset the phone and the phone is only reset well if
 * every one of its jobs succeeded (resetItem writes the worst of them, and counts each).
 */
export function screenCmdJobs(
  asked: readonly string[],
  jobs: readonly CmdJob[],
): { jobs: CmdJob[]; anomalies: Anomaly[] } {
  const wanted = new Set(asked);
  const jobsOf = new Map<string, Set<string>>();
  const kept: CmdJob[] = [];
  const anomalies: Anomaly[] = [];
  for (const job of jobs) {
    if (!wanted.has(job.instanceId)) {
      noteAnomaly(anomalies, 'foreign_job', job.instanceId);
      continue;
    }
    const known = jobsOf.get(job.instanceId);
    if (!known) {
      jobsOf.set(job.instanceId, new Set([job.jobId]));
      kept.push(job);
      continue;
    }
    noteAnomaly(anomalies, 'duplicate_job', job.instanceId);
    if (known.has(job.jobId)) continue;
    known.add(job.jobId);
    kept.push(job);
  }
  return { jobs: kept, anomalies };
}

/** "2 cmd_jobs for ids not asked (e.g. xyz…) dropped", for status and the report. */
export function describeAnomaly(a: Anomaly): string {
  const s = a.count === 1 ? '' : 's';
  switch (a.kind) {
    case 'foreign_job':
      return `${a.count} cmd_job${s} for ids not asked (e.g. ${a.example}) dropped`;
    case 'duplicate_job':
      return `${a.count} duplicate cmd_job${s} for an asked id (e.g. ${a.example}) collapsed into one line per phone`;
    case 'journal_unreadable':
      return (
        `${a.count} item journal${s} could not be read (e.g. item ${a.example}): their phones were written ` +
        'failed JOURNAL_UNREADABLE with a possible reset, and not sent again'
      );
  }
}

/** Upstream text: visible ASCII only, bounded. */
function printable(text: string): string {
  const clean = text.replace(/[^\x21-\x7e]/g, '?');
  return clean.length > MAX_EXAMPLE ? `${clean.slice(0, MAX_EXAMPLE)}…` : clean;
}
