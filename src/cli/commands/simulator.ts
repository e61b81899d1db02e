import { Option, type Command } from 'commander';
// The flag table only (zod); the HTTP server is loaded when the command runs.
import { DEFAULT_SIM_TOKEN, parseSimulatorOptions, simulatorFlags } from '../../simulator/options';
import { out, type CliContext } from '../context';
import { usageError } from '../exit-codes';
import { jsonLog } from '../json-log';
import { untilInterrupted } from '../signals';

export function registerSimulator(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('simulator')
    .description(
      'run a local KooPhone simulator (the four endpoints, a seeded fleet, fault injection) until Ctrl-C',
    );
  // Generated from the simulator's own flag table, so every option it knows is here and no other.
  const options = simulatorFlags.map((f) => {
    const option = new Option(
      `${f.flag} ${f.placeholder}`,
      `${f.description}${f.runtime ? ' (changeable at runtime)' : ''} (default: ${f.defaultValue})`,
    );
    option.default(undefined, f.defaultValue);
    cmd.addOption(option);
    return { key: f.key, attribute: option.attributeName() };
  });
  cmd.option('--json', 'JSON log lines (the start-up line: docs/schemas/simulator-started.schema.json)');
  cmd.action(async (flags: Record<string, unknown>) => {
    const raw = Object.fromEntries(options.map((o) => [o.key, flags[o.attribute]]));
    let parsed;
    try {
      parsed = parseSimulatorOptions(raw);
    } catch (err) {
      throw usageError((err as Error).message);
    }
    const { startSimulator } = await import('../../simulator');
    // With --json the simulator's own start-up line is the one line it prints until stopped.
    const log = flags.json ? await jsonLog() : undefined;
    // Ctrl-C right after the start-up line (logged as it starts listening) stops it cleanly too.
    const interrupted = untilInterrupted();
    const sim = await startSimulator(parsed, log ? { logger: log } : {}).catch(
      (err: NodeJS.ErrnoException) => {
        interrupted.release();
        if (err.code === 'EADDRINUSE')
          throw usageError(`port ${parsed.port} is in use; pick another with --port (0: any free port)`);
        throw err;
      },
    );
    if (!log) {
      out(
        ctx,
        `KooPhone simulator listening on ${sim.url} (${sim.fleet.size} instances, seed ${parsed.seed})`,
      );
      // Only the well-known default token is shown; a token the operator chose stays off the screen.
      const token = parsed.token === DEFAULT_SIM_TOKEN ? DEFAULT_SIM_TOKEN : '<your --token>';
      out(ctx, `  worker env:  KOOPHONE_ENDPOINT=${sim.url} KOOPHONE_TOKEN=${token}`);
      out(ctx, `  admin:       ${sim.url}/__sim/stats, POST ${sim.url}/__sim/faults`);
      out(ctx, 'Ctrl-C stops it');
    }
    await interrupted.promise;
    interrupted.release();
    await sim.close();
    if (log) log.info('simulator stopped');
    else out(ctx, 'simulator stopped');
  });
}
