import { createKoophoneClient, loadKoophoneConfig } from '../koophone';
import type { IdSource } from '../campaign/options';
import { KoophoneError } from '../koophone/errors';
import { selectFleet, type FleetSelection } from '../sources';
import { toCliError } from './errors';
import { CliError, usageError } from './exit-codes';

type FleetSource = Extract<IdSource, { kind: 'fleet' }>;

/** True when this shell has KooPhone credentials (workers always do; operators may not). */
export function hasKoophoneCredentials(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.KOOPHONE_TOKEN?.trim() || env.KOOPHONE_IAM_USERNAME?.trim());
}

/**
 * The phones an `--all` campaign selects, listed now with the same rule the worker's prepare
 * uses: the plan counts them, the operator approves them, and their fingerprint pins the
 * campaign (prepare lists again and refuses a fleet that changed in between). Needs KooPhone
 * credentials in the operator's shell: an unlisted fleet could not be shown or approved.
 */
export async function listFleet(env: NodeJS.ProcessEnv, source: FleetSource): Promise<FleetSelection> {
  if (!hasKoophoneCredentials(env)) {
    throw usageError(
      '--all lists the fleet before anything starts, so the plan shows the phones you approve: ' +
        'set KOOPHONE_TOKEN (or KOOPHONE_IAM_*) in this shell, as on the workers',
    );
  }
  let config;
  try {
    config = loadKoophoneConfig(env);
  } catch (err) {
    throw usageError((err as Error).message.replace(/\s*\n\s*-?\s*/g, ' '));
  }
  const client = createKoophoneClient({ ...config, timeoutMs: Math.min(config.timeoutMs, 10_000) });
  try {
    return await selectFleet(
      client.iterateInstances(
        {
          ...(source.namePrefix !== undefined ? { instanceName: source.namePrefix } : {}),
          ...(source.poolTag !== undefined ? { poolSceneTag: source.poolTag } : {}),
          ...(source.poolName !== undefined ? { poolName: source.poolName } : {}),
        },
        1000,
      ),
    );
  } catch (err) {
    const cli = toCliError(err);
    const where = err instanceof KoophoneError ? ` at ${config.endpoint}` : '';
    throw new CliError(cli.exitCode, `cannot list the fleet${where}: ${cli.message}`, { cause: err });
  }
}
