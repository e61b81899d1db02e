// The one place command-line values become numbers, durations and cron specs. Every error names
// the flag, what was typed, and what to type instead, in the tool's own words.
import { Cron } from 'croner';
import { DURATION_EXAMPLES, parseDuration } from '../campaign/duration';
import { usageError } from './exit-codes';

interface Bounds {
  min?: number;
  max?: number;
}

function inBounds(flag: string, raw: string, n: number, { min, max }: Bounds, what: string): number {
  if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
    const range =
      min !== undefined && max !== undefined ? `${min}..${max}` : min !== undefined ? `≥ ${min}` : `≤ ${max}`;
    throw usageError(`${flag}: expected ${what} ${range}, got "${raw}"`);
  }
  return n;
}

/** A whole number: `--limit 20`, `--port 7233`. */
export function integerFlag(flag: string, raw: string, bounds: Bounds = {}): number {
  const text = raw.trim();
  if (!/^\d+$/.test(text)) throw usageError(`${flag}: expected a whole number, got "${raw}"`);
  return inBounds(flag, raw, Number(text), bounds, 'a whole number');
}

/** A decimal number: `--rate 2.5`. */
export function numberFlag(flag: string, raw: string, bounds: Bounds = {}): number {
  const text = raw.trim();
  if (!/^\d+(\.\d+)?$/.test(text)) throw usageError(`${flag}: expected a number, got "${raw}"`);
  return inBounds(flag, raw, Number(text), bounds, 'a number');
}

/** A TCP port; 0 asks the system for any free one. */
export function portFlag(flag: string, raw: string, allowAny = false): number {
  return integerFlag(flag, raw, { min: allowAny ? 0 : 1, max: 65_535 });
}

/** A duration with units (`90s`, `1h30m`, `2d`), in milliseconds. */
export function durationFlag(flag: string, raw: string, bounds: Bounds = {}): number {
  let ms: number;
  try {
    ms = parseDuration(raw);
  } catch (err) {
    throw usageError(`${flag}: ${(err as Error).message}`);
  }
  return inBounds(flag, raw, ms, bounds, `a duration (${DURATION_EXAMPLES})`);
}

/** Returns why `tz` is not an IANA time zone Temporal and croner both read, or undefined. */
export function timezoneProblem(tz: string): string | undefined {
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
    // ICU ignores case, the Temporal server's zone database does not.
    if (resolved !== tz && resolved.toLowerCase() === tz.toLowerCase())
      return `time zone "${tz}": write it as ${resolved}`;
    return undefined;
  } catch {
    return `unknown time zone "${tz}" (use an IANA name such as UTC or Asia/Shanghai)`;
  }
}

// Temporal reads "@every 1h[/15m]" (Go durations); croner has no such form.
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

/**
 * Returns why `expr` is not a cron expression, or undefined. croner reads the cron (5, 6 or 7
 * fields, names, ranges, steps, @daily…); `forSchedule` also refuses what croner reads but a
 * Temporal schedule does not (`L`, `W`, `#`, a time zone inside the expression), and accepts
 * Temporal's `@every` form.
 */
export function cronProblem(expr: string, forSchedule: boolean): string | undefined {
  const text = expr.trim();
  if (text === '') return 'empty cron expression';
  if (/^(CRON_)?TZ=/i.test(text)) return 'put the time zone in --timezone, not in the cron expression';
  if (forSchedule && /^@every\s/i.test(text)) {
    const [every = '', offset] = text.replace(/^@every\s+/i, '').split('/');
    if (GO_DURATION.test(every) && (offset === undefined || GO_DURATION.test(offset))) return undefined;
    return `"@every" takes a duration such as 1h or 90m (optionally /15m), got "${text}"`;
  }
  if (forSchedule && !text.startsWith('@') && /[LW#]/i.test(text.replace(/[A-Z]{3}/gi, '')))
    return 'Temporal schedules do not read L, W or # (last day, weekday, nth weekday): use a list such as 25-31';
  try {
    new Cron(text, { paused: true, timezone: 'UTC' }).nextRun();
    return undefined;
  } catch (err) {
    const message = (err as Error).message.replace(/^Cron\w*:\s*/, '');
    if (/parts are required/.test(message)) {
      const n = text.split(/\s+/).length;
      return `has ${n} field${n === 1 ? '' : 's'}; expected 5: minute hour day-of-month month day-of-week (e.g. "0 3 * * SUN")`;
    }
    return message.charAt(0).toLowerCase() + message.slice(1);
  }
}

/** Validates a cron flag and its time zone, with one error that names both flags. */
export function checkCronFlag(
  flag: string,
  expr: string,
  timezone: string,
  { forSchedule }: { forSchedule: boolean },
): void {
  const tz = timezoneProblem(timezone);
  if (tz) throw usageError(`${flag === '--cron' ? '--timezone' : flag}: ${tz}`);
  const cron = cronProblem(expr, forSchedule);
  if (cron) throw usageError(`${flag} "${expr}": ${cron}`);
}
