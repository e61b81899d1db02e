import type { CampaignState } from '../campaign/status';

/** The operator contract (docs/design.md "Operator interface"): scripts and schedules branch on these. */
export const EXIT = {
  /** The campaign completed and no instance failed. */
  ok: 0,
  /** The campaign completed with failures, or was aborted, canceled or failed. */
  failures: 1,
  /** Bad flag, bad id, unreadable file, unknown campaign, refused request. */
  usage: 2,
  /** The Temporal server or the KooPhone endpoint cannot be reached. */
  unreachable: 3,
  /**
   * start --wait / watch: the campaign is blocked (its calls keep failing for a reason only an
   * operator can fix, or one of our own parts fails). It goes on, and resumes by itself once the
   * cause is fixed.
   */
  blocked: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI explains in one line (no stack trace) and exits with. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const usageError = (message: string, cause?: unknown) => new CliError(EXIT.usage, message, { cause });

/** The counts that decide between exit 0 and 1 once a campaign has ended. */
export interface FinalCounts {
  state: CampaignState;
  failed: number;
  timedOut: number;
  rejected: number;
  missingJob: number;
}

/**
 * A campaign that did not complete (aborted by its error budget, canceled, failed) is not a
 * success for a script waiting on it, whatever the reason: only a clean completion exits 0.
 */
export function exitCodeForCampaign(s: FinalCounts): ExitCode {
  if (s.state === 'blocked') return EXIT.blocked;
  if (s.state !== 'completed') return EXIT.failures;
  return s.failed + s.timedOut + s.rejected + s.missingJob > 0 ? EXIT.failures : EXIT.ok;
}
