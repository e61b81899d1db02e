#!/usr/bin/env node
import './threadpool';
import { CommanderError, type Command } from 'commander';
import { note, processContext, type CliContext } from './context';
import { toCliError } from './errors';
import { EXIT } from './exit-codes';
import { exitWhenFlushed } from './exit-when-flushed';
import { buildProgram } from './program';

/**
 * "Did you mean": a command the typed word begins (`stat` → status) before commander's edit
 * distance (which offers `start` for `stat`), among the commands of the level it was typed at.
 */
function suggestion(program: Command, argv: string[], typed: string): string | undefined {
  let level = program;
  for (const word of argv.slice(2)) {
    const next = level.commands.find((c) => c.name() === word);
    if (!next) break;
    level = next;
  }
  const names = level.commands.map((c) => c.name()).filter((n) => n !== 'help');
  return names.filter((n) => n.startsWith(typed)).sort((a, b) => a.length - b.length)[0];
}

/** Commander's own exits: help and version are successes, everything else is a usage error. */
function commanderExit(err: CommanderError, ctx: CliContext, program: Command, argv: string[]): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
  if (err.code === 'commander.help' || err.code === 'commander.executeSubCommandAsync') return EXIT.usage;
  let message = err.message.replace(/\n+$/, '').replace(/\n/g, ' ');
  const unknown = /unknown command '([^']+)'/.exec(message);
  const better = unknown && suggestion(program, argv, unknown[1]!);
  if (better) message = message.replace(/\s*\(Did you mean [^)]*\)\s*$/, '') + ` (Did you mean ${better}?)`;
  if (!message.startsWith('error: ')) message = `error: ${message}`;
  note(ctx, `${message} (see --help)`);
  return EXIT.usage;
}

export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const debug = argv.includes('--debug');
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err, ctx, program, argv);
    // `koophone-reset report ID | head`: the reader had enough; not an error.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return ctx.exitCode;
    const cli = toCliError(err);
    note(ctx, `error: ${cli.message}`);
    if (debug) ctx.stderr.write(`${(cli.cause instanceof Error ? cli.cause : cli).stack ?? ''}\n`);
    return cli.exitCode;
  }
}

/**
 * `koophone-reset watch ID --json | head -1`: once the reader is gone there is nobody to tell
 * anything; end at once and quietly (EPIPE arrives as an 'error' event, not as a throw).
 */
function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(EXIT.ok);
      throw err;
    });
  }
}

if (require.main === module) {
  endQuietlyOnClosedPipe();
  main(process.argv).then(exitWhenFlushed, (err: unknown) => {
    // main() catches everything; this is the last guard against a bug in the guard itself.
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    exitWhenFlushed(EXIT.failures);
  });
}
