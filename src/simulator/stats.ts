import { API_ENDPOINTS, FAULT_KINDS } from './endpoints';
import type { ApiEndpoint, FaultKind } from './endpoints';
import type { Fleet } from './fleet';
import { JOB_OUTCOME } from './jobs';
import type { JobStore } from './jobs';
import { SlidingWindow } from './sliding-window';

export interface SimulatorStats {
  /** Requests received per endpoint, faulted or not. */
  calls: Record<ApiEndpoint | 'iamToken', number>;
  /** Faults injected, by kind (throttled counts 429s). */
  faults: Record<FaultKind, number>;
  /** Non-"0" error codes answered, by code. */
  errorCodes: Record<string, number>;
  /** Most batch-reset requests received in any sliding one-second window. */
  peakRequestsPerSecond: number;
  peakRequestsPerSecondByEndpoint: Record<ApiEndpoint, number>;
  /** Applied resets: total, instances reset at least once, most on one instance, and how many instances got n. */
  resets: { total: number; instances: number; max: number; histogram: Record<string, number> };
  jobs: { total: number; running: number; succeeded: number; failed: number; stuck: number };
  tasks: number;
}

const zeroes = <K extends string>(keys: readonly K[]): Record<K, number> =>
  Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;

export class StatsRecorder {
  #calls = zeroes([...API_ENDPOINTS, 'iamToken'] as const);
  #faults = zeroes(FAULT_KINDS);
  #errorCodes = new Map<string, number>();
  readonly #received = new Map<ApiEndpoint, SlidingWindow>(
    API_ENDPOINTS.map((e) => [e, new SlidingWindow()]),
  );

  recordCall(endpoint: ApiEndpoint | 'iamToken', now: number): void {
    this.#calls[endpoint] += 1;
    if (endpoint !== 'iamToken') this.#received.get(endpoint)?.record(now);
  }

  recordFault(kind: FaultKind, count = 1): void {
    this.#faults[kind] += count;
  }

  recordErrorCode(code: string): void {
    this.#errorCodes.set(code, (this.#errorCodes.get(code) ?? 0) + 1);
  }

  snapshot(fleet: Fleet, jobs: JobStore, now: number): SimulatorStats {
    const histogram: Record<string, number> = {};
    let total = 0;
    let instances = 0;
    let max = 0;
    for (const count of fleet.resets) {
      if (count === 0) continue;
      total += count;
      instances += 1;
      if (count > max) max = count;
      histogram[count] = (histogram[count] ?? 0) + 1;
    }
    const jobCounts = { total: jobs.jobCount, running: 0, succeeded: 0, failed: 0, stuck: 0 };
    for (let jobNo = 0; jobNo < jobs.jobCount; jobNo += 1) {
      const status = jobs.statusOf(jobNo, now);
      if (status === 2) jobCounts.succeeded += 1;
      else if (status === -1) jobCounts.failed += 1;
      else if (jobs.outcomeOf(jobNo) === JOB_OUTCOME.stuck) jobCounts.stuck += 1;
      else jobCounts.running += 1;
    }
    const peaks = this.peakSlidingWindow();
    return {
      calls: { ...this.#calls },
      faults: { ...this.#faults },
      errorCodes: Object.fromEntries(this.#errorCodes),
      peakRequestsPerSecond: peaks.batchReset,
      peakRequestsPerSecondByEndpoint: peaks,
      resets: { total, instances, max, histogram },
      jobs: jobCounts,
      tasks: jobs.taskCount,
    };
  }

  /** Per endpoint: most requests received in any sliding one-second window. */
  peakSlidingWindow(): Record<ApiEndpoint, number> {
    const peaks = zeroes(API_ENDPOINTS);
    for (const endpoint of API_ENDPOINTS) peaks[endpoint] = this.#received.get(endpoint)?.peak ?? 0;
    return peaks;
  }

  clear(): void {
    this.#calls = zeroes([...API_ENDPOINTS, 'iamToken'] as const);
    this.#faults = zeroes(FAULT_KINDS);
    this.#errorCodes.clear();
    for (const window of this.#received.values()) window.clear();
  }
}
