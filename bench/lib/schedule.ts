// The pacing and polling rules both systems follow, and the ideal times derived from them.
// The poll schedule is koophone-reset's own (src/campaign/poll-schedule.ts).
import { FIRST_POLL_MS, firstPollAfter } from '../../src/campaign/poll-schedule';

export const BATCH_SIZE = 100;

/** Minimum spacing of batch-reset calls at `rate` calls/s, rounded up like the workflow's slots. */
export function callIntervalMs(rate: number): number {
  return Math.ceil(1000 / rate);
}

export interface Range {
  min: number;
  max: number;
}

export function parseRange(text: string): Range {
  const [a, b = a] = text.split('..').map((p) => Number(p.trim()));
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || a > b || a < 0) {
    throw new Error(`expected MIN..MAX milliseconds, got "${text}"`);
  }
  return { min: a, max: b };
}

export function batchCount(instances: number): number {
  return Math.ceil(instances / BATCH_SIZE);
}

/**
 * The stated ideal: every call sent exactly at the rate, then the last batch's jobs take one mean
 * job duration and are seen at the first poll:
 *   idealSeconds = calls / R + mean(job duration) + first poll delay (2 s).
 */
export function idealSeconds(instances: number, rate: number, jobMs: Range): number {
  return batchCount(instances) / rate + (jobMs.min + jobMs.max) / 2 / 1000 + FIRST_POLL_MS / 1000;
}

/**
 * What any system that follows the poll schedule can reach at best: the last call leaves at
 * (calls − 1) / R and its task is seen done at the first poll after its slowest job can end
 * (max job duration), plus one mean API latency for the call and one for that poll.
 */
export function pollFloorSeconds(instances: number, rate: number, jobMs: Range, latencyMs: Range): number {
  const at = firstPollAfter(jobMs.max).atMs;
  const latency = (latencyMs.min + latencyMs.max) / 2;
  return (batchCount(instances) - 1) / rate + (at + 2 * latency) / 1000;
}
