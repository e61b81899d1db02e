// Pure (no imports): the final check's answer, read by the workflow (how a campaign ends) and shown.

/**
 * The final check of a campaign's report against what was approved: every approved id exactly
 * once, no other id. "Approved" is what prepare sealed: the spool's records (each proved against
 * the seal the workflow carries) and the ids of the lines prepare wrote itself (frozen, leased,
 * refused before any call; their set digest is in the seal too).
 */
export interface IdSetCheck {
  /** Approved ids the check could read (proved spool records and prepare's own lines). */
  approved: number;
  /** Lines in the report. */
  lines: number;
  /** Approved ids with no line: how many, and the first few. */
  missing: { count: number; examples: string[] };
  /** Lines for ids nobody approved (or a second line for one): how many, and the first few. */
  foreign: { count: number; examples: string[] };
  /**
   * Spool records that cannot be proved (changed after prepare, their seal broken): their ids are
   * unknown, so no line can name them. Positions, the first few.
   */
  unreadable: { count: number; records: number[] };
  /** Prepare's own lines no longer hold the ids it sealed (named parts). */
  answeredChanged?: string;
  /** Buckets that differed beyond what the check names one by one: the counts are then a floor. */
  partial?: true;
}

export function idSetMatches(c: IdSetCheck): boolean {
  return c.missing.count === 0 && c.foreign.count === 0 && c.answeredChanged === undefined;
}

/** "3 approved phones have no line (e.g. a1, a2); 1 line for an id nobody approved (x9)". */
export function describeIdSetCheck(c: IdSetCheck): string {
  const parts: string[] = [];
  const eg = (xs: string[]) => (xs.length > 0 ? ` (e.g. ${xs.join(', ')})` : '');
  if (c.missing.count > 0) {
    parts.push(`${c.missing.count} approved phone${c.missing.count === 1 ? ' has' : 's have'} no line${eg(c.missing.examples)}`);
  }
  if (c.foreign.count > 0) {
    parts.push(
      `${c.foreign.count} line${c.foreign.count === 1 ? ' is' : 's are'} for ids nobody approved or a second line for one${eg(c.foreign.examples)}`,
    );
  }
  if (c.answeredChanged) parts.push(c.answeredChanged);
  if (c.unreadable.count > 0) {
    const shown = c.unreadable.records.join(', ');
    parts.push(
      `${c.unreadable.count} spool record${c.unreadable.count === 1 ? '' : 's'} (${shown}${c.unreadable.count > c.unreadable.records.length ? ', …' : ''}) ` +
        'changed after prepare: their phones cannot be named, so they have no line (nothing was sent from those records since)',
    );
  }
  if (c.partial) parts.push('(more differences than are named one by one: counts are at least these)');
  return parts.join('; ');
}
