import { Option, type Command } from 'commander';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { PreflightSummary } from '../campaign/fleet-facts';
import { checkCampaignId } from '../campaign/campaign-id';
import type { IdSource } from '../campaign/options';
import type { SourceBytes } from '../campaign/safety';
import { readIdFile, readIdStream, readInlineIds } from '../sources';
import { usageError } from './exit-codes';
import { reportRoot } from '../report';

/** Where the operator said the ids are: arguments, a file (`-` for stdin), or the fleet. */
export interface SourceFlags {
  ids: string[];
  idsFile?: string;
  /** The CSV column of the ids when it is not instance_id (or `Instance ID`, `instanceId`…). */
  idColumn?: string;
  all?: boolean;
  namePrefix?: string;
  poolTag?: 'CLOUD_APP' | 'CLOUD_PHONE';
  poolName?: string;
}

export interface ResolvedSource {
  source: IdSource;
  /** Unique instances, when known before the worker lists the fleet. */
  instances?: number;
  duplicates: number;
  /** For the plan: where the ids come from, in words. */
  describe: string;
  /** Too many stdin ids to travel inline: the text of the file the workers read (spillIds). */
  spill?: string;
  /**
   * The bytes the workers will read, for a file source: the file as the plan read it, or the
   * stdin spill as it will be written. Pinned, so prepare checks them before it parses anything.
   */
  bytes?: SourceBytes;
  /**
   * The deduplicated ids the plan counts, in the order prepare reads them: their fingerprint pins
   * the campaign, and the overlap check compares them with the phones running campaigns hold.
   * Unknown for `--all` until the fleet is listed (listSelectedFleet).
   */
  ids?: string[];
  /** Frozen phones of a listed fleet: reported skipped, never sent. */
  frozen?: number;
  /** What the fleet listing says of the ids (a preview: prepare lists again), when it was listed. */
  preflight?: { summary: PreflightSummary; toReset: number; batches: number };
}

/** Inline ids travel in the workflow input; more than this goes through a file (payload limits). */
export const MAX_INLINE_IDS = 5000;

export function checkSourceFlags(flags: SourceFlags): void {
  const given = [flags.ids.length > 0, flags.idsFile !== undefined, flags.all === true].filter(
    Boolean,
  ).length;
  if (given === 0)
    throw usageError('no instances given: pass instance ids, --ids-file PATH (or - for stdin), or --all');
  if (given > 1) throw usageError('give instance ids, --ids-file or --all, not more than one of them');
  const filters =
    flags.namePrefix !== undefined || flags.poolTag !== undefined || flags.poolName !== undefined;
  if (flags.idColumn !== undefined && flags.idsFile === undefined)
    throw usageError('--id-column names the id column of a CSV file: use it with --ids-file');
  if (filters && !flags.all)
    throw usageError('--name-prefix, --pool-tag and --pool-name select from the fleet: use them with --all');
}

/**
 * stdin is read as it streams, in bounded memory (a pipe's size is unknown until it ends), and
 * must end with a line break: a writer that died mid-line leaves the prefix of an id.
 */
function readStdinIds(stdin: Readable, idColumn: string | undefined) {
  return readIdStream(stdin, {
    where: 'stdin',
    requireFinalNewline: true,
    ...(idColumn !== undefined ? { idColumn } : {}),
  });
}

/**
 * Reads and validates the ids before anything starts, and decides how they reach the workers:
 * a few thousand inline in the workflow input, more through a file every worker can read.
 */
export async function resolveSource(
  flags: SourceFlags,
  io: { env: NodeJS.ProcessEnv; stdin: Readable },
): Promise<ResolvedSource> {
  checkSourceFlags(flags);
  if (flags.all) {
    const source: IdSource = {
      kind: 'fleet',
      ...(flags.namePrefix !== undefined ? { namePrefix: flags.namePrefix } : {}),
      ...(flags.poolTag !== undefined ? { poolTag: flags.poolTag } : {}),
      ...(flags.poolName !== undefined ? { poolName: flags.poolName } : {}),
    };
    const filters = [
      flags.namePrefix !== undefined ? `name prefix "${flags.namePrefix}"` : '',
      flags.poolTag !== undefined ? `pool tag ${flags.poolTag}` : '',
      flags.poolName !== undefined ? `pool "${flags.poolName}"` : '',
    ].filter(Boolean);
    return {
      source,
      duplicates: 0,
      describe: `the fleet${filters.length ? ` (${filters.join(', ')})` : ''}`,
    };
  }
  if (flags.ids.length > 0) {
    const read = readInlineIds(flags.ids);
    if (read.ids.length > MAX_INLINE_IDS) {
      throw usageError(
        `${read.ids.length} ids on the command line; put more than ${MAX_INLINE_IDS} in a file (--ids-file)`,
      );
    }
    return {
      source: { kind: 'inline', ids: read.ids },
      instances: read.ids.length,
      ids: read.ids,
      duplicates: read.duplicates,
      describe: 'command-line arguments',
    };
  }
  if (flags.idsFile === '-') {
    const read = await readStdinIds(io.stdin, flags.idColumn);
    if (read.ids.length <= MAX_INLINE_IDS) {
      return {
        source: { kind: 'inline', ids: read.ids },
        instances: read.ids.length,
        ids: read.ids,
        duplicates: read.duplicates,
        describe: 'stdin',
      };
    }
    const spill = read.ids.join('\n') + '\n';
    return {
      // Replaced by spillIds() once the campaign id is known to be free.
      source: { kind: 'file', path: '(stdin)', format: 'text' },
      instances: read.ids.length,
      ids: read.ids,
      duplicates: read.duplicates,
      describe: `stdin (${read.ids.length} ids, saved under ${join(reportRoot(io.env), 'inputs')} for the workers)`,
      spill,
      bytes: { size: Buffer.byteLength(spill), sha256: createHash('sha256').update(spill).digest('hex') },
    };
  }
  const path = resolve(flags.idsFile ?? '');
  const read = await readIdFile(path, 'auto', flags.idColumn);
  return {
    // The workers read the file again: with the same column.
    source: {
      kind: 'file',
      path,
      format: 'auto',
      ...(flags.idColumn !== undefined ? { idColumn: flags.idColumn } : {}),
    },
    instances: read.ids.length,
    ids: read.ids,
    duplicates: read.duplicates,
    describe: `file ${path} (workers read it from this path)`,
    bytes: read.raw,
  };
}

/**
 * Writes a large stdin id list to REPORT_DIR/inputs/<name>.ids, which every worker shares with
 * the report store. Never overwrites: an existing file may be the source of a running campaign.
 */
export async function spillIds(
  resolved: ResolvedSource,
  env: NodeJS.ProcessEnv,
  name: string,
): Promise<IdSource> {
  if (resolved.spill === undefined) return resolved.source;
  const dir = join(reportRoot(env), 'inputs');
  const path = join(dir, `${checkCampaignId(name)}.ids`);
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(path, resolved.spill, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw usageError(`${path} already exists (the input of an earlier campaign); choose another name`);
    }
    throw usageError(`cannot write ${path}: ${(err as Error).message}`);
  }
  return { kind: 'file', path, format: 'text' };
}

export function addSourceFlags(cmd: Command): Command {
  return cmd
    .option(
      '--ids-file <path>',
      'instance ids: text (one a line), CSV with an instance_id column, or JSON array; - for stdin',
    )
    .option(
      '--id-column <name>',
      'the CSV column of the ids (default instance_id; case, spaces, "-" and "_" ignored: "Instance ID" matches)',
    )
    .option('--all', 'every instance of the fleet (frozen ones are skipped)')
    .option('--name-prefix <prefix>', 'with --all: instances whose name starts with this')
    .addOption(
      new Option('--pool-tag <tag>', 'with --all: instances of this pool scene').choices([
        'CLOUD_APP',
        'CLOUD_PHONE',
      ]),
    )
    .option('--pool-name <name>', 'with --all: instances of this pool');
}
