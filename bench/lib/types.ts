// The shape of bench/results/results.json: an array of BenchRun.
import type { ActionBreakdown, Timeline } from './history';
import type { Range } from './schedule';

export interface Settings {
  rate: number;
  concurrency: number;
  jobDurationMs: Range;
  latencyMs: Range;
  simulatorRateLimit: number;
  simulatorQueryRateLimit: number;
  workerMaxActivities: number;
  batchSize: number;
  canary: number;
  maxErrors: string;
  maxHistoryEvents: number;
  heartbeatTimeoutMs: number;
  rssSampleMs: number;
  /** Extra node options of the worker (e.g. --max-old-space-size=256, as a container sets it). */
  workerNodeOptions: string[];
  idealFormula: string;
  pollFloorFormula: string;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  os: string;
}

export interface Versions {
  node: string;
  temporalCli: string;
  temporalSdk: string;
  gitCommit: string;
}

export interface BenchRun {
  system: 'koophone-reset' | 'baseline';
  instances: number;
  ok: boolean;
  error?: string;
  wallSeconds: number;
  idealSeconds: number;
  pollFloorSeconds: number;
  ratioToBaseline: number | null;
  ratioToIdeal: number;
  ratioToPollFloor: number;
  instancesPerSecond: number;
  /** Worker process (koophone-reset) during the campaign; the baseline process for the baseline. */
  peakRssMb: number;
  /** Worker peak including its start-up (workflow bundling); null for the baseline. */
  peakRssMbWithStartup: number | null;
  /**
   * koophone-reset: the most heap a full GC left over the worker's life, summed over its isolates
   * (main and workflow thread), from `--trace-gc`: what the worker holds, not what V8 deferred.
   */
  liveHeapMb: number | null;
  workerCpuSeconds: number;
  serverCpuSeconds: number | null;
  batchResetCalls: number;
  taskPolls: number;
  peakCallsPerSecond: number;
  succeeded: number;
  failed: number;
  actionsPer1000: number | null;
  totalActions: number | null;
  actions: ActionBreakdown | null;
  historyRuns: number | null;
  maxHistoryEvents: number | null;
  maxPayloadBytes: number | null;
  maxEventPayloadBytes: number | null;
  maxActivitySeconds: number | null;
  /** koophone-reset only: where the time went (seconds from the workflow start). */
  timeline: Timeline | null;
  settings: Settings;
  machine: Machine;
  versions: Versions;
  finishedAt: string;
}
