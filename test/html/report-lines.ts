import { emptyCounts, type OutcomeCounts, type ReportLine } from '../../src/campaign/outcome';

export const START_MS = Date.parse('2025-03-02T03:00:00.000Z');
export const SCRIPT_MESSAGE = 'job failed: <script>alert(1)</script>';
export const IMG_MESSAGE = 'bad reply <img src=x onerror="window.__pwned=1">';

/** Small deterministic PRNG so every run draws the same campaign. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Tally {
  counts: OutcomeCounts;
  lines: number;
  /** Non-succeeded lines, in order, when `keepFailures` is set. */
  failures: ReportLine[];
  notSucceeded: number;
  lastMs: number;
}

export function newTally(): Tally {
  return { counts: emptyCounts(), lines: 0, failures: [], notSucceeded: 0, lastMs: -Infinity };
}

interface Draw {
  outcome: ReportLine['outcome'];
  code: string;
  message: string;
}

/** Mostly successes, with a burst of frozen-instance refusals a third of the way in. */
function draw(random: () => number, progress: number): Draw {
  const r = random();
  const burst = progress > 0.33 && progress < 0.42;
  if (burst && r < 0.18)
    return { outcome: 'rejected', code: 'KOOPHONE.API.2004', message: 'The instance is frozen.' };
  if (r < 0.05) return { outcome: 'failed', code: 'CPS0005', message: 'reset failed: phone not found' };
  if (r < 0.065)
    return { outcome: 'failed', code: 'CPS0031', message: 'reset failed: disk image unavailable' };
  if (r < 0.08)
    return { outcome: 'timed_out', code: 'JOB_TIMEOUT', message: 'job still running after 1800000 ms' };
  if (r < 0.087)
    return {
      outcome: 'rejected',
      code: 'KOOPHONE.API.1012',
      message: 'The instance does not belong to the tenant.',
    };
  if (r < 0.091)
    return {
      outcome: 'missing_job',
      code: 'MISSING_JOB',
      message: 'no cmd_job for this instance in task 7f3a',
    };
  if (r < 0.1) return { outcome: 'skipped', code: '', message: 'frozen in the fleet listing' };
  if (progress > 0.97 && r < 0.3)
    return { outcome: 'canceled', code: 'CANCELED', message: 'campaign canceled by operator' };
  return { outcome: 'succeeded', code: '', message: '' };
}

export interface LineOptions {
  count: number;
  minutes: number;
  seed?: number;
  tally?: Tally;
  keepFailures?: boolean;
  /** Called every 10 000 lines, e.g. to sample memory. */
  onProgress?: (produced: number) => void;
}

/**
 * Report lines produced lazily, like a store streaming a big campaign: a small canary minute,
 * then a steady stream with jitter. Line 17 carries a script tag and line 23 an image tag.
 */
export async function* campaignLines(options: LineOptions): AsyncGenerator<ReportLine> {
  const random = mulberry32(options.seed ?? 7);
  const spanMs = options.minutes * 60_000;
  const tally = options.tally;
  // The canary: a small first minute, at most 1 000 instances, before the steady stream.
  const canary = Math.min(0.02, 1_000 / options.count);
  // Seconds-resolution times, each formatted once: the generator must not dominate the timing.
  let isoMs = NaN;
  let iso = '';
  for (let i = 0; i < options.count; i++) {
    const progress = i / options.count;
    const base =
      progress < canary
        ? (progress / canary) * 60_000
        : 60_000 + ((progress - canary) / (1 - canary)) * (spanMs - 60_000);
    const offset = Math.round((base + (random() - 0.5) * 40_000) / 1000) * 1000;
    const finishedMs = START_MS + Math.min(spanMs - 1000, Math.max(0, offset));
    if (finishedMs !== isoMs) {
      isoMs = finishedMs;
      iso = new Date(finishedMs).toISOString();
    }
    let { outcome, code, message } = draw(random, progress);
    if (i === 17)
      ({ outcome, code, message } = { outcome: 'failed', code: 'CPS0099', message: SCRIPT_MESSAGE });
    if (i === 23)
      ({ outcome, code, message } = { outcome: 'failed', code: 'HTTP_502', message: IMG_MESSAGE });
    const line: ReportLine = {
      instance_id: `cph-${String(i).padStart(7, '0')}`,
      outcome,
      resets: outcome === 'skipped' || outcome === 'canceled' ? 0 : random() < 0.03 ? 2 : 1,
      job_id: outcome === 'skipped' || outcome === 'canceled' ? '' : `job-${(i * 2654435761) >>> 0}`,
      error_code: code,
      error_msg: message,
      finished_at: iso,
    };
    if (tally !== undefined) {
      tally.lines += 1;
      tally.counts[outcome] += 1;
      tally.lastMs = Math.max(tally.lastMs, finishedMs);
      if (outcome !== 'succeeded') {
        tally.notSucceeded += 1;
        if (options.keepFailures === true) tally.failures.push(line);
      }
    }
    if ((i + 1) % 10_000 === 0) options.onProgress?.(i + 1);
    yield line;
  }
}
