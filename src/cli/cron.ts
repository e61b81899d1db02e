// Temporal turns a schedule's cron string into calendar specs on the server; a typo there comes
// back as a terse INVALID_ARGUMENT. Checking here gives the operator the field and the reason.

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  question?: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const SECOND: Field = { name: 'second', min: 0, max: 59 };
const MINUTE: Field = { name: 'minute', min: 0, max: 59 };
const HOUR: Field = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: Field = { name: 'day-of-month', min: 1, max: 31, question: true };
const MONTH: Field = { name: 'month', min: 1, max: 12, names: MONTHS };
// 0 and 7 are both Sunday.
const DAY_OF_WEEK: Field = { name: 'day-of-week', min: 0, max: 7, names: DAYS, question: true };
const YEAR: Field = { name: 'year', min: 1970, max: 2199 };

const LAYOUTS: Record<number, Field[]> = {
  5: [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK],
  6: [SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK],
  7: [SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR],
};

const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

function value(field: Field, text: string): number {
  const upper = text.toUpperCase();
  const named = field.names?.indexOf(upper) ?? -1;
  if (named >= 0) return field === MONTH ? named + 1 : named;
  if (!/^\d+$/.test(text)) throw new Error(`"${text}" is not a ${field.name}`);
  const n = Number(text);
  if (n < field.min || n > field.max)
    throw new Error(`${field.name} ${n} is outside ${field.min}-${field.max}`);
  return n;
}

function checkItem(field: Field, item: string): void {
  const [base = '', step, extra] = item.split('/');
  if (extra !== undefined) throw new Error(`"${item}" has more than one "/"`);
  if (step !== undefined && (!/^\d+$/.test(step) || Number(step) === 0)) {
    throw new Error(`step "/${step}" in ${field.name} must be a positive number`);
  }
  if (base === '*' || (base === '?' && field.question)) return;
  const [from = '', to, more] = base.split('-');
  if (more !== undefined) throw new Error(`"${base}" is not a range`);
  const a = value(field, from);
  if (to !== undefined && value(field, to) < a)
    throw new Error(`range "${base}" in ${field.name} runs backwards`);
}

/** Returns why `expr` is not a cron string Temporal schedules accept, or undefined when it is. */
export function cronProblem(expr: string): string | undefined {
  const text = expr.trim();
  if (text === '') return 'empty cron expression';
  if (/^CRON_TZ=|^TZ=/i.test(text)) return 'put the time zone in --timezone, not in the cron expression';
  if (text.startsWith('@')) {
    if (MACROS.has(text.toLowerCase())) return undefined;
    const every = /^@every\s+(\S+?)(?:\/(\S+))?$/.exec(text);
    if (every && GO_DURATION.test(every[1]!) && (every[2] === undefined || GO_DURATION.test(every[2])))
      return undefined;
    return `unknown "${text}" (use @hourly, @daily, @weekly, @monthly, @yearly or "@every 1h")`;
  }
  const parts = text.split(/\s+/);
  const layout = LAYOUTS[parts.length];
  if (!layout) {
    return `has ${parts.length} field${parts.length === 1 ? '' : 's'}; expected 5: minute hour day-of-month month day-of-week (e.g. "0 3 * * SUN")`;
  }
  try {
    parts.forEach((part, i) => part.split(',').forEach((item) => checkItem(layout[i]!, item)));
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** Returns why `tz` is not an IANA time zone, or undefined when it is. */
export function timezoneProblem(tz: string): string | undefined {
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
    // ICU ignores case, the server's zone database does not.
    if (resolved !== tz && resolved.toLowerCase() === tz.toLowerCase())
      return `time zone "${tz}": write it as ${resolved}`;
    return undefined;
  } catch {
    return `unknown time zone "${tz}" (use an IANA name such as UTC or Asia/Shanghai)`;
  }
}
