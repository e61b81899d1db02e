import { createKoophoneClient, loadKoophoneConfig } from '../koophone';
import type { IdSource } from '../campaign/options';
import { KoophoneError } from '../koophone/errors';
import { toCliError } from './errors';
import { CliError, usageError } from './exit-codes';

type FleetSource = Extract<IdSource, { kind: 'fleet' }>;

/** True when this shell has KooPhone credentials (workers always do; operators may not). */
export function hasKoophoneCredentials(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.KOOPHONE_TOKEN?.trim() || env.KOOPHONE_IAM_USERNAME?.trim());
}

/**
 * How many instances an `--all` campaign selects, for the plan, asked from KooPhone with one
 * one-item page. Without credentials in the operator's shell the worker counts them instead.
 */
export async function countFleet(env: NodeJS.ProcessEnv, source: FleetSource): Promise<number | undefined> {
  if (!hasKoophoneCredentials(env)) return undefined;
  let config;
  try {
    config = loadKoophoneConfig(env);
  } catch (err) {
    throw usageError((err as Error).message.replace(/\s*\n\s*-?\s*/g, ' '));
  }
  const client = createKoophoneClient({ ...config, timeoutMs: Math.min(config.timeoutMs, 10_000) });
  try {
    const page = await client.listInstances({
      pageNo: 1,
      pageSize: 1,
      ...(source.namePrefix !== undefined ? { instanceName: source.namePrefix } : {}),
      ...(source.poolTag !== undefined ? { poolSceneTag: source.poolTag } : {}),
      ...(source.poolName !== undefined ? { poolName: source.poolName } : {}),
    });
    return page.totalCount;
  } catch (err) {
    const cli = toCliError(err);
    const where = err instanceof KoophoneError ? ` at ${config.endpoint}` : '';
    throw new CliError(cli.exitCode, `cannot count the fleet${where}: ${cli.message}`, { cause: err });
  }
}
