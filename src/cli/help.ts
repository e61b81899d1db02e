// Help the way `gh` has it: examples under every command, and topics (`help environment`,
// `help exit-codes`) for what belongs to no single command.
import type { Command } from 'commander';
import { EXIT } from './exit-codes';
import { toJson } from './json-output';

/** Appends an "Examples:" section to a command's --help. */
export function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

const ID = 'reset-20260101-030000-ab12';

/** Examples per command path; applyExamples refuses a command that has none. */
const EXAMPLES: Record<string, string[]> = {
  '': [
    'koophone-reset demo',
    'koophone-reset start --ids-file fleet.csv --rate 5 --wait',
    `koophone-reset watch ${ID}`,
  ],
  start: [
    'koophone-reset start abc123 def456 --dry-run',
    'koophone-reset start --ids-file fleet.csv --batch-size 50 --rate 5 --max-errors 2%',
    'koophone-reset start --all --pool-name "Shanghai A" --window "0 1 * * SUN/4h/Asia/Shanghai"',
    'koophone-reset start --ids-file - --retry-delay 10m --job-timeout 1h30m --wait < ids.txt',
    'koophone-reset start --all --yes --skip-overlap',
  ],
  watch: [`koophone-reset watch ${ID}`, `koophone-reset watch ${ID} --json | head -1`],
  status: [
    `koophone-reset status ${ID}`,
    `koophone-reset status ${ID} --json | jq '{state, succeeded, failed, timedOut}'`,
  ],
  list: [
    'koophone-reset list',
    'koophone-reset list --state running',
    'koophone-reset list --state completed,aborted --since 7d --limit 20 --json',
  ],
  pause: [`koophone-reset pause ${ID} --reason "API errors upstream"`],
  resume: [`koophone-reset resume ${ID}`],
  cancel: [`koophone-reset cancel ${ID} --reason "wrong fleet"`, `koophone-reset cancel ${ID} --now`],
  report: [
    `koophone-reset report ${ID} > report.csv`,
    `koophone-reset report ${ID} --format ndjson | jq 'select(.outcome != "succeeded")'`,
    `koophone-reset report ${ID} --format html --out report.html`,
  ],
  rerun: [
    `koophone-reset rerun ${ID} --outcome failed,timed_out`,
    `koophone-reset rerun ${ID} --outcome rejected --campaign-id ${ID}-retry --rate 2 --wait`,
  ],
  account: [
    'koophone-reset account',
    'koophone-reset account --rate 40 --query-rate 100',
    'koophone-reset account --clear',
  ],
  schedule: [
    'koophone-reset schedule create nightly --cron "0 3 * * *" --timezone Asia/Shanghai --all',
    'koophone-reset schedule list',
  ],
  'schedule create': [
    'koophone-reset schedule create weekly --cron "0 3 * * SUN" --ids-file /shared/fleet.csv',
    'koophone-reset schedule create nightly --cron "0 2 * * *" --timezone Asia/Shanghai --all --paused',
  ],
  'schedule list': ['koophone-reset schedule list', 'koophone-reset schedule list --json'],
  'schedule describe': ['koophone-reset schedule describe nightly'],
  'schedule update': [
    'koophone-reset schedule update nightly --cron "0 4 * * *" --rate 10',
    'koophone-reset schedule update nightly --ids-file /shared/fleet-b.csv --yes --json',
  ],
  'schedule pause': ['koophone-reset schedule pause nightly --reason "holiday freeze"'],
  'schedule unpause': ['koophone-reset schedule unpause nightly'],
  'schedule trigger': ['koophone-reset schedule trigger nightly'],
  'schedule delete': ['koophone-reset schedule delete nightly'],
  worker: [
    'KOOPHONE_ENDPOINT=https://… KOOPHONE_TOKEN=… koophone-reset worker',
    'REPORT_SINK=postgres://koophone@db/koophone LOG_LEVEL=debug koophone-reset worker',
    'koophone-reset worker --json | tee -a worker.ndjson      # JSON lines on a terminal too',
  ],
  simulator: [
    'koophone-reset simulator',
    'koophone-reset simulator --port 0 --instances 100000 --seed 7',
    "koophone-reset simulator --port 0 --json | jq -r 'select(.url) | .url'",
  ],
  'dev-server': [
    'koophone-reset dev-server',
    'koophone-reset dev-server --port 7300 --ui-port 8300 --headless',
    "koophone-reset dev-server --headless --json | jq -r 'select(.address) | .address'",
  ],
  check: ['koophone-reset check', 'koophone-reset check --timeout 2m --json'],
  demo: [
    'koophone-reset demo',
    'koophone-reset demo --instances 1000 --rate 20',
    'koophone-reset demo --temporal-address 127.0.0.1:7300 --ui-port 8300 --sim-port 8800',
    "koophone-reset demo --instances 100 --json 2>/dev/null | jq '.status'",
  ],
  completion: [
    'source <(koophone-reset completion bash)      # in ~/.bashrc',
    'source <(koophone-reset completion zsh)       # in ~/.zshrc',
    'koophone-reset completion fish | source       # in ~/.config/fish/config.fish',
    "koophone-reset completion --json | jq -r '.[].path'",
  ],
  help: [
    'koophone-reset help start',
    'koophone-reset help environment',
    'koophone-reset help exit-codes',
    'koophone-reset help exit-codes --json | jq -r \'.exitCodes[] | "\\(.code) \\(.meaning)"\'',
  ],
};

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Adds its examples to every command of the tree; a command without any is a bug. */
export function applyExamples(cmd: Command): void {
  const path = commandPath(cmd);
  const lines = EXAMPLES[path];
  if (!lines) throw new Error(`no help examples for "${path}" (add them to EXAMPLES in src/cli/help.ts)`);
  examples(cmd, lines);
  cmd.commands.forEach(applyExamples);
}

/** One variable (or a set read together) of `help environment`; `--json` lists each name. */
interface EnvironmentEntry {
  names: string[];
  meaning: string;
}

const ENVIRONMENT: { group: string; entries: EnvironmentEntry[] }[] = [
  {
    group: 'Temporal (read through @temporalio/envconfig, so a temporal.toml profile works too)',
    entries: [
      { names: ['TEMPORAL_ADDRESS'], meaning: 'server host:port (default 127.0.0.1:7233)' },
      { names: ['TEMPORAL_NAMESPACE'], meaning: 'namespace (default "default")' },
      { names: ['TEMPORAL_TASK_QUEUE'], meaning: 'task queue of the workers (default koophone-reset)' },
      { names: ['TEMPORAL_API_KEY'], meaning: 'API key (Temporal Cloud)' },
      {
        names: ['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_CA'],
        meaning: 'mTLS client certificate, key and server CA (paths)',
      },
    ],
  },
  {
    group: 'KooPhone (worker only; secrets never enter workflow inputs, history, logs or reports)',
    entries: [
      { names: ['KOOPHONE_ENDPOINT'], meaning: 'API base URL' },
      { names: ['KOOPHONE_TOKEN'], meaning: 'a static token, or else the IAM credentials below' },
      {
        names: [
          'KOOPHONE_IAM_ENDPOINT',
          'KOOPHONE_IAM_USERNAME',
          'KOOPHONE_IAM_PASSWORD',
          'KOOPHONE_IAM_DOMAIN',
          'KOOPHONE_IAM_PROJECT',
          'KOOPHONE_IAM_PROJECT_ID',
        ],
        meaning:
          'IAM credentials the worker exchanges for tokens (KOOPHONE_IAM_PROJECT or KOOPHONE_IAM_PROJECT_ID)',
      },
      { names: ['KOOPHONE_TIMEOUT_MS'], meaning: 'timeout of one API call in milliseconds' },
    ],
  },
  {
    group: 'Reports',
    entries: [
      {
        names: ['REPORT_DIR'],
        meaning:
          'folder of per-instance reports (default ./reports; every worker of a task queue must see the same folder); ids files go to REPORT_DIR/inputs',
      },
      {
        names: ['REPORT_SINK'],
        meaning: 'file:PATH (same as REPORT_DIR) or postgres://… (a shared database)',
      },
    ],
  },
  {
    group: 'Worker',
    entries: [
      {
        names: ['LOG_LEVEL'],
        meaning:
          'trace|debug|info|warn|error|fatal|silent (default info); logs are human-readable on a terminal, JSON lines otherwise (worker --json: always JSON)',
      },
      { names: ['WORKER_MAX_ACTIVITIES'], meaning: 'activities run at once (default 200)' },
      {
        names: ['METRICS_PORT', 'METRICS_HOST'],
        meaning:
          "Prometheus endpoints (off unless METRICS_PORT is set; the SDK's own on METRICS_PORT+1; host default 0.0.0.0)",
      },
      {
        names: ['WORKER_SHUTDOWN_GRACE_MS'],
        meaning: 'how long SIGTERM lets activities finish (default 20000)',
      },
      { names: ['WORKFLOW_BUNDLE'], meaning: 'another workflow bundle than dist/workflow-bundle.js (npm run build makes that one)' },
    ],
  },
];

const EXIT_CODES: { code: number; meaning: string }[] = [
  {
    code: EXIT.ok,
    meaning: 'success; for start --wait, watch and demo: the campaign completed and no instance failed',
  },
  {
    code: EXIT.failures,
    meaning: 'the campaign completed with failures, or was aborted, canceled or failed',
  },
  {
    code: EXIT.usage,
    meaning: 'bad flag, bad id, unreadable file, unknown campaign, request refused; nothing was started',
  },
  { code: EXIT.unreachable, meaning: 'the Temporal server or the KooPhone endpoint cannot be reached' },
  {
    code: EXIT.blocked,
    meaning:
      "start --wait, watch: the campaign is blocked (KooPhone rejects the workers' token, or its report store fails); it sends nothing new and resumes by itself once the cause is fixed (watch --through-blocked waits on)",
  },
  { code: 130, meaning: 'stopped watching with Ctrl-C (the campaign goes on)' },
];

const WIDTH = 100;
const MEANING_AT = 28;

/** `text` in lines of at most WIDTH columns, each starting `indent` columns in. */
function wrap(text: string, indent: number, separator = ' '): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(separator)) {
    const next = line ? `${line}${separator}${word}` : word;
    if (line && indent + next.length > WIDTH) {
      lines.push(' '.repeat(indent) + line + separator.trimEnd());
      line = word;
    } else line = next;
  }
  lines.push(' '.repeat(indent) + line);
  return lines;
}

function environmentText(): string {
  const blocks = ENVIRONMENT.map(({ group, entries }) => {
    const lines = [group];
    for (const { names, meaning } of entries) {
      const name = names.join(', ');
      const text = wrap(meaning, MEANING_AT);
      if (2 + name.length < MEANING_AT)
        lines.push(`  ${name.padEnd(MEANING_AT - 2)}${text.shift()!.trimStart()}`);
      else lines.push(...wrap(name, 2, ', '));
      lines.push(...text);
    }
    return lines.join('\n');
  });
  return `Environment variables (the CLI and the worker read the same ones):\n\n${blocks.join('\n\n')}\n`;
}

function exitCodesText(): string {
  const lines = EXIT_CODES.map(({ code, meaning }) => `  ${String(code).padEnd(5)}${meaning}`);
  return `Exit codes (scripts and schedules may branch on them):\n\n${lines.join('\n')}\n`;
}

/** Each topic as people read it and as `--json` prints it (docs/schemas/help.schema.json). */
export const HELP_TOPICS: Record<string, { text: () => string; json: () => object }> = {
  environment: {
    text: environmentText,
    json: () => ({
      topic: 'environment',
      variables: ENVIRONMENT.flatMap(({ group, entries }) =>
        entries.flatMap(({ names, meaning }) => names.map((name) => ({ name, group, meaning }))),
      ),
    }),
  },
  'exit-codes': {
    text: exitCodesText,
    json: () => ({ topic: 'exit-codes', exitCodes: EXIT_CODES }),
  },
};

/** What `help COMMAND --json` says of a command: its --help, as data. */
function commandJson(cmd: Command) {
  const path = commandPath(cmd);
  return {
    command: path,
    description: cmd.description(),
    usage: `koophone-reset ${path ? `${path} ` : ''}${cmd.usage()}`,
    arguments: cmd.registeredArguments.map((a) => ({
      name: a.name(),
      description: a.description,
      required: a.required,
      variadic: a.variadic,
      ...(a.argChoices ? { choices: a.argChoices } : {}),
    })),
    options: cmd.options
      .filter((o) => !o.hidden)
      .map((o) => ({
        flags: o.flags,
        description: o.description,
        takesValue: o.required || o.optional,
        ...(o.defaultValueDescription !== undefined || o.defaultValue !== undefined
          ? {
              default:
                o.defaultValueDescription ??
                (typeof o.defaultValue === 'string' ? o.defaultValue : JSON.stringify(o.defaultValue)),
            }
          : {}),
        ...(o.argChoices ? { choices: o.argChoices } : {}),
      })),
    subcommands: cmd.commands.map((c) => c.name()),
    examples: EXAMPLES[path] ?? [],
  };
}

/**
 * `help [command...]` and `help TOPIC`, replacing commander's built-in help command so topics sit
 * next to commands.
 */
export function addHelpCommand(program: Command): void {
  program.helpCommand(false);
  program
    .command('help')
    .description(`help for a command, or a topic: ${Object.keys(HELP_TOPICS).join(', ')}`)
    .argument('[command...]', 'a command (e.g. schedule create) or a topic')
    .option('--json', "the topic or the command's help as data (docs/schemas/help.schema.json)")
    .action((words: string[], flags: { json?: boolean }) => {
      const write = (text: string) => program.configureOutput().writeOut?.(text);
      const topic = HELP_TOPICS[words.join(' ')];
      if (topic !== undefined) {
        write(flags.json ? `${toJson(topic.json())}\n` : topic.text());
        return;
      }
      let target: Command = program;
      for (const word of words) {
        const next = target.commands.find((c) => c.name() === word || c.aliases().includes(word));
        if (!next) {
          target.error(
            `unknown help topic or command '${words.join(' ')}' (commands: ${program.commands
              .map((c) => c.name())
              .join(', ')}; topics: ${Object.keys(HELP_TOPICS).join(', ')})`,
          );
        }
        target = next;
      }
      if (flags.json) write(`${toJson(commandJson(target))}\n`);
      else target.outputHelp();
    });
  program.addHelpText(
    'after',
    `\nHelp topics:\n  koophone-reset help environment   environment variables\n  koophone-reset help exit-codes    what each exit code means\n`,
  );
}
