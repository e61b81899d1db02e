import { existsSync } from 'node:fs';
import { z } from 'zod';
import { loadKoophoneConfig, redactUrlCredentials, type KoophoneConfig } from './koophone';
import { loadTemporalSettings, type TemporalSettings } from './temporal/connection-config';

const blankIsAbsent = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

export const workerEnvSchema = z.object({
  WORKER_MAX_ACTIVITIES: blankIsAbsent(z.coerce.number().int().min(1).max(10_000)),
  LOG_LEVEL: blankIsAbsent(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])),
  REPORT_DIR: blankIsAbsent(z.string()),
  REPORT_SINK: blankIsAbsent(
    z
      .string()
      .refine((v) => /^(file:|postgres(ql)?:\/\/)/.test(v), 'expected file:PATH or a postgres://… URL'),
  ),
  // The SDK's own Prometheus exporter takes METRICS_PORT + 1, hence the upper bound.
  METRICS_PORT: blankIsAbsent(z.coerce.number().int().min(1).max(65_534)),
  METRICS_HOST: blankIsAbsent(z.string().min(1)),
  WORKER_SHUTDOWN_GRACE_MS: blankIsAbsent(z.coerce.number().int().min(0).max(3_600_000)),
  // Another workflow bundle than dist/workflow-bundle.js (`npm run build` makes that one); it must
  // have been built from this worker's workflow code (src/prebuilt-bundle.ts).
  WORKFLOW_BUNDLE: blankIsAbsent(
    z.string().refine((p) => existsSync(p), 'no such file (`npm run build` makes dist/workflow-bundle.js)'),
  ),
  TEMPORAL_TASK_QUEUE: blankIsAbsent(
    z.string().regex(/^[\w.:-]{1,200}$/, 'letters, digits, ".", ":", "_", "-" only'),
  ),
});

const DEFAULT_SHUTDOWN_GRACE_MS = 20_000;

export interface WorkerConfig {
  temporal: TemporalSettings;
  koophone: KoophoneConfig;
  maxActivities: number;
  /** Prometheus endpoints: the project's on `port`, the Temporal SDK's on `port + 1`. Off when unset. */
  metrics?: { host: string; port: number; sdkPort: number };
  /**
   * How long a stopping worker (SIGTERM) lets running activities finish before cancelling them.
   * Longer than the KooPhone call timeout, so a batch-reset call in flight gets its answer and is
   * journaled instead of being cut off after KooPhone may already have applied it.
   */
  shutdownGraceMs: number;
  /** Path of a prebuilt workflow bundle; otherwise dist/workflow-bundle.js (src/prebuilt-bundle.ts). */
  workflowBundlePath?: string;
}

/** A value as an error may echo it: a URL's user and password (REPORT_SINK) never are. */
function shown(name: string, value: string | undefined): string | undefined {
  return name === 'REPORT_SINK' && value ? redactUrlCredentials(value) : value;
}

/**
 * The worker's whole configuration, parsed once at start-up. Every bad variable is reported in
 * one error, one line each, before anything connects anywhere.
 */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const problems: string[] = [];
  const own = workerEnvSchema.safeParse(
    Object.fromEntries(Object.keys(workerEnvSchema.shape).map((k) => [k, env[k]])),
  );
  if (!own.success) {
    for (const issue of own.error.issues) {
      const name = String(issue.path[0]);
      problems.push(`  - ${name}: ${issue.message} (got ${JSON.stringify(shown(name, env[name]))})`);
    }
  }
  let koophone: KoophoneConfig | undefined;
  try {
    koophone = loadKoophoneConfig(env);
  } catch (e) {
    problems.push(...(e as Error).message.split('\n').slice(1));
  }
  let temporal: TemporalSettings | undefined;
  try {
    temporal = loadTemporalSettings(env);
  } catch (e) {
    problems.push(`  - Temporal connection settings: ${(e as Error).message}`);
  }
  if (problems.length > 0 || !koophone || !temporal || !own.success) {
    throw new Error(`Invalid worker configuration:\n${problems.join('\n')}`);
  }
  const metricsPort = own.data.METRICS_PORT;
  return {
    temporal,
    koophone,
    maxActivities: own.data.WORKER_MAX_ACTIVITIES ?? 200,
    shutdownGraceMs:
      own.data.WORKER_SHUTDOWN_GRACE_MS ?? Math.max(DEFAULT_SHUTDOWN_GRACE_MS, koophone.timeoutMs + 5000),
    ...(own.data.WORKFLOW_BUNDLE === undefined ? {} : { workflowBundlePath: own.data.WORKFLOW_BUNDLE }),
    ...(metricsPort === undefined
      ? {}
      : {
          metrics: { host: own.data.METRICS_HOST ?? '0.0.0.0', port: metricsPort, sdkPort: metricsPort + 1 },
        }),
  };
}
