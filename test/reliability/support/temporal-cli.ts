import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requireTemporalCli } from '../../../src/temporal/locate-cli';

const run = promisify(execFile);

/** The real `temporal` CLI against the test server: what an operator (or an auditor) would see. */
export async function temporalJson(
  args: string[],
  server: { address: string; namespace: string },
): Promise<string> {
  const cli = requireTemporalCli();
  const { stdout } = await run(
    cli.path,
    [...args, '--address', server.address, '--namespace', server.namespace, '--output', 'json'],
    { maxBuffer: 512 * 1024 * 1024, timeout: 60_000 },
  );
  return stdout;
}
