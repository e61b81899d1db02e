const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export const formatCount = (n: number): string => integer.format(n);
export const formatDecimal = (n: number): string => decimal.format(n);

export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return '–';
  const p = (part / whole) * 100;
  if (p > 0 && p < 0.1) return '<0.1%';
  // Rounding must not claim all when it is not: 2 997 of 3 000 is 99.9%, 9 999 of 10 000 >99.9%.
  if (part < whole && p >= 99.5) {
    const tenths = Math.round(p * 10) / 10;
    return tenths >= 100 ? '>99.9%' : `${tenths.toFixed(1)}%`;
  }
  return `${p >= 10 || p === 0 ? Math.round(p) : p.toFixed(1)}%`;
}

/** "2024-05-01 03:04:05 UTC": the report is read across time zones, so it states one. */
export function formatTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** An axis label: "03:04", or "05-01 03:04" when the chart spans more than a day. */
export function formatClock(ms: number, withDate: boolean): string {
  const iso = new Date(ms).toISOString();
  return withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

export function outcomeLabel(outcome: string): string {
  return outcome.replace(/_/g, ' ');
}
