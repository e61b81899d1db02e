/** "YYYY-MM-DD HH:MM" of `at` on the wall clock of `timeZone` (an IANA name). */
function wallClock(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/**
 * A schedule's time as its operator reads it: on the schedule's own clock, with UTC beside
 * ("2025-01-05 03:00 (19:00 UTC the day before)" reads wrong; "(01-04 19:00 UTC)" does not).
 * A schedule in UTC shows its time once. `nameZone: false` where a column already names the zone.
 */
export function zonedTime(at: Date, timeZone: string, nameZone = true): string {
  const utc = wallClock(at, 'UTC');
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return `${utc} UTC`;
  const local = wallClock(at, timeZone);
  const sameDay = local.slice(0, 10) === utc.slice(0, 10);
  return `${local}${nameZone ? ` ${timeZone}` : ''} (${sameDay ? utc.slice(11) : utc.slice(5)} UTC)`;
}
