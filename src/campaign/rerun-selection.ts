import { normalizeCode } from '../koophone/codes';
import { KOOPHONE_CODES } from '../koophone/codes';
import { BUSY_CODES, PREFLIGHT_CODES } from './fleet-facts';
import type { Outcome, ReportLine } from './outcome';

/**
 * Which phones of a finished campaign `rerun` takes. By default every phone that was not reset
 * successfully and can still be: failed, timed_out, missing_job, canceled, rejected for a reason
 * that may pass (busy, throttled, an unknown code), and skipped because it was in use, backing up
 * or restoring. Phones refused for good — frozen, not in the tenant's fleet, no permission — and
 * phones another campaign held are left out and listed, unless `--outcome` names their outcome.
 */

/** Refusals no rerun can change: the phone is frozen, not the tenant's, or not ours to reset. */
const REFUSED_FOR_GOOD: ReadonlySet<string> = new Set(
  [
    PREFLIGHT_CODES.notInFleet,
    KOOPHONE_CODES.frozen,
    KOOPHONE_CODES.notInTenant,
    KOOPHONE_CODES.noPermission,
    'FROZEN',
  ].map(normalizeCode),
);

export const DEFAULT_RERUN_OUTCOMES: readonly Outcome[] = [
  'failed',
  'timed_out',
  'missing_job',
  'canceled',
  'rejected',
  'skipped',
];

/** Why the default rerun leaves a line out, or undefined when it takes it (or it succeeded). */
export function leftOutBecause(line: Pick<ReportLine, 'outcome' | 'error_code'>): string | undefined {
  const code = normalizeCode(line.error_code);
  if (line.outcome === 'rejected' && REFUSED_FOR_GOOD.has(code)) return `refused for good (${line.error_code})`;
  if (line.outcome === 'skipped' && !BUSY_CODES.includes(code)) return `skipped (${line.error_code || 'duplicate'})`;
  return undefined;
}

/** Whether `rerun` takes the line: by default (`outcomes` undefined), or because its outcome is named. */
export function rerunTakes(line: Pick<ReportLine, 'outcome' | 'error_code'>, outcomes?: ReadonlySet<Outcome>): boolean {
  if (outcomes) return outcomes.has(line.outcome);
  return line.outcome !== 'succeeded' && leftOutBecause(line) === undefined;
}

/** What a default rerun left out, by reason, with a few ids each: the operator is told. */
export class LeftOut {
  readonly byReason = new Map<string, { count: number; examples: string[] }>();

  add(line: Pick<ReportLine, 'instance_id' | 'outcome' | 'error_code'>): void {
    const why = leftOutBecause(line);
    if (!why) return;
    const entry = this.byReason.get(why) ?? { count: 0, examples: [] };
    entry.count += 1;
    if (entry.examples.length < 5) entry.examples.push(line.instance_id);
    this.byReason.set(why, entry);
  }

  get count(): number {
    let n = 0;
    for (const e of this.byReason.values()) n += e.count;
    return n;
  }

  /** One line per reason: "17 refused for good (KOOPHONE.API.2004), e.g. a, b, c". */
  lines(): string[] {
    return [...this.byReason].map(
      ([why, e]) => `${e.count} ${why}, e.g. ${e.examples.join(', ')}${e.count > e.examples.length ? ', …' : ''}`,
    );
  }
}
