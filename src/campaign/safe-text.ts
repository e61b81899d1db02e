// Text from KooPhone (error_msg, execute_msg, codes) is shown to people: on a terminal, which obeys
// control sequences in it (clear the screen, set the window title, fake a line), and in
// spreadsheets, which run a cell that starts like a formula. The two rules, declared once and
// applied where text leaves the tool (the CLI's text lines, the CSV report). JSON and NDJSON keep
// the text exact: they are read by programs, and their encoding escapes control characters already.

// C0 controls but tab and line feed, DEL, and the C1 controls (CSI, OSC, … as single code points).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * `text` with every control character but tab and line feed shown as `\xHH`: ESC, BEL, CR, the
 * C1 controls — nothing a terminal would act on, and the reader still sees they were there.
 */
export function terminalSafe(text: string): string {
  return text.replace(CONTROL, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

// What makes a spreadsheet read a cell as a formula (OWASP "CSV Injection").
const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell a spreadsheet would take for a formula gets a leading `'`, which shows it as text. */
export function spreadsheetSafe(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/** The cell as it was before spreadsheetSafe: a CSV report read back (`--ids-file`) gets its ids. */
export function fromSpreadsheetSafe(cell: string): string {
  return cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}
