import pino from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { CAMPAIGN_WORKFLOW } from './campaign/campaign-workflow';

/** Field names whose values never reach a log line, at the top level or one object down. */
const SECRET_FIELDS = [
  'token',
  'password',
  'apiKey',
  'api_key',
  'authorization',
  'connectionString',
  'tlsKey',
];

/** Structured JSON logs for the worker process; secrets are never passed in, and redacted if they are. */
// A bad LOG_LEVEL must not crash the import: the worker's config check names it (exit 2).
const LEVEL = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(
  process.env.LOG_LEVEL ?? '',
)
  ? process.env.LOG_LEVEL!
  : 'info';

const OPTIONS: pino.LoggerOptions = {
  level: LEVEL,
  base: { service: 'koophone-reset' },
  // pino serializes an Error only under `err`; the Temporal SDK logs them under `error` (e.g.
  // "Activity failed", { error }), which JSON.stringify made `{}`.
  serializers: { err: serializeError, error: serializeError },
  redact: {
    paths: [
      ...SECRET_FIELDS,
      ...SECRET_FIELDS.map((f) => `*.${f}`),
      'headers["x-auth-token"]',
      '*.headers["x-auth-token"]',
    ],
    censor: '[redacted]',
  },
};

const prettyOptions = {
  colorize: true,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname,service',
  sync: true,
};
/** JSON lines unless stdout is a terminal; `--json` (logJsonLines) keeps them JSON there too. */
let jsonLines = !process.stdout.isTTY;
let json: pino.DestinationStream | undefined;
let people: pino.DestinationStream | undefined;

/**
 * JSON lines for log collectors; on a terminal (an operator running `worker` by hand) the same
 * lines, already redacted, printed for people by pino-pretty, in-process (no transport thread).
 * The choice is made per line, so `--json` may settle it after this module is loaded.
 */
export const rootLogger = pino(OPTIONS, {
  write(line: string) {
    if (jsonLines) (json ??= pino.destination({ fd: 1, sync: true })).write(line);
    else (people ??= pretty(prettyOptions)).write(line);
  },
});

/** `worker|simulator|dev-server --json`: every log line is JSON, on a terminal too. */
export function logJsonLines(): void {
  jsonLines = true;
}

const LEVELS: Record<LogLevel, pino.Level> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

// The campaign workflow's id IS the campaign id; lines from it and its activities name it as such.

/**
 * The campaign id, batch number and work item of an activity input (`{ campaignId, item }` for
 * resetBatch, `{ campaignId, lane }` for runLane, `{ campaignId, part }` for recordOutcomes):
 * added to every line that activity logs.
 */
export function campaignLogAttributes(input: unknown): Record<string, unknown> {
  if (typeof input !== 'object' || input === null) return {};
  const { campaignId, item, part, lane } = input as {
    campaignId?: unknown;
    item?: unknown;
    part?: unknown;
    lane?: unknown;
  };
  const out: Record<string, unknown> = {};
  if (typeof campaignId === 'string') out.campaignId = campaignId;
  if (typeof lane === 'number') out.lane = lane;
  if (typeof item === 'object' && item !== null) {
    const { batchNo, key } = item as { batchNo?: unknown; key?: unknown };
    if (typeof batchNo === 'number') out.batchNo = batchNo;
    if (typeof key === 'string') out.item = key;
  }
  if (typeof part === 'string') out.item = part;
  return out;
}

/**
 * An error as a log line shows it: its name, message, code, the file it was about, its stack and
 * its cause (JSON.stringify of an Error is `{}`: those fields are not enumerable). Anything else
 * is left as it is.
 */
export function serializeError(value: unknown, depth = 0): unknown {
  if (!(value instanceof Error)) return value;
  const e = value as Error & { code?: unknown; path?: unknown; syscall?: unknown; type?: unknown; cause?: unknown };
  return {
    name: e.name,
    message: e.message,
    ...(typeof e.code === 'string' || typeof e.code === 'number' ? { code: e.code } : {}),
    ...(typeof e.type === 'string' ? { type: e.type } : {}),
    ...(typeof e.path === 'string' ? { path: e.path } : {}),
    ...(typeof e.syscall === 'string' ? { syscall: e.syscall } : {}),
    ...(e.stack ? { stack: e.stack } : {}),
    ...(e.cause !== undefined && depth < 3 ? { cause: serializeError(e.cause, depth + 1) } : {}),
  };
}

/** Log metadata with every Error in it (at the top level or one object down) serialized. */
function withErrors(meta: LogMetadata): LogMetadata {
  let out: LogMetadata | undefined;
  for (const [key, value] of Object.entries(meta)) {
    let shown = serializeError(value);
    if (shown === value && value && typeof value === 'object' && !Array.isArray(value)) {
      const inner = Object.entries(value as Record<string, unknown>);
      if (inner.some(([, v]) => v instanceof Error)) {
        shown = Object.fromEntries(inner.map(([k, v]) => [k, serializeError(v)]));
      }
    }
    if (shown !== value) (out ??= { ...meta })[key] = shown;
  }
  return out ?? meta;
}

function withCampaign(meta: LogMetadata | undefined): LogMetadata {
  if (!meta) return {};
  meta = withErrors(meta);
  if (
    meta.campaignId === undefined &&
    meta.workflowType === CAMPAIGN_WORKFLOW &&
    typeof meta.workflowId === 'string'
  ) {
    return { campaignId: meta.workflowId, ...meta };
  }
  return meta;
}

/** Routes the Temporal SDK's logs (workflow and activity loggers included) through pino. */
export function temporalLogger(logger: pino.Logger = rootLogger): Logger {
  const at = (level: LogLevel) => (message: string, meta?: LogMetadata) =>
    logger[LEVELS[level]](withCampaign(meta), message);
  return {
    log: (level, message, meta) => at(level)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}
