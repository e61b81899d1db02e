import { REPORT_COLUMNS, type ReportLine } from '../campaign/outcome';
import { spreadsheetSafe, terminalSafe } from '../campaign/safe-text';
import { toJson } from './json-output';

export const REPORT_FORMATS = ['csv', 'ndjson', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * RFC 4180: a cell with a comma, quote or line break is quoted, its quotes doubled. Text cells
 * are made safe first: control characters shown as `\xHH` (the CSV goes to terminals too), and
 * a cell a spreadsheet would run as a formula starts with `'` (README, "Reports").
 */
export function csvCell(value: string | number): string {
  const text = typeof value === 'number' ? String(value) : spreadsheetSafe(terminalSafe(value));
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(): string {
  return REPORT_COLUMNS.join(',') + '\n';
}

export function formatReportLine(line: ReportLine, format: Exclude<ReportFormat, 'html'>): string {
  if (format === 'ndjson') return toJson(line, false) + '\n';
  return REPORT_COLUMNS.map((c) => csvCell(line[c])).join(',') + '\n';
}
