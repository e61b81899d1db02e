import { KOOPHONE_CODES } from '../koophone/errors';
import { formatIssues } from '../koophone/issues';
import { instanceListQuerySchema } from '../koophone/schemas';
import type { InstanceListQueryParams } from '../koophone/schemas';
import { quoteValue, validateInstanceId } from '../koophone/validate';
import { failure } from './replies';
import type { Reply } from './replies';

// The service's own input checks: each refusal is HTTP 400 KOOPHONE.API.1000 naming the bad value.

export type Checked<T> = { ok: true; value: T } | { ok: false; reply: Reply };

const invalid = (message: string): { ok: false; reply: Reply } => ({
  ok: false,
  reply: failure(400, KOOPHONE_CODES.invalidParameters, `request parameters invalid: ${message}`),
});

export function checkInstanceIdsBody(raw: unknown, max: number): Checked<string[]> {
  if (typeof raw !== 'string' || raw.trim() === '')
    return invalid('request body is empty; expected {"instance_ids": [...]}');
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return invalid(`request body is not valid JSON: ${quoteValue(raw)}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return invalid(`request body must be an object {"instance_ids": [...]}, got ${quoteValue(body)}`);
  }
  if (!('instance_ids' in body)) return invalid('instance_ids is required');
  const ids: unknown = body.instance_ids;
  if (!Array.isArray(ids)) return invalid(`instance_ids must be an array, got ${quoteValue(ids)}`);
  if (ids.length === 0) return invalid('instance_ids must not be empty');
  if (ids.length > max) return invalid(`instance_ids has ${ids.length} ids (max ${max})`);
  const seen = new Map<string, number>();
  for (const [position, id] of ids.entries()) {
    const reason = validateInstanceId(id);
    if (reason !== undefined) return invalid(`instance_ids[${position}] ${reason}: ${quoteValue(id)}`);
    const earlier = seen.get(id as string);
    if (earlier !== undefined) {
      return invalid(`instance_ids[${position}] duplicates instance_ids[${earlier}]: ${quoteValue(id)}`);
    }
    seen.set(id as string, position);
  }
  return { ok: true, value: ids as string[] };
}

export function checkListQuery(query: unknown): Checked<InstanceListQueryParams> {
  const parsed = instanceListQuerySchema.safeParse(query);
  if (!parsed.success) return invalid(formatIssues(parsed.error.issues));
  return { ok: true, value: parsed.data };
}

/** `2023-08-15 14:30:45` (UTC) as epoch ms. */
export function parseQueryTime(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}
