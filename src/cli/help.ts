// Help the way `gh` has it: examples under every command, and topics (`help environment`,
// `help exit-codes`) for what belongs to no single command.
import type { Command } from 'commander';
import { EXIT } from './exit-codes';

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
  'schedule pause': ['koophone-reset schedule pause nightly --note "holiday freeze"'],
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
  help: ['koophone-reset help start', 'koophone-reset help environment', 'koophone-reset help exit-codes'],
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

const ENVIRONMENT = `Environment variables (the CLI and the worker read the same ones):

Temporal (read through @temporalio/envconfig, so a temporal.toml profile works too)
  TEMPORAL_ADDRESS          server host:port (default 127.0.0.1:7233)
  TEMPORAL_NAMESPACE        namespace (default "default")
  TEMPORAL_TASK_QUEUE       task queue of the workers (default koophone-reset)
  TEMPORAL_API_KEY          API key (Temporal Cloud)
  TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_CA
                            mTLS client certificate, key and server CA (paths)

KooPhone (worker only; secrets never enter workflow inputs, history, logs or reports)
  KOOPHONE_ENDPOINT         API base URL
  KOOPHONE_TOKEN            a static token, or else:
  KOOPHONE_IAM_ENDPOINT, KOOPHONE_IAM_USERNAME, KOOPHONE_IAM_PASSWORD,
  KOOPHONE_IAM_DOMAIN, KOOPHONE_IAM_PROJECT (or KOOPHONE_IAM_PROJECT_ID)
                            IAM credentials the worker exchanges for tokens
  KOOPHONE_TIMEOUT_MS       timeout of one API call in milliseconds

Reports
  REPORT_DIR                folder of per-instance reports (default ./reports; every worker of a
                            task queue must see the same folder); ids files go to REPORT_DIR/inputs
  REPORT_SINK               file:PATH (same as REPORT_DIR) or postgres://… (a shared database)

Worker
  LOG_LEVEL                 trace|debug|info|warn|error|fatal|silent (default info); logs are
                            human-readable on a terminal, JSON lines otherwise
  WORKER_MAX_ACTIVITIES     activities run at once (default 200)
  METRICS_PORT, METRICS_HOST
                            Prometheus endpoints (off unless METRICS_PORT is set; the SDK's own on
                            METRICS_PORT+1; host default 0.0.0.0)
  WORKER_SHUTDOWN_GRACE_MS  how long SIGTERM lets activities finish (default 20000)
  WORKFLOW_BUNDLE           a prebuilt workflow bundle (npm run bundle:workflows)
`;

const EXIT_CODES = `Exit codes (scripts and schedules may branch on them):

  ${EXIT.ok}    success; for start --wait, watch and demo: the campaign completed and no instance failed
  ${EXIT.failures}    the campaign completed with failures, or was aborted, canceled or failed
  ${EXIT.usage}    bad flag, bad id, unreadable file, unknown campaign, request refused; nothing was started
  ${EXIT.unreachable}    the Temporal server or the KooPhone endpoint cannot be reached
  130  stopped watching with Ctrl-C (the campaign goes on)
`;

export const HELP_TOPICS: Record<string, string> = {
  environment: ENVIRONMENT,
  'exit-codes': EXIT_CODES,
};

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
    .action((words: string[]) => {
      const topic = HELP_TOPICS[words.join(' ')];
      if (topic !== undefined) {
        program.configureOutput().writeOut?.(topic);
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
      target.outputHelp();
    });
  program.addHelpText(
    'after',
    `\nHelp topics:\n  koophone-reset help environment   environment variables\n  koophone-reset help exit-codes    what each exit code means\n`,
  );
}
