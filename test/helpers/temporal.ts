import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';

export interface TestTemporal {
  address: string;
  namespace: string;
  client: Client;
  nativeConnection: NativeConnection;
}

let shared: Promise<TestTemporal> | undefined;

/**
 * The real Temporal dev server for this test file: the one the test runner started
 * (TEMPORAL_TEST_ADDRESS), or — when a file is run on its own — one started here and stopped
 * after the file.
 */
export function testTemporal(): Promise<TestTemporal> {
  shared ??= (async () => {
    let address = process.env.TEMPORAL_TEST_ADDRESS;
    const namespace = process.env.TEMPORAL_TEST_NAMESPACE ?? 'default';
    let own: DevServer | undefined;
    if (!address) {
      own = await startDevServer({ headless: true });
      address = own.address;
    }
    const connection = await Connection.connect({ address });
    const nativeConnection = await NativeConnection.connect({ address });
    closeShared = async () => {
      await nativeConnection.close();
      await connection.close();
      await own?.stop();
    };
    return { address, namespace, client: new Client({ connection, namespace }), nativeConnection };
  })();
  return shared;
}

let closeShared: (() => Promise<void>) | undefined;

/** Closes the connections (and the file's own server); call from the file's last `after` hook. */
export async function closeTestTemporal(): Promise<void> {
  const close = closeShared;
  shared = undefined;
  closeShared = undefined;
  await close?.();
}
