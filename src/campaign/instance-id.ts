import { MAX_INSTANCE_ID_LENGTH as MAX_ID_LENGTH } from '../koophone/limits';

// KooPhone ids are short alphanumeric strings (at most MAX_ID_LENGTH characters). Anything else in
// an id file — spaces, quotes, control bytes, binary junk — is an input error, not an id.
const ID_PATTERN = /^[A-Za-z0-9._-]+$/;

/** Returns why `id` is not a valid instance id, or undefined when it is. */
export function instanceIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'empty instance id';
  if (id.length > MAX_ID_LENGTH)
    return `instance id is ${id.length} characters (max ${MAX_ID_LENGTH}): "${preview(id)}"`;
  if (!ID_PATTERN.test(id))
    return `instance id contains characters other than letters, digits, ".", "_", "-": "${preview(id)}"`;
  return undefined;
}

export function preview(value: string, max = 40): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}
