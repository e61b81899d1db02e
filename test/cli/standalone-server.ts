import { after, before } from 'node:test';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';

/**
 * When a CLI test file runs on its own (not under scripts/run-tests.ts), starts the dev server
 * here and publishes it as TEMPORAL_TEST_ADDRESS before test/helpers/temporal.ts looks.
 *
 * Why not let that helper start it: it registers its clean-up `after` from inside an async
 * `before`, after awaiting native gRPC calls, and node:test then never runs it — the server
 * and its connections stay alive and the file never exits. Call this before campaignEnv() or
 * testTemporal(), and call the returned function last so the server stops after the worker.
 */
export function standaloneDevServer(): () => void {
  let own: DevServer | undefined;
  before(async () => {
    if (process.env.TEMPORAL_TEST_ADDRESS) return;
    own = await startDevServer({ headless: true });
    process.env.TEMPORAL_TEST_ADDRESS = own.address;
  });
  return () =>
    after(async () => {
      if (!own) return;
      await own.stop();
      delete process.env.TEMPORAL_TEST_ADDRESS;
    });
}
