import { Client, Connection } from '@temporalio/client';
import { loadTemporalSettings, type TemporalSettings } from '../temporal/connection-config';
import { CliError, EXIT } from './exit-codes';

/** An operator command fails fast on an unreachable server instead of hanging on retries. */
export const CONNECT_TIMEOUT_MS = 3000;

export interface TemporalSession {
  client: Client;
  connection: Connection;
  settings: TemporalSettings;
}

export function temporalSettings(env: NodeJS.ProcessEnv): TemporalSettings {
  try {
    return loadTemporalSettings(env);
  } catch (err) {
    throw new CliError(EXIT.usage, `Temporal settings: ${(err as Error).message}`, { cause: err });
  }
}

export async function connectTemporal(
  env: NodeJS.ProcessEnv,
  timeoutMs = CONNECT_TIMEOUT_MS,
): Promise<TemporalSession> {
  const settings = temporalSettings(env);
  const { address, tls, apiKey, metadata } = settings.connection;
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, tls, apiKey, metadata, connectTimeout: timeoutMs });
  } catch (err) {
    throw new CliError(
      EXIT.unreachable,
      `cannot reach the Temporal server at ${address} (${(err as Error).message}); ` +
        'start one with `koophone-reset dev-server` or set TEMPORAL_ADDRESS',
      { cause: err },
    );
  }
  return { client: new Client({ connection, namespace: settings.namespace }), connection, settings };
}

/** Runs `fn` with a connected client and always closes the connection. */
export async function withTemporal<T>(
  env: NodeJS.ProcessEnv,
  fn: (session: TemporalSession) => Promise<T>,
): Promise<T> {
  const session = await connectTemporal(env);
  try {
    return await fn(session);
  } finally {
    await session.connection.close();
  }
}

/** Whether a Temporal server answers at `address` (the demo and dev-server decide whether to start one). */
export async function temporalAnswers(address: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const c = await Connection.connect({ address, connectTimeout: timeoutMs });
    await c.close();
    return true;
  } catch {
    return false;
  }
}
