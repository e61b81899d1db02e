import {
  OUTCOMES,
  emptyCounts,
  type Outcome,
  type OutcomeCounts,
  type ReportLine,
} from '../../campaign/outcome';
import { normalizeCode } from '../../koophone/codes';

const MINUTE_MS = 60_000;

export interface AggregateLimits {
  /** Non-succeeded lines kept verbatim for the table; later ones are only counted. */
  maxFailureRows: number;
  /** Time buckets kept; past this the bucket width doubles, so memory stays bounded for any span. */
  maxBuckets: number;
  /** Distinct error codes tracked; later new codes are pooled under OTHER_CODES. */
  maxCodes: number;
  /** Longest error message kept per row or example. */
  maxMessageChars: number;
}

export const DEFAULT_LIMITS: AggregateLimits = {
  maxFailureRows: 10_000,
  maxBuckets: 20_000,
  maxCodes: 1_000,
  maxMessageChars: 1_000,
};

export const NO_CODE = '(no code)';
export const OTHER_CODES = '(other codes)';

export interface TimeBucket {
  /** Epoch ms of the bucket's start; buckets are `bucketMs` wide. */
  start: number;
  counts: OutcomeCounts;
  total: number;
}

export interface CodeStat {
  code: string;
  count: number;
  byOutcome: OutcomeCounts;
  /** The first message seen with this code. */
  example: string;
}

/** Everything the HTML report shows about the lines, in memory bounded by `AggregateLimits`. */
export interface ReportAggregate {
  lines: number;
  counts: OutcomeCounts;
  /** Sum of the lines' `resets` column. */
  resets: number;
  /** Lines whose instance received more than one reset (a retry after a failed or lost call). */
  resetMoreThanOnce: number;
  notSucceeded: number;
  bucketMs: number;
  /** Sorted by start; only buckets that hold at least one line. */
  buckets: TimeBucket[];
  /** Lines whose `finished_at` is empty or not a date: counted, but on no chart. */
  undated: number;
  /** Lines that are not report lines (unknown outcome, missing field): left out of everything else. */
  invalid: number;
  firstFinishedMs?: number;
  lastFinishedMs?: number;
  /** Codes of non-succeeded lines, most frequent first. */
  codes: CodeStat[];
  /** The first `maxFailureRows` non-succeeded lines, in report order. */
  failures: ReportLine[];
}

/** One pass over the report lines; feed it with `add`, read it with `result`. */
export class ReportAggregator {
  private readonly limits: AggregateLimits;
  private readonly counts = emptyCounts();
  private readonly buckets = new Map<number, TimeBucket>();
  private readonly codes = new Map<string, CodeStat>();
  private readonly failures: ReportLine[] = [];
  private bucketMs = MINUTE_MS;
  private lines = 0;
  private resets = 0;
  private resetMoreThanOnce = 0;
  private undated = 0;
  private invalid = 0;
  private firstMs = Infinity;
  private lastMs = -Infinity;

  constructor(limits: Partial<AggregateLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  add(line: ReportLine): void {
    // Stores hand back what they parsed; one corrupt line must not sink the whole report.
    if (!isReportLine(line)) {
      this.invalid += 1;
      return;
    }
    this.lines += 1;
    this.counts[line.outcome] += 1;
    this.resets += line.resets;
    if (line.resets > 1) this.resetMoreThanOnce += 1;
    this.addToTime(line);
    if (line.outcome === 'succeeded') return;
    this.addCode(line);
    if (this.failures.length < this.limits.maxFailureRows) {
      const max = this.limits.maxMessageChars;
      this.failures.push(
        line.error_msg.length > max ? { ...line, error_msg: line.error_msg.slice(0, max) } : line,
      );
    }
  }

  result(): ReportAggregate {
    // The pooled rest is not one code, so it ranks after every real one.
    const rank = (c: CodeStat) => (c.code === OTHER_CODES ? 1 : 0);
    const codes = [...this.codes.values()].sort(
      (a, b) => rank(a) - rank(b) || b.count - a.count || a.code.localeCompare(b.code),
    );
    return {
      lines: this.lines,
      counts: { ...this.counts },
      resets: this.resets,
      resetMoreThanOnce: this.resetMoreThanOnce,
      notSucceeded: this.lines - this.counts.succeeded,
      bucketMs: this.bucketMs,
      buckets: [...this.buckets.values()].sort((a, b) => a.start - b.start),
      undated: this.undated,
      invalid: this.invalid,
      ...(this.lastMs >= this.firstMs ? { firstFinishedMs: this.firstMs, lastFinishedMs: this.lastMs } : {}),
      codes,
      failures: [...this.failures],
    };
  }

  private addToTime(line: ReportLine): void {
    const ms = line.finished_at === '' ? NaN : Date.parse(line.finished_at);
    if (!Number.isFinite(ms)) {
      this.undated += 1;
      return;
    }
    if (ms < this.firstMs) this.firstMs = ms;
    if (ms > this.lastMs) this.lastMs = ms;
    const bucket = this.bucketAt(Math.floor(ms / this.bucketMs) * this.bucketMs);
    bucket.counts[line.outcome] += 1;
    bucket.total += 1;
    if (this.buckets.size > this.limits.maxBuckets) this.widenBuckets();
  }

  private bucketAt(start: number): TimeBucket {
    let bucket = this.buckets.get(start);
    if (bucket === undefined) {
      bucket = { start, counts: emptyCounts(), total: 0 };
      this.buckets.set(start, bucket);
    }
    return bucket;
  }

  private widenBuckets(): void {
    while (this.buckets.size > this.limits.maxBuckets) {
      this.bucketMs *= 2;
      const old = [...this.buckets.values()];
      this.buckets.clear();
      for (const b of old) {
        const into = this.bucketAt(Math.floor(b.start / this.bucketMs) * this.bucketMs);
        for (const o of OUTCOMES) into.counts[o] += b.counts[o];
        into.total += b.total;
      }
    }
  }

  private addCode(line: ReportLine): void {
    let code = line.error_code === '' ? NO_CODE : line.error_code;
    // KooPhone spells one code two ways (KooPhone.API.2005, KOOPHONE.API.2005): one row, shown
    // as first seen.
    let key = code === NO_CODE ? code : normalizeCode(code);
    if (!this.codes.has(key) && this.codes.size >= this.limits.maxCodes) key = code = OTHER_CODES;
    let stat = this.codes.get(key);
    if (stat === undefined) {
      stat = {
        code,
        count: 0,
        byOutcome: emptyCounts(),
        example: line.error_msg.slice(0, this.limits.maxMessageChars),
      };
      this.codes.set(key, stat);
    }
    stat.count += 1;
    stat.byOutcome[line.outcome] += 1;
  }
}

const OUTCOME_SET: ReadonlySet<string> = new Set(OUTCOMES);

function isReportLine(line: ReportLine): boolean {
  return (
    typeof line === 'object' &&
    line !== null &&
    OUTCOME_SET.has(line.outcome) &&
    typeof line.instance_id === 'string' &&
    typeof line.resets === 'number' &&
    Number.isFinite(line.resets) &&
    typeof line.job_id === 'string' &&
    typeof line.error_code === 'string' &&
    typeof line.error_msg === 'string' &&
    typeof line.finished_at === 'string'
  );
}

/** Reads the lines once, start to end, keeping only the aggregate. */
export async function aggregateReport(
  lines: AsyncIterable<ReportLine> | Iterable<ReportLine>,
  limits: Partial<AggregateLimits> = {},
): Promise<ReportAggregate> {
  const aggregator = new ReportAggregator(limits);
  for await (const line of lines) aggregator.add(line);
  return aggregator.result();
}

/** One bar of a chart: consecutive buckets merged so a chart never has more than a few hundred bars. */
export interface ChartBin {
  start: number;
  widthMs: number;
  counts: OutcomeCounts;
  total: number;
}

/**
 * Spreads the buckets over at most `maxBins` equal bins from the first to the last bucket,
 * empty minutes included, so gaps in the campaign show as gaps on the chart.
 */
export function chartBins(
  aggregate: Pick<ReportAggregate, 'buckets' | 'bucketMs'>,
  maxBins: number,
): ChartBin[] {
  const { buckets, bucketMs } = aggregate;
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  if (first === undefined || last === undefined) return [];
  const span = (last.start - first.start) / bucketMs + 1;
  const perBin = Math.max(1, Math.ceil(span / Math.max(1, maxBins)));
  const widthMs = perBin * bucketMs;
  const count = Math.ceil(span / perBin);
  const bins: ChartBin[] = Array.from({ length: count }, (_, i) => ({
    start: first.start + i * widthMs,
    widthMs,
    counts: emptyCounts(),
    total: 0,
  }));
  for (const b of buckets) {
    const bin = bins[Math.floor((b.start - first.start) / widthMs)]!;
    for (const o of OUTCOMES) bin.counts[o] += b.counts[o];
    bin.total += b.total;
  }
  return bins;
}

export function outcomesPresent(counts: OutcomeCounts): Outcome[] {
  return OUTCOMES.filter((o) => counts[o] > 0);
}
