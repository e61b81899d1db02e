#!/usr/bin/env node
import { CommanderError } from 'commander';
import { processContext, type CliContext } from './context';
import { toCliError } from './errors';
import { EXIT } from './exit-codes';
import { exitWhenFlushed } from './exit-when-flushed';
import { buildProgram } from './program';

/** Commander's own exits: help and version are successes, everything else is a usage error. */
function commanderExit(err: CommanderError, ctx: CliContext): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
  if (err.code === 'commander.help' || err.code === 'commander.executeSubCommandAsync') return EXIT.usage;
  ctx.stderr.write(`${err.message.replace(/\n+$/, '').replace(/\n/g, ' ')} (see --help)\n`);
  return EXIT.usage;
}

export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    await buildProgram(ctx).parseAsync(argv);
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err, ctx);
    // `koophone-reset report ID | head`: the reader had enough; not an error.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return ctx.exitCode;
    const cli = toCliError(err);
    ctx.stderr.write(`error: ${cli.message}\n`);
    if (debug) ctx.stderr.write(`${(cli.cause instanceof Error ? cli.cause : cli).stack ?? ''}\n`);
    return cli.exitCode;
  }
}

if (require.main === module) {
  main(process.argv).then(exitWhenFlushed, (err: unknown) => {
    // main() catches everything; this is the last guard against a bug in the guard itself.
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    exitWhenFlushed(EXIT.failures);
  });
}
