import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { processContext } from '../../src/cli/context';
import { buildProgram } from '../../src/cli/program';
import { CLI, cliEnv, hasStackTrace, runCli } from './run-cli';

// Help, topics, completion and suggestions, read from the BUILT CLI as an operator sees them.
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

const env = cliEnv({});

describe('koophone-reset help, completion and suggestions', () => {
  const paths = [[], ...commandPaths(buildProgram(processContext()))];

  describe('every command has --help with an example', { concurrency: 4 }, () => {
    for (const path of paths) {
      it(`koophone-reset ${path.join(' ')} --help`.replace(/\s+/g, ' '), async () => {
        const run = await runCli([...path, '--help'], env, undefined, 180_000);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /\nExamples:\n {2}\$ .*koophone-reset /);
      });
    }
  });

  it('shows defaults, the simulator included', async () => {
    const start = await runCli(['start', '--help'], env);
    // From the schema's default, in the form the flag takes.
    assert.match(start.stdout, /--retry-delay <dur>[\s\S]*?\(default: 5m\)/);
    // On rerun an absent flag keeps the old campaign's value: no default to show.
    const rerun = await runCli(['rerun', '--help'], env);
    assert.doesNotMatch(rerun.stdout, /--retry-delay <dur>[^-]*default/);
    const sim = await runCli(['simulator', '--help'], env);
    assert.match(sim.stdout, /--instances <n>\s+fleet size \(default: 10000\)/);
  });

  it('help environment and help exit-codes', async () => {
    const envHelp = await runCli(['help', 'environment'], env);
    assert.equal(envHelp.code, 0, envHelp.stderr);
    for (const name of ['TEMPORAL_ADDRESS', 'KOOPHONE_TOKEN', 'REPORT_DIR', 'REPORT_SINK', 'LOG_LEVEL'])
      assert.match(envHelp.stdout, new RegExp(`^\\s+${name}\\b`, 'm'));
    const codes = await runCli(['help', 'exit-codes'], env);
    assert.equal(codes.code, 0, codes.stderr);
    for (const code of ['0', '1', '2', '3'])
      assert.match(codes.stdout, new RegExp(`^ {2}${code} {4}\\S`, 'm'));
    const sub = await runCli(['help', 'schedule', 'create'], env);
    assert.match(sub.stdout, /Usage: koophone-reset schedule create/);
    const unknown = await runCli(['help', 'frobnicate'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^error: unknown help topic or command 'frobnicate'/);
  });

  it('"did you mean" offers the command the typed word begins', async () => {
    const cases: [string[], string][] = [
      [['stat'], 'status'],
      [['schedule', 'lst'], 'list'],
      [['strat'], 'start'],
    ];
    for (const [args, expected] of cases) {
      const run = await runCli(args, env);
      assert.equal(run.code, 2);
      assert.match(run.stderr, new RegExp(`\\(Did you mean ${expected}\\?\\)`), run.stderr);
      assert.ok(!hasStackTrace(run.stderr));
    }
  });

  it('the bash completion script loads and completes commands, subcommands and choices', () => {
    const complete = (words: string[]): string =>
      execFileSync(
        'bash',
        [
          '-c',
          `source <("${process.execPath}" "${CLI}" completion bash) && complete -p koophone-reset >/dev/null && ` +
            `COMP_WORDS=(${words.map((w) => `"${w}"`).join(' ')}); COMP_CWORD=${words.length - 1}; ` +
            '_koophone_reset; echo "${COMPREPLY[*]}"',
        ],
        { encoding: 'utf8' },
      ).trim();
    assert.equal(complete(['koophone-reset', 'sta']), 'start status');
    assert.equal(complete(['koophone-reset', 'schedule', 'un']), 'unpause');
    assert.equal(complete(['koophone-reset', 'start', '--pool-tag', '']), 'CLOUD_APP CLOUD_PHONE');
    assert.match(
      complete(['koophone-reset', 'start', '--retry-']),
      /--retry-failed --retry-delay --retry-timed-out/,
    );
  });

  for (const shell of ['zsh', 'fish'] as const) {
    const found = spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
    it(`the ${shell} completion script loads`, { skip: found ? false : `${shell} is not installed` }, () => {
      const load =
        shell === 'zsh'
          ? `autoload -U compinit && compinit -u && source <("${process.execPath}" "${CLI}" completion zsh) && echo ok`
          : `"${process.execPath}" "${CLI}" completion fish | source; and complete -c koophone-reset | grep -q -- '-a schedule'; and echo ok`;
      const outText = execFileSync(shell, ['-c', load], {
        encoding: 'utf8',
        env: { ...process.env, HOME: '/tmp' },
      });
      assert.match(outText, /ok\s*$/);
    });
  }

  it('completion for an unknown shell is refused with the choices', async () => {
    const run = await runCli(['completion', 'tcsh'], env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /Allowed choices are bash, zsh, fish/);
  });
});
