// The shape of bench/results/results.json: an array of BenchRun.
import type { ApiEndpoint } from '../../src/simulator';
import type { FailoverFigures } from './failover';
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
  /** Node options of the worker: the Docker image's heap cap unless --worker-node-option is given. */
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

/** Calls per endpoint as the simulator saw them, against the campaign's promise for batch-reset. */
export interface RateCheck {
  /** rate + max(1, rate / 10): the most batch-reset calls allowed in any one second. */
  limit: number;
  /** Most calls in one calendar second (epoch seconds), per endpoint. */
  peakPerSecond: Record<ApiEndpoint, number>;
  /** Most calls in any sliding one-second window, per endpoint. */
  peakSlidingWindow: Record<ApiEndpoint, number>;
  /** Batch-reset peaks (calendar and sliding) within the limit. */
  met: boolean;
}

/** /proc/loadavg before and after a run: the machine is shared, so figures say how busy it was. */
export interface MachineLoad {
  before: [number, number, number];
  after: [number, number, number];
}

/** When the simulator saw a run's calls, seconds from the run's start (both systems alike). */
export interface CallPhases {
  firstBatchReset: number | null;
  lastBatchReset: number | null;
  /** The last task query that saw every job of its task ended: the run knows every outcome. */
  lastTaskSeenEnded: number | null;
  /**
   * The longest pauses between consecutive batch-reset calls (at most 3, longest first): where a
   * sending phase lost time (a term's hand-over, a starved worker), as `{ at, seconds }`.
   */
  longestBatchResetGaps?: { at: number; seconds: number }[];
}

/** A worker process from its spawn until it polls, and idle after (bench/lib/worker-start.ts). */
export interface WorkerStart {
  /** How it gets its workflow code: bundled with webpack at start (as before issue 29) or prebuilt. */
  bundle: 'bundled at start' | 'prebuilt';
  /** From the spawn until the server lists it as a poller of its workflow task queue. */
  firstPollSeconds: number;
  /** VmRSS once it has polled every task queue and then sat idle (no workflow) for idleSeconds. */
  idleRssMb: number;
  idleSeconds: number;
  /** User + system CPU from the spawn to that idle reading. */
  cpuSeconds: number;
  /** The kernel's high-water mark of its RSS at that reading (the start's peak). */
  vmHwmMb: number;
  nodeOptions: string[];
}

export interface BenchRun {
  /** The row (bench/lib/rows.ts) this run belongs to. */
  row: string;
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
  /** koophone-reset: the kernel's high-water mark of the worker's RSS (VmHWM), start-up included. */
  vmHwmMb: number | null;
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
  rateCheck: RateCheck | null;
  /** Calls the simulator answered with 429. */
  throttled: number;
  succeeded: number;
  failed: number;
  /** Temporal actions per 1 000 instances counted from the histories (see bench/lib/history.ts). */
  actionsPer1000: number | null;
  totalActions: number | null;
  /** The same from the campaign result's cost.temporalActions (the workflow's own count). */
  costActionsPer1000: number | null;
  costActions: number | null;
  /** Events of every run of the campaign. */
  historyEvents: number | null;
  actions: ActionBreakdown | null;
  historyRuns: number | null;
  maxHistoryEvents: number | null;
  maxPayloadBytes: number | null;
  maxEventPayloadBytes: number | null;
  maxActivitySeconds: number | null;
  /** koophone-reset only: where the time went (seconds from the workflow start). */
  timeline: Timeline | null;
  /** From the simulator's call log (seconds from the workflow's or the script's start). */
  callPhases: CallPhases | null;
  /** The failover row only. */
  failover: FailoverFigures | null;
  /** koophone-reset: its worker's start (bench/lib/worker-start.ts); the only figures of a worker-start run. */
  workerStart: WorkerStart | null;
  /** `regions` rows: the fleet's regions and the order of the id file. */
  regions?: number;
  order?: 'sorted' | 'shuffled';
  /** Fleet listing calls the simulator saw (the pre-flight). */
  listingCalls?: number;
  /** A shuffled run against the sorted run of its row: batch-reset calls and wall time, as ratios. */
  vsSorted?: { calls: number; wall: number };
  load: MachineLoad | null;
  settings: Settings;
  machine: Machine;
  versions: Versions;
  finishedAt: string;
}
