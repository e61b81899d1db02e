import { MultiBar, type SingleBar } from 'cli-progress';
import { formatDuration } from '../campaign/duration';
import { finishedOf, type CampaignView } from './campaign-status';
import type { CliContext } from './context';
import { toJson } from './json-output';
import { ProgressEta } from './progress-eta';

export type ProgressMode = 'tty' | 'plain' | 'json' | 'silent';

export function progressMode(ctx: CliContext, json: boolean): ProgressMode {
  if (json) return 'json';
  return ctx.stdout.isTTY ? 'tty' : 'plain';
}

interface Sample {
  at: number;
  calls: number;
}

/** Batch-reset calls per second over the last few polls. */
class RateWindow {
  private samples: Sample[] = [];
  constructor(private readonly windowMs = 15_000) {}

  add(s: CampaignView, at = Date.now()): void {
    this.samples.push({ at, calls: s.batchResetCalls ?? 0 });
    while (this.samples.length > 2 && at - this.samples[0]!.at > this.windowMs) this.samples.shift();
  }

  callsPerSecond(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    return first && last && last.at - first.at >= 500
      ? ((last.calls - first.calls) * 1000) / (last.at - first.at)
      : 0;
  }
}

/** What the progress line says is left: "--" while paused, outside a window or before any finish. */
export function etaText(s: CampaignView, remainingMs: number | undefined): string {
  if (s.total - finishedOf(s) <= 0) return '0s';
  if (s.state !== 'running' || s.windowOpen === false || remainingMs === undefined) return '--';
  return `~${formatDuration(remainingMs)}`;
}

function averageCallsPerSecond(s: CampaignView): number {
  const ms = Date.parse(s.updatedAt) - Date.parse(s.startedAt);
  return ms > 0 ? ((s.batchResetCalls ?? 0) * 1000) / ms : 0;
}

function countsLine(s: CampaignView): string {
  return (
    `succeeded ${s.succeeded} | failed ${s.failed} | timed_out ${s.timedOut} | rejected ${s.rejected} | ` +
    `missing_job ${s.missingJob} | skipped ${s.skipped} | canceled ${s.canceled}`
  );
}

function stateLabel(s: CampaignView): string {
  if (s.state === 'running' && s.canary === 'running') return 'canary';
  if (s.state === 'running' && s.total === 0) return 'preparing';
  return s.state;
}

/**
 * Shows a campaign's progress: a two-line bar on a terminal (progress, rate and ETA; counts per
 * outcome), a plain line per change otherwise, or one JSON line per update for scripts.
 */
export class ProgressView {
  private readonly rates = new RateWindow();
  private readonly eta = new ProgressEta();
  private multi?: MultiBar;
  private bars?: { progress: SingleBar; counts: SingleBar };
  private lastLine = '';
  private lastPrintAt = 0;

  constructor(
    private readonly ctx: CliContext,
    private readonly mode: ProgressMode,
    private readonly plainEveryMs = 2000,
  ) {}

  update(s: CampaignView, final = false): void {
    const now = Date.now();
    this.rates.add(s, now);
    this.eta.add(s, now);
    const finished = finishedOf(s);
    // At the end the recent window is mostly idle; the whole campaign's average says more.
    const rate = (final ? averageCallsPerSecond(s) : this.rates.callsPerSecond()).toFixed(1);
    const eta = final ? '0s' : etaText(s, this.eta.remainingMs(s));
    switch (this.mode) {
      case 'silent':
        return;
      case 'json': {
        const line = toJson(s, false);
        if (line !== this.lastLine || final) this.ctx.stdout.write(line + '\n');
        this.lastLine = line;
        return;
      }
      case 'plain': {
        const pct = s.total > 0 ? Math.floor((finished * 100) / s.total) : 0;
        const line =
          `${stateLabel(s)} ${finished}/${s.total} (${pct}%) ${countsLine(s).replace(/ \| /g, ', ')}` +
          ` | ${rate} calls/s | ETA ${eta}`;
        const due = Date.now() - this.lastPrintAt >= this.plainEveryMs;
        if ((line !== this.lastLine && due) || final) {
          this.ctx.stdout.write(`${new Date().toISOString()} ${line}\n`);
          this.lastLine = line;
          this.lastPrintAt = Date.now();
        }
        return;
      }
      case 'tty': {
        const payload = { state: stateLabel(s).padEnd(9), rate, remaining: eta, counts: countsLine(s) };
        const total = Math.max(1, s.total);
        if (!this.multi) {
          this.multi = new MultiBar({
            stream: this.ctx.stdout as NodeJS.WriteStream,
            hideCursor: true,
            clearOnComplete: false,
            barsize: 30,
            fps: 5,
            barCompleteChar: '█',
            barIncompleteChar: '░',
          });
          this.bars = {
            progress: this.multi.create(total, finished, payload, {
              format: '{state} {bar} {percentage}% | {value}/{total} | {rate} calls/s | ETA {remaining}',
            }),
            counts: this.multi.create(total, finished, payload, { format: '  {counts}' }),
          };
        }
        this.bars!.progress.setTotal(total);
        this.bars!.progress.update(finished, payload);
        this.bars!.counts.update(finished, payload);
        return;
      }
    }
  }

  stop(): void {
    this.multi?.stop();
    this.multi = undefined;
  }
}
