import { z } from 'zod';

export interface Range {
  min: number;
  max: number;
}

/** Numbers from a CLI arrive as text. */
const number = () =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
    z.number(),
  );

const int = (min: number, max: number) => number().pipe(z.number().int().min(min).max(max));
const rate = () => number().pipe(z.number().min(0).max(1));

/** A switch: `true`/`false`, or from a CLI `on`/`off` (a bare `--flag` arrives as `true`). */
const toggle = () =>
  z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    const text = value.trim().toLowerCase();
    if (['on', 'true', 'yes', '1'].includes(text)) return true;
    if (['off', 'false', 'no', '0'].includes(text)) return false;
    return value;
  }, z.boolean());

/**
 * Huawei Cloud's API gateway refuses request bodies over 12 MB (413 APIGW.0201). A batch-reset of
 * 100 ids is ~4 KB, so only a lowered --body-limit-bytes makes the simulator answer 413.
 */
export const DEFAULT_BODY_LIMIT_BYTES = 12 * 1024 * 1024;

/** A day: jobs can be slow, but the job store keeps durations in 32 bits. */
const MAX_RANGE_MS = 86_400_000;

/** `"MIN..MAX"`, a single number, or `{ min, max }`; milliseconds, MIN ≤ MAX. */
const range = () =>
  z
    .union([
      z.number(),
      z.string().regex(/^\s*\d+(\.\d+)?\s*(\.\.\s*\d+(\.\d+)?\s*)?$/, 'expected "MIN..MAX" or a number'),
      z.object({ min: z.number(), max: z.number() }),
    ])
    .transform((value): Range => {
      if (typeof value === 'number') return { min: value, max: value };
      if (typeof value === 'object') return value;
      const [min, max = min] = value.split('..').map((part) => Number(part.trim()));
      return { min: min ?? 0, max: max ?? 0 };
    })
    .pipe(
      z
        .object({
          min: z.number().int().min(0).max(MAX_RANGE_MS),
          max: z.number().int().min(0).max(MAX_RANGE_MS),
        })
        .refine((r) => r.min <= r.max, 'MIN must not exceed MAX'),
    );

// Fields without defaults: the options schema adds them, the runtime-faults schema makes them optional.
const fields = {
  port: int(0, 65_535),
  host: z.string().min(1),
  instances: int(1, 20_000_000),
  seed: int(0, 0xffff_ffff),
  token: z.string().min(1),
  iamUser: z.string().min(1),
  iamPassword: z.string().min(1),
  iamTokenTtlMs: int(1_000, 7 * 86_400_000),
  bodyLimitBytes: int(64, 100 * 1024 * 1024),
  latencyMs: range(),
  jobDurationMs: range(),
  jobFailureRate: rate(),
  stuckJobRate: rate(),
  frozenRate: rate(),
  recoveringRate: rate(),
  recoveringDurationMs: int(0, 7 * 86_400_000),
  inUseRate: rate(),
  backingUpRate: rate(),
  regions: int(1, 8),
  rateLimit: int(0, 1_000_000),
  queryRateLimit: int(0, 1_000_000),
  fault9999Rate: rate(),
  fault5xxRate: rate(),
  dropRate: rate(),
  lostResponseRate: rate(),
  http200ErrorRate: rate(),
  malformedRate: rate(),
  missingJobRate: rate(),
  appliedBadGatewayRate: rate(),
  applied9999Rate: rate(),
  applied9999Http200Rate: rate(),
  appliedTruncatedRate: rate(),
  appliedMissingJobRate: rate(),
  foreignJobRate: rate(),
  duplicateJobRate: rate(),
  retryAfter: toggle(),
  mixedCaseCodes: toggle(),
};

/** The well-known token of a simulator (safe to show: it guards nothing real). */
export const DEFAULT_SIM_TOKEN = 'sim-token';

export const simulatorOptionsSchema = z
  .object({
    port: fields.port.default(8787),
    host: fields.host.default('127.0.0.1'),
    instances: fields.instances.default(10_000),
    seed: fields.seed.default(1),
    token: fields.token.default(DEFAULT_SIM_TOKEN),
    iamUser: fields.iamUser.default('sim-user'),
    iamPassword: fields.iamPassword.default('sim-password'),
    iamTokenTtlMs: fields.iamTokenTtlMs.default(86_400_000),
    bodyLimitBytes: fields.bodyLimitBytes.default(DEFAULT_BODY_LIMIT_BYTES),
    latencyMs: fields.latencyMs.default({ min: 0, max: 0 }),
    jobDurationMs: fields.jobDurationMs.default({ min: 1000, max: 5000 }),
    jobFailureRate: fields.jobFailureRate.default(0),
    stuckJobRate: fields.stuckJobRate.default(0),
    frozenRate: fields.frozenRate.default(0),
    recoveringRate: fields.recoveringRate.default(0),
    recoveringDurationMs: fields.recoveringDurationMs.default(60_000),
    inUseRate: fields.inUseRate.default(0),
    backingUpRate: fields.backingUpRate.default(0),
    regions: fields.regions.default(1),
    rateLimit: fields.rateLimit.default(0),
    queryRateLimit: fields.queryRateLimit.default(0),
    fault9999Rate: fields.fault9999Rate.default(0),
    fault5xxRate: fields.fault5xxRate.default(0),
    dropRate: fields.dropRate.default(0),
    lostResponseRate: fields.lostResponseRate.default(0),
    http200ErrorRate: fields.http200ErrorRate.default(0),
    malformedRate: fields.malformedRate.default(0),
    missingJobRate: fields.missingJobRate.default(0),
    appliedBadGatewayRate: fields.appliedBadGatewayRate.default(0),
    applied9999Rate: fields.applied9999Rate.default(0),
    applied9999Http200Rate: fields.applied9999Http200Rate.default(0),
    appliedTruncatedRate: fields.appliedTruncatedRate.default(0),
    appliedMissingJobRate: fields.appliedMissingJobRate.default(0),
    foreignJobRate: fields.foreignJobRate.default(0),
    duplicateJobRate: fields.duplicateJobRate.default(0),
    // Off by default: the real gateway sends no Retry-After (koophone-api.md).
    retryAfter: fields.retryAfter.default(false),
    mixedCaseCodes: fields.mixedCaseCodes.default(false),
  })
  .strict();

export type SimulatorOptions = z.output<typeof simulatorOptionsSchema>;
export type SimulatorOptionsInput = z.input<typeof simulatorOptionsSchema>;

/** What may change while the simulator runs; the fleet's shape (size, seed, regions, …) may not. */
export const simulatorFaultsSchema = z
  .object({
    latencyMs: fields.latencyMs,
    jobDurationMs: fields.jobDurationMs,
    jobFailureRate: fields.jobFailureRate,
    stuckJobRate: fields.stuckJobRate,
    rateLimit: fields.rateLimit,
    queryRateLimit: fields.queryRateLimit,
    fault9999Rate: fields.fault9999Rate,
    fault5xxRate: fields.fault5xxRate,
    dropRate: fields.dropRate,
    lostResponseRate: fields.lostResponseRate,
    http200ErrorRate: fields.http200ErrorRate,
    malformedRate: fields.malformedRate,
    missingJobRate: fields.missingJobRate,
    appliedBadGatewayRate: fields.appliedBadGatewayRate,
    applied9999Rate: fields.applied9999Rate,
    applied9999Http200Rate: fields.applied9999Http200Rate,
    appliedTruncatedRate: fields.appliedTruncatedRate,
    appliedMissingJobRate: fields.appliedMissingJobRate,
    foreignJobRate: fields.foreignJobRate,
    duplicateJobRate: fields.duplicateJobRate,
    retryAfter: fields.retryAfter,
    mixedCaseCodes: fields.mixedCaseCodes,
  })
  .partial()
  .strict();

export type SimulatorFaults = z.output<typeof simulatorFaultsSchema>;
export type SimulatorFaultsInput = z.input<typeof simulatorFaultsSchema>;

export interface SimulatorFlag {
  /** e.g. `--job-failure-rate` */
  flag: string;
  /** The option key, e.g. `jobFailureRate` (what commander derives from the flag). */
  key: keyof SimulatorOptions;
  /** e.g. `<rate>`, for `${flag} ${placeholder}`. */
  placeholder: string;
  description: string;
  /** The default, as text for help output. */
  defaultValue: string;
  /** Changeable while running, through POST /__sim/faults. */
  runtime: boolean;
}

const flag = (
  key: keyof SimulatorOptions,
  placeholder: string,
  description: string,
  defaultValue: string,
): SimulatorFlag => ({
  flag: `--${key
    .replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
    .replace(/(\d+)/, '-$1')
    .replace('http-200', 'http200')}`,
  key,
  placeholder,
  description,
  defaultValue,
  runtime: key in simulatorFaultsSchema.shape,
});

export const simulatorFlags: readonly SimulatorFlag[] = [
  flag('port', '<port>', 'TCP port to listen on (0 picks a free one)', '8787'),
  flag('host', '<host>', 'address to listen on', '127.0.0.1'),
  flag('instances', '<n>', 'fleet size', '10000'),
  flag('seed', '<n>', 'seed for the fleet, jobs and faults', '1'),
  flag('token', '<token>', 'static X-Auth-Token the API accepts', DEFAULT_SIM_TOKEN),
  flag('iamUser', '<name>', 'user name the IAM endpoint accepts', 'sim-user'),
  flag('iamPassword', '<password>', 'password the IAM endpoint accepts', 'sim-password'),
  flag(
    'iamTokenTtlMs',
    '<ms>',
    'lifetime of IAM-issued tokens (expired ones get 401 APIGW.0307)',
    '86400000',
  ),
  flag(
    'bodyLimitBytes',
    '<n>',
    'largest request body; larger ones get 413 APIGW.0201 (12 MB, as the gateway)',
    String(DEFAULT_BODY_LIMIT_BYTES),
  ),
  flag('latencyMs', '<min..max>', 'added latency of every API response', '0..0'),
  flag('jobDurationMs', '<min..max>', 'how long a reset job runs', '1000..5000'),
  flag('jobFailureRate', '<rate>', 'share of jobs that end failed (CPS0005)', '0'),
  flag('stuckJobRate', '<rate>', 'share of jobs that never finish', '0'),
  flag('frozenRate', '<rate>', 'share of instances frozen at start (2004)', '0'),
  flag('recoveringRate', '<rate>', 'share of instances in recovery at start (2005)', '0'),
  flag(
    'recoveringDurationMs',
    '<ms>',
    'how long an instance in recovery (or backing up at start) stays there',
    '60000',
  ),
  flag('inUseRate', '<rate>', 'share of instances a user is logged in to and assigned to at start', '0'),
  flag('backingUpRate', '<rate>', 'share of instances with a backup running at start (2006)', '0'),
  flag('regions', '<n>', 'number of regions; a reset mixing regions gets 1002', '1'),
  flag('rateLimit', '<n>', 'batch-reset requests per second before 429 (0: no limit)', '0'),
  flag('queryRateLimit', '<n>', 'other API requests per second before 429 (0: no limit)', '0'),
  flag('fault9999Rate', '<rate>', 'share of calls answered HTTP 500 KOOPHONE.API.9999', '0'),
  flag('fault5xxRate', '<rate>', 'share of calls answered HTTP 502 from the gateway', '0'),
  flag('dropRate', '<rate>', 'share of connections destroyed before anything is applied', '0'),
  flag('lostResponseRate', '<rate>', 'share of resets applied whose response is lost', '0'),
  flag('http200ErrorRate', '<rate>', 'share of resets answered HTTP 200 KOOPHONE.API.2006', '0'),
  flag('malformedRate', '<rate>', 'share of calls answered HTTP 200 with broken JSON', '0'),
  flag('missingJobRate', '<rate>', 'share of instances left out of cmd_jobs (and not reset)', '0'),
  // The answers below follow a reset the service applied: the report must count it.
  flag(
    'appliedBadGatewayRate',
    '<rate>',
    'share of resets applied, then answered HTTP 502 with the gateway HTML page',
    '0',
  ),
  flag('applied9999Rate', '<rate>', 'share of resets applied, then answered HTTP 500 KOOPHONE.API.9999', '0'),
  flag(
    'applied9999Http200Rate',
    '<rate>',
    'share of resets applied, then answered HTTP 200 KOOPHONE.API.9999',
    '0',
  ),
  flag(
    'appliedTruncatedRate',
    '<rate>',
    'share of resets applied, then answered HTTP 200 with JSON cut off mid-way',
    '0',
  ),
  flag(
    'appliedMissingJobRate',
    '<rate>',
    'share of instances reset but left out of cmd_jobs',
    '0',
  ),
  flag(
    'foreignJobRate',
    '<rate>',
    'share of accepted resets whose cmd_jobs also name a fleet id and a 40-character id not asked ' +
      '(nothing reset for them)',
    '0',
  ),
  flag(
    'duplicateJobRate',
    '<rate>',
    'share of accepted resets whose cmd_jobs name one asked id twice: the same job (even task ' +
      'numbers) or a second job that resets it again (odd)',
    '0',
  ),
  flag('retryAfter', '[on|off]', 'send Retry-After on 429 (the real gateway does not)', 'off'),
  flag(
    'mixedCaseCodes',
    '[on|off]',
    'spell KOOPHONE.API codes both ways, KooPhone.API every other time',
    'off',
  ),
];

const SECRET_KEYS: ReadonlySet<string> = new Set(['token', 'iamPassword']);
const flagByKey = new Map<string, string>(simulatorFlags.map((f) => [f.key, f.flag]));

function describeIssues(error: z.ZodError, input: Record<string, unknown>): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => `unknown simulator option ${JSON.stringify(key)}`).join('; ');
      }
      const key = String(issue.path[0] ?? '');
      const name = flagByKey.get(key) ?? key;
      const got = SECRET_KEYS.has(key) ? '' : ` (got ${JSON.stringify(input[key])})`;
      return `invalid simulator option ${name}: ${issue.message}${got}`;
    })
    .join('; ');
}

function withoutUndefined(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined));
}

/** Options from a CLI or a config object: text numbers allowed, unknown keys refused, defaults filled in. */
export function parseSimulatorOptions(raw: Record<string, unknown>): SimulatorOptions {
  const input = withoutUndefined(raw);
  const parsed = simulatorOptionsSchema.safeParse(input);
  if (!parsed.success) throw new Error(describeIssues(parsed.error, input));
  return parsed.data;
}

export function parseSimulatorFaults(raw: Record<string, unknown>): SimulatorFaults {
  const input = withoutUndefined(raw);
  const parsed = simulatorFaultsSchema.safeParse(input);
  if (!parsed.success) {
    const fixed = Object.keys(input).filter(
      (key) => !(key in simulatorFaultsSchema.shape) && flagByKey.has(key),
    );
    const hint = fixed.length > 0 ? ` (${fixed.join(', ')} can only be set at start)` : '';
    throw new Error(`${describeIssues(parsed.error, input)}${hint}`);
  }
  return parsed.data;
}
