import { OUTCOMES, type Outcome } from '../../campaign/outcome';
import type { ChartBin } from './aggregate';
import { escapeHtml } from './escape';
import { formatClock, formatCount, formatDecimal, outcomeLabel } from './format';

export const OUTCOME_COLORS: Record<Outcome, string> = {
  succeeded: '#22a06b',
  failed: '#e5484d',
  timed_out: '#f5a524',
  rejected: '#8e4ec6',
  missing_job: '#e879a6',
  skipped: '#94a3b8',
  canceled: '#475569',
};

const WIDTH = 1080;
const HEIGHT = 260;
const MARGIN = { top: 14, right: 18, bottom: 30, left: 62 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
const MINUTE_MS = 60_000;

const r2 = (n: number): number => Math.round(n * 100) / 100;

/** A round step (1, 2 or 5 × 10^k) that splits `max` into about `parts` intervals. */
export function niceStep(max: number, parts = 4): number {
  if (!(max > 0)) return 1;
  const raw = max / parts;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  return Math.max(step, Number.EPSILON);
}

export function niceMax(max: number): { top: number; step: number } {
  const step = niceStep(max);
  return { top: Math.max(step, Math.ceil(max / step) * step), step };
}

function spanLabel(bin: ChartBin, withDate: boolean): string {
  return `${formatClock(bin.start, withDate)}–${formatClock(bin.start + bin.widthMs, withDate)} UTC`;
}

function spansDays(bins: ChartBin[]): boolean {
  const first = bins[0];
  const last = bins[bins.length - 1];
  return first !== undefined && last !== undefined && last.start + last.widthMs - first.start > 86_400_000;
}

/** Horizontal grid lines with their values, and time labels under the bars. */
function axes(bins: ChartBin[], top: number, step: number): string {
  const parts: string[] = [];
  for (let v = 0; v <= top + step / 2; v += step) {
    const y = r2(MARGIN.top + PLOT_H - (v / top) * PLOT_H);
    parts.push(
      `<line class="grid${v === 0 ? ' base' : ''}" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}"/>`,
      `<text class="tick" x="${MARGIN.left - 8}" y="${r2(y + 4)}" text-anchor="end">${escapeHtml(formatCount(v))}</text>`,
    );
  }
  const withDate = spansDays(bins);
  const bw = PLOT_W / bins.length;
  const every = Math.max(1, Math.ceil(bins.length / (withDate ? 6 : 9)));
  for (let i = 0; i < bins.length; i += every) {
    const x = r2(MARGIN.left + i * bw);
    parts.push(
      `<line class="tick-mark" x1="${x}" x2="${x}" y1="${MARGIN.top + PLOT_H}" y2="${MARGIN.top + PLOT_H + 4}"/>`,
      `<text class="tick" x="${x}" y="${HEIGHT - 8}" text-anchor="${i === 0 ? 'start' : 'middle'}">${escapeHtml(formatClock(bins[i]!.start, withDate))}</text>`,
    );
  }
  return parts.join('');
}

function bar(i: number, count: number): { x: number; width: number } {
  const bw = PLOT_W / count;
  const gap = bw >= 6 ? Math.max(1, bw * 0.18) : 0;
  return { x: r2(MARGIN.left + i * bw + gap / 2), width: r2(Math.max(bw - gap, 0.6)) };
}

function svgOpen(chart: string, label: string, extra = ''): string {
  return `<svg class="chart" data-chart="${chart}"${extra} viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="xMidYMid meet" role="img" aria-label="${escapeHtml(label)}" xmlns="http://www.w3.org/2000/svg">`;
}

/**
 * Outcomes over time: one stacked bar per bin, one rect per outcome, each carrying
 * `data-outcome` and `data-count` so a reader (or a test) can total what was drawn.
 */
export function outcomesChart(bins: ChartBin[]): string {
  if (bins.length === 0) return '<p class="empty">No finished instance has a timestamp yet.</p>';
  const max = Math.max(...bins.map((b) => b.total));
  const { top, step } = niceMax(max);
  const withDate = spansDays(bins);
  const groups = bins.map((bin, i) => {
    if (bin.total === 0) return '';
    const { x, width } = bar(i, bins.length);
    let y = MARGIN.top + PLOT_H;
    const rects: string[] = [];
    const tip = [spanLabel(bin, withDate), `${formatCount(bin.total)} finished`];
    for (const o of OUTCOMES) {
      const n = bin.counts[o];
      if (n === 0) continue;
      const h = (n / top) * PLOT_H;
      y -= h;
      rects.push(
        `<rect x="${x}" y="${r2(y)}" width="${width}" height="${r2(h)}" fill="${OUTCOME_COLORS[o]}" data-outcome="${o}" data-count="${n}"/>`,
      );
      tip.push(`${outcomeLabel(o)}: ${formatCount(n)}`);
    }
    return `<g class="bin" data-start="${new Date(bin.start).toISOString()}" data-total="${bin.total}"><title>${escapeHtml(tip.join('\n'))}</title>${rects.join('')}</g>`;
  });
  const total = bins.reduce((s, b) => s + b.total, 0);
  return `${svgOpen('outcomes', 'Outcomes over time', ` data-total="${total}"`)}${axes(bins, top, step)}${groups.join('')}</svg>`;
}

export interface Ceiling {
  perMinute: number;
  label: string;
}

/**
 * Instances finished per minute, against the rate-limit ceiling (calls/s × 60 × batch size).
 * A ceiling far above the bars would flatten them to nothing, so past 3× the peak it is
 * named at the top edge instead of drawn to scale.
 */
export function throughputChart(bins: ChartBin[], ceiling: Ceiling | undefined): string {
  if (bins.length === 0) return '<p class="empty">No finished instance has a timestamp yet.</p>';
  const widthMin = bins[0]!.widthMs / MINUTE_MS;
  const perMinute = bins.map((b) => b.total / widthMin);
  const peak = Math.max(...perMinute);
  const onScale = ceiling !== undefined && ceiling.perMinute <= Math.max(peak, 1) * 3;
  const { top, step } = niceMax(Math.max(peak, onScale ? ceiling.perMinute * 1.08 : 0));
  const withDate = spansDays(bins);
  const bars = bins.map((bin, i) => {
    const { x, width } = bar(i, bins.length);
    const h = (perMinute[i]! / top) * PLOT_H;
    const tip = `${spanLabel(bin, withDate)}\n${formatDecimal(perMinute[i]!)} instances finished per minute`;
    return `<rect class="throughput" x="${x}" y="${r2(MARGIN.top + PLOT_H - h)}" width="${width}" height="${r2(h)}" data-start="${new Date(bin.start).toISOString()}" data-count="${bin.total}" data-per-minute="${r2(perMinute[i]!)}"><title>${escapeHtml(tip)}</title></rect>`;
  });
  let line = '';
  if (ceiling !== undefined && onScale) {
    const y = r2(MARGIN.top + PLOT_H - (ceiling.perMinute / top) * PLOT_H);
    line = `<g class="ceiling" data-ceiling-per-minute="${ceiling.perMinute}"><line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}"/><text x="${WIDTH - MARGIN.right - 4}" y="${r2(y - 6)}" text-anchor="end">${escapeHtml(ceiling.label)}</text></g>`;
  } else if (ceiling !== undefined) {
    line = `<g class="ceiling off-scale" data-ceiling-per-minute="${ceiling.perMinute}"><text x="${WIDTH - MARGIN.right - 4}" y="${MARGIN.top + 12}" text-anchor="end">↑ ${escapeHtml(ceiling.label)} (above this scale)</text></g>`;
  }
  const total = bins.reduce((s, b) => s + b.total, 0);
  return `${svgOpen('throughput', 'Instances finished per minute against the rate-limit ceiling', ` data-total="${total}"`)}${axes(bins, top, step)}${bars.join('')}${line}</svg>`;
}
