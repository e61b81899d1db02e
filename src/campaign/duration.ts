// Durations: an operator writes "90s", "5m", "1h30m", "2d", "250ms"; a unit is required on every
// number, so `--retry-delay 5` is refused instead of meaning 5 ms. Numbers (not strings) are
// milliseconds: that is how options are recorded in workflow inputs, and old inputs must still
// parse. Pure (no Node built-ins): the workflow imports this file through options.ts.
//
// Written here rather than taken from npm: `ms` reads no compound forms ("1h30m"), and both `ms`
// and `parse-duration` read a bare "5" as 5 ms — the very mistake this refuses.
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

export const DURATION_EXAMPLES = '90s, 5m, 1h30m, 2d or 250ms';

export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new Error(`invalid duration ${value}`);
    return value;
  }
  const text = value.trim().toLowerCase();
  // Zero is zero in every unit.
  if (/^0+(?:\.0+)?$/.test(text)) return 0;
  if (/^\d+(?:\.\d+)?$/.test(text)) {
    throw new Error(`"${value}" has no unit: write e.g. ${text}s or ${text}m (units: ms, s, m, h, d)`);
  }
  if (!WHOLE.test(text)) {
    throw new Error(`"${value}" is not a duration: write e.g. ${DURATION_EXAMPLES}`);
  }
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * UNITS[unit!]!;
  return Math.round(ms);
}

/** The inverse, for people: "2h5m", "1d3h", "90ms"; what it prints, parseDuration reads back. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
}
