import type { Command } from 'commander';
import type { CliContext } from '../context';
import type { DemoFlags } from '../demo-run';

export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description(
      'the embedded default: dev server + simulator + worker + one campaign over the fleet, with progress',
    )
    .option('--instances <n>', 'simulated fleet size', '10000')
    .option('--rate <n>', 'batch-reset calls per second', '10')
    .option(
      '--temporal-address <host:port>',
      'where the demo starts its dev server (default: TEMPORAL_ADDRESS or 127.0.0.1:7233)',
    )
    .option('--ui-port <port>', "the dev server's web UI (default: 8233, or the Temporal port + 1000)")
    .option('--sim-port <port>', 'the simulated KooPhone API (0: any free port)', '0')
    .option('--reuse-server', 'use a Temporal server that already answers on the address instead of refusing')
    .option(
      '--json',
      'print the result as one JSON object (docs/schemas/demo.schema.json); progress goes to stderr',
    )
    .action(async (flags: DemoFlags) => {
      // Loaded on use: the worker SDK and the simulator would slow every other command's start.
      const { runDemo } = await import('../demo-run');
      ctx.exitCode = await runDemo(ctx, flags);
    });
}
