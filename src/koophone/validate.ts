import { KoophoneError } from './errors';
import { MAX_INSTANCE_ID_LENGTH } from './schemas';

const SHOWN_VALUE_LENGTH = 40;

/** A value quoted for an error message, cut so a pasted megabyte does not become the message. */
export function quoteValue(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const cut = text.length > SHOWN_VALUE_LENGTH ? `${text.slice(0, SHOWN_VALUE_LENGTH)}…` : text;
  return typeof value === 'string' ? JSON.stringify(cut) : cut;
}

/** Why `id` cannot be an instance id, or undefined when it can. */
export function validateInstanceId(id: unknown): string | undefined {
  if (typeof id !== 'string') return `is not a string (${id === null ? 'null' : typeof id})`;
  if (id.length === 0) return 'is empty';
  if (id.length > MAX_INSTANCE_ID_LENGTH) {
    return `is ${id.length} characters (max ${MAX_INSTANCE_ID_LENGTH})`;
  }
  return undefined;
}

export interface ValidateInstanceIdsOptions {
  max: number;
  /** The call the ids were meant for, so the error names it. */
  method?: string;
  url?: string;
}

/** Throws INVALID_INPUT, naming the first bad value and its 0-based position; returns the ids typed. */
export function validateInstanceIds(ids: unknown, options: ValidateInstanceIdsOptions): string[] {
  const fail = (detail: string): never => {
    throw new KoophoneError({
      code: 'INVALID_INPUT',
      detail,
      method: options.method ?? 'POST',
      url: options.url ?? '(not sent)',
    });
  };
  if (!Array.isArray(ids)) return fail(`instance ids must be an array, got ${quoteValue(ids)}`);
  if (ids.length === 0) return fail(`no instance ids (need 1 to ${options.max})`);
  if (ids.length > options.max) return fail(`${ids.length} instance ids (max ${options.max} per call)`);
  const firstSeen = new Map<string, number>();
  ids.forEach((id: unknown, position) => {
    const reason = validateInstanceId(id);
    if (reason !== undefined) fail(`instance id at position ${position} ${reason}: ${quoteValue(id)}`);
    const earlier = firstSeen.get(id as string);
    if (earlier !== undefined) {
      fail(`instance id at position ${position} duplicates position ${earlier}: ${quoteValue(id)}`);
    }
    firstSeen.set(id as string, position);
  });
  return ids as string[];
}
