import { terminalSafe } from '../../campaign/safe-text';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Makes any text safe as HTML element content and as a quoted attribute value. Report lines
 * carry text the API and operators supplied (ids, error messages), so every one goes through here.
 * Control characters, invalid in HTML and acted on by a terminal the page is printed to
 * (`report --format html` to stdout), are shown as `\xHH` (terminalSafe).
 */
export function escapeHtml(value: string | number): string {
  return terminalSafe(String(value)).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** Cuts long text to `max` characters so one runaway message cannot bloat the report. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
