import type { Command } from 'commander';
import type { CliContext } from '../context';

export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description(
      'the embedded default: dev server + simulator + worker + one campaign over the fleet, with progress',
    )
    .option('--instances <n>', 'simulated fleet size', '10000')
    .option('--rate <n>', 'batch-reset calls per second', '10')
    .action(async (flags: { instances: string; rate: string }) => {
      // Loaded on use: the worker SDK and the simulator would slow every other command's start.
      const { runDemo } = await import('../demo-run');
      ctx.exitCode = await runDemo(ctx, flags);
    });
}
