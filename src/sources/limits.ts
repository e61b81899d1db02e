// How big an id source may be: one declaration, used by the CLI and by the worker's prepare (they
// share the readers), so that any file — a cut pipe, a 600 MB line, a poisoned JSON — is refused
// in bounded memory and time instead of taking the process down (docs/design.md "Bounded inputs").

/**
 * The longest line of a text id file, or row of a CSV one. An id is at most 32 characters; a CSV
 * row of the tool's own report (its error message included) fits many times over.
 */
export const MAX_LINE_BYTES = 64 * 1024;

/** The largest id source read: a million-row CSV report is about 150 MB. */
export const MAX_SOURCE_BYTES = 256 * 1024 * 1024;

/**
 * The most entries (ids, duplicates and bad entries) a source may hold: a campaign is up to a
 * million phones; twice that leaves room for duplicates without letting a file of short junk
 * entries grow the reader's memory without end.
 */
export const MAX_SOURCE_ENTRIES = 2_000_000;

/** Past this many bad entries the read stops: no id list is that wrong, and junk reads fast. */
export const MAX_SOURCE_PROBLEMS = 10_000;

const MIB = 1024 * 1024;

/** "256 MiB", "300.5 MiB": sizes in the messages of the limits above. */
export function describeBytes(bytes: number): string {
  if (bytes < MIB) return `${bytes.toLocaleString('en-US')} bytes`;
  const mib = bytes / MIB;
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}
