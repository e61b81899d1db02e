import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { ACCOUNT_TASK_QUEUE } from '../campaign/account-names';

export interface TemporalSettings {
  connection: NativeConnectionOptions;
  namespace: string;
  taskQueue: string;
}

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_TASK_QUEUE = 'koophone-reset';
const TASK_QUEUE_PATTERN = /^[\w.:-]{1,200}$/;

/**
 * Temporal connection settings from the environment through @temporalio/envconfig (so a
 * temporal.toml profile, TEMPORAL_API_KEY and TLS work as in every Temporal tool), plus the
 * project's documented short names TEMPORAL_TLS_CERT / _KEY / _CA mapped onto envconfig's.
 */
export function loadTemporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) vars[k] = v;
  if (env.TEMPORAL_TLS_CERT) vars.TEMPORAL_TLS_CLIENT_CERT_PATH ??= env.TEMPORAL_TLS_CERT;
  if (env.TEMPORAL_TLS_KEY) vars.TEMPORAL_TLS_CLIENT_KEY_PATH ??= env.TEMPORAL_TLS_KEY;
  if (env.TEMPORAL_TLS_CA) vars.TEMPORAL_TLS_SERVER_CA_CERT_PATH ??= env.TEMPORAL_TLS_CA;
  const config = loadClientConnectConfig({ overrideEnvVars: vars });
  const connection: NativeConnectionOptions = {
    ...config.connectionOptions,
    address: config.connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS,
  };
  const taskQueue = env.TEMPORAL_TASK_QUEUE || DEFAULT_TASK_QUEUE;
  if (!TASK_QUEUE_PATTERN.test(taskQueue)) {
    throw new Error(`TEMPORAL_TASK_QUEUE "${taskQueue}": letters, digits, ".", ":", "_", "-" only (1-200)`);
  }
  // Every worker polls it for the account coordinator alone: campaigns there would find none of their activities.
  if (taskQueue === ACCOUNT_TASK_QUEUE) {
    throw new Error(
      `TEMPORAL_TASK_QUEUE "${taskQueue}" is the account coordinator's, which every worker polls beside its own: choose another`,
    );
  }
  return { connection, namespace: config.namespace ?? 'default', taskQueue };
}
