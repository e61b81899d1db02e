// `koophone-reset completion bash|zsh|fish`: scripts generated from the commander tree itself, so
// every command, flag and choice the CLI knows is completed and no other. Static scripts (rather
// than tabtab or omelette, which call the tool back on every <Tab> and edit the shell's rc files):
// a <Tab> costs nothing, and installing is one line the operator writes where they want it.
import type { Command, Option } from 'commander';

/** One command of the tree (`completion --json` prints them all: docs/schemas/completion.schema.json). */
export interface Level {
  /** Space-separated command path below the program ("" for the top, "schedule create"). */
  path: string;
  subcommands: string[];
  flags: string[];
  /** Flags that take a value, with their choices when they have a fixed set. */
  values: { flag: string; choices?: readonly string[]; file: boolean }[];
}

function visibleOptions(cmd: Command): Option[] {
  return cmd.options.filter((o) => !o.hidden);
}

/** What every script completes, the top level first (also for tools that complete or check the CLI). */
export function completionTree(cmd: Command, prefix: string[] = []): Level[] {
  const options = [...visibleOptions(cmd)];
  const flags = options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
  flags.push('--help');
  const values = options
    .filter((o) => o.required || o.optional)
    .map((o) => ({
      flag: o.long ?? o.short ?? '',
      ...(o.argChoices ? { choices: o.argChoices } : {}),
      file: /file|path|db/.test(o.long ?? ''),
    }));
  const subs = cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
  const here: Level = { path: prefix.join(' '), subcommands: subs.map((c) => c.name()), flags, values };
  return [here, ...subs.flatMap((c) => completionTree(c, [...prefix, c.name()]))];
}

const NAME = 'koophone-reset';
const FN = '_koophone_reset';

function bash(all: Level[]): string {
  const cases = all
    .map((l) => {
      const valueCases = l.values
        .map((v) =>
          v.choices
            ? `      ${v.flag}) COMPREPLY=($(compgen -W "${v.choices.join(' ')}" -- "$cur")); return ;;`
            : v.file
              ? `      ${v.flag}) COMPREPLY=($(compgen -f -- "$cur")); return ;;`
              : `      ${v.flag}) return ;;`,
        )
        .join('\n');
      return `    "${l.path}")
      case "$prev" in
${valueCases}
      esac
      words="${[...l.subcommands, ...l.flags].join(' ')}" ;;`;
    })
    .join('\n');
  return `# bash completion for ${NAME}; load it with: source <(${NAME} completion bash)
${FN}() {
  local cur prev path="" words="" i w
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # The command path: the leading words that name (sub)commands.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && break
    case " $(${FN}_subcommands "$path") " in
      *" $w "*) path="\${path:+$path }$w" ;;
      *) break ;;
    esac
  done
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
${FN}_subcommands() {
  case "$1" in
${all.map((l) => `    "${l.path}") echo "${l.subcommands.join(' ')}" ;;`).join('\n')}
  esac
}
complete -o default -F ${FN} ${NAME}
`;
}

function zsh(all: Level[]): string {
  // zsh reads bash completion functions through bashcompinit: one script, the same behaviour.
  return `#compdef ${NAME}
# zsh completion for ${NAME}; load it with: source <(${NAME} completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash(all).replace(/^# bash completion.*\n/, '')}`;
}

function fish(all: Level[]): string {
  const lines = [`# fish completion for ${NAME}; load it with: ${NAME} completion fish | source`];
  lines.push(`complete -c ${NAME} -e`);
  for (const l of all) {
    // "__fish_seen_subcommand_from" is loose; matching the exact path keeps levels apart.
    const cond = `__fish_${FN}_path_is '${l.path}'`;
    for (const sub of l.subcommands) lines.push(`complete -c ${NAME} -f -n "${cond}" -a ${sub}`);
    for (const flag of l.flags.filter((f) => f.startsWith('--'))) {
      const v = l.values.find((x) => x.flag === flag);
      const arg = v ? (v.choices ? ` -x -a '${v.choices.join(' ')}'` : v.file ? ' -r -F' : ' -x') : '';
      lines.push(`complete -c ${NAME} -n "${cond}" -l ${flag.slice(2)}${arg}`);
    }
  }
  const table = all.map((l) => `'${l.path}:${l.subcommands.join(' ')}'`).join(' ');
  lines.push(`function __fish_${FN}_path_is
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l path ''
    set -l table ${table}
    for t in $tokens
        string match -q -- '-*' $t; and break
        set -l subs ''
        for row in $table
            set -l parts (string split -m 1 ':' $row)
            if test "$parts[1]" = "$path"
                set subs $parts[2]
            end
        end
        contains -- $t (string split ' ' $subs); or break
        if test -z "$path"; set path $t; else; set path "$path $t"; end
    end
    test "$path" = "$argv[1]"
end`);
  return lines.join('\n') + '\n';
}

export const SHELLS = { bash, zsh, fish } as const;
export type Shell = keyof typeof SHELLS;

export function completionScript(program: Command, shell: Shell): string {
  return SHELLS[shell](completionTree(program));
}
