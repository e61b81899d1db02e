import type { ReportLine } from '../campaign/outcome';

/**
 * The one naming convention of everything the CLI prints as JSON: camelCase keys, as the status
 * object of the operator contract always had (docs/design.md "JSON output"). Workflow inputs,
 * results and report stores keep their recorded spellings (`counts.timed_out`, `instance_id`):
 * histories must replay, so the conversion happens here, at the output edge, and old results
 * read the same as new ones. Values are left alone: an outcome is `timed_out` everywhere, as
 * `--outcome` and the CSV report spell it.
 */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
      camelKeys(v),
    ]),
  );
}

/** A report line as `report --format ndjson` prints it. */
export interface ReportLineJson {
  instanceId: string;
  outcome: ReportLine['outcome'];
  resets: number;
  jobId: string;
  errorCode: string;
  errorMsg: string;
  finishedAt: string;
}

export function toJson(value: unknown, pretty = true): string {
  return JSON.stringify(camelKeys(value), null, pretty ? 2 : undefined);
}
