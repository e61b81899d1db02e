import { Argument, Command } from 'commander';
import { registerAccount } from './commands/account';
import { registerCheck } from './commands/check';
import { registerControl } from './commands/control';
import { registerDemo } from './commands/demo';
import { registerDevServer } from './commands/dev-server';
import { registerList } from './commands/list';
import { registerReport } from './commands/report';
import { registerRerun } from './commands/rerun';
import { registerSchedule } from './commands/schedule';
import { registerSimulator } from './commands/simulator';
import { registerStart } from './commands/start';
import { registerWatch } from './commands/watch';
import { registerWorker } from './commands/worker';
import { completionScript, completionTree, SHELLS, type Shell } from './completion';
import { printJson, type CliContext } from './context';
import { usageError } from './exit-codes';
import { addHelpCommand, applyExamples } from './help';

/** The operator interface (docs/design.md "Operator interface"), one command group per file under commands/. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('koophone-reset')
    .description('Reset fleets of KooPhone cloud phones through durable Temporal campaigns')
    .version('0.1.0')
    .option('--debug', 'show stack traces of errors')
    // Errors are printed by the entry point in one line and mapped to the documented exit codes.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      outputError: () => undefined,
    })
    .showSuggestionAfterError(true)
    // Defaults shown in every --help, from the option declarations themselves.
    .configureHelp({ sortSubcommands: false });
  registerStart(program, ctx);
  registerWatch(program, ctx);
  registerList(program, ctx);
  registerControl(program, ctx);
  registerReport(program, ctx);
  registerRerun(program, ctx);
  registerSchedule(program, ctx);
  registerAccount(program, ctx);
  registerWorker(program, ctx);
  registerSimulator(program, ctx);
  registerDevServer(program, ctx);
  registerCheck(program, ctx);
  registerDemo(program, ctx);
  registerCompletion(program, ctx);
  addHelpCommand(program);
  applyExamples(program);
  return program;
}

function registerCompletion(program: Command, ctx: CliContext): void {
  program
    .command('completion')
    .description(
      'print a shell completion script for bash, zsh or fish (--json: the command tree they are made from)',
    )
    .addArgument(new Argument('[shell]', 'the shell').choices(Object.keys(SHELLS)))
    .option(
      '--json',
      'the commands, flags and choices every script completes (docs/schemas/completion.schema.json)',
    )
    .action((shell: Shell | undefined, flags: { json?: boolean }) => {
      if (flags.json && shell)
        throw usageError('--json prints the command tree, not a script: give a shell or --json, not both');
      if (flags.json) return printJson(ctx, completionTree(program));
      if (!shell)
        throw usageError(
          'give a shell: completion bash, completion zsh or completion fish (or completion --json for the command tree)',
        );
      ctx.stdout.write(completionScript(program, shell));
    });
}
