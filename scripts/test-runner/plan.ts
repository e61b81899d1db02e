import type { Durations } from './durations';

/**
 * Files that run alone, one at a time, with nothing else of the suite beside them: each asserts a
 * wall time, a timer's punctuality or a peak of calls per second that the CPU load of the suite's
 * other files would break. Everything else runs side by side (each file has its own task queue,
 * namespace, report folder, simulator, ports and temporary folders; see README, "Tests"). A file
 * belongs here only for the reason written next to it; its assertions stay as they are.
 */
export const QUIET_FILES: ReadonlyMap<string, string> = new Map([
  [
    'test/unit/track-jobs.test.ts',
    'heartbeat gaps under 900 ms with a 1 s heartbeat timeout; the first poll within 1 s',
  ],
  ['test/unit/submit-pacer.test.ts', 'a missed slot is handed back within 50 ms'],
  ['test/unit/lane-pacer.test.ts', 'a place given up frees the line within 1 s; calls on real timers'],
  ['test/koophone/client-errors.test.ts', 'a 60 ms client timeout gives up within 350 ms'],
  ['test/simulator/faults.test.ts', 'a 120..150 ms latency answers within 1 s'],
  [
    'test/cli/exit-when-flushed.test.ts',
    'the writer must fill the pipe within the 1 s its reader sleeps, or nothing is lost to find',
  ],
  [
    'test/html/html-report.test.ts',
    'renders 1 000 000 lines within 30 s (the whole file takes ~23 s alone), and Chromium',
  ],
  [
    'test/reliability/bad-input.test.ts',
    'runs six CLIs at once; the 2 000 000-id file needs ~2.5 s of CPU and its run is cut at 30 s (23 s in a serial run on a loaded machine, over 30 s beside three other files)',
  ],
  // Calls per second at the simulator, at most rate + 1: a worker whose process is held up between
  // the lane's pacer marking a call sent and its HTTP client writing it (measured: 174–210 ms
  // under load) writes it right before the next one, and the simulator counts one call too many.
  // That is the product's own limit (the pacer cannot see the HTTP client's delay; it keeps a
  // quarter interval for it), not the test's: these run where nothing of the suite competes.
  ['test/reliability/stalled-worker.test.ts', 'a peak of rate + 1 calls per second (above)'],
  ['test/safety/account-rate.test.ts', 'a peak of the account limit + 1 calls per second (above)'],
  ['test/campaign/campaign-faults.test.ts', 'a peak of rate + 1 calls per second, the gateway limit (above)'],
]);

export interface RunPlan {
  /** One at a time, alone. */
  alone: string[];
  /** Side by side, longest first. */
  sideBySide: string[];
}

/**
 * Longest first (the longest-processing-time rule: the last files to start are the short ones, so
 * the slots end together), by each file's duration in its last run; a file with none (new, or a
 * new machine) counts as long.
 */
export function longestFirst(files: string[], durations: Durations): string[] {
  const known = (f: string) => durations[f] ?? Infinity;
  return [...files].sort((a, b) => known(b) - known(a) || a.localeCompare(b));
}

export function planRun(files: string[], durations: Durations): RunPlan {
  return {
    alone: files.filter((f) => QUIET_FILES.has(f)),
    sideBySide: longestFirst(
      files.filter((f) => !QUIET_FILES.has(f)),
      durations,
    ),
  };
}
