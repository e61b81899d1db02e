import type { ApiEndpoint } from './endpoints';
import type { SimulatorFaults } from './options';
import type { Prng } from './random';

/** Every fault decision for one request, drawn up front in a fixed order (see `drawFaults`). */
export interface FaultDraws {
  latencyMs: number;
  drop: boolean;
  fault5xx: boolean;
  fault9999: boolean;
  http200Error: boolean;
  malformed: boolean;
  lostResponse: boolean;
  // Answers to a reset the service applied, and odd cmd_jobs (batch-reset only).
  appliedBadGateway: boolean;
  applied9999: boolean;
  applied9999Http200: boolean;
  appliedTruncated: boolean;
  foreignJob: boolean;
  duplicateJob: boolean;
}

/**
 * One draw per fault kind per request, whether that fault is on or not, so a seed gives the same
 * faults for the same request sequence even when other rates change. Kinds added later draw from
 * their own stream (`answers`), in a fixed order too: adding them moved no draw of the first
 * kinds, so the seeds tests rely on keep their faults.
 */
export function drawFaults(rng: Prng, answers: Prng, faults: Required<SimulatorFaults>): FaultDraws {
  const latency = rng.between(faults.latencyMs.min, faults.latencyMs.max);
  return {
    latencyMs: latency,
    drop: rng.chance(faults.dropRate),
    fault5xx: rng.chance(faults.fault5xxRate),
    fault9999: rng.chance(faults.fault9999Rate),
    http200Error: rng.chance(faults.http200ErrorRate),
    malformed: rng.chance(faults.malformedRate),
    lostResponse: rng.chance(faults.lostResponseRate),
    appliedBadGateway: answers.chance(faults.appliedBadGatewayRate),
    applied9999: answers.chance(faults.applied9999Rate),
    applied9999Http200: answers.chance(faults.applied9999Http200Rate),
    appliedTruncated: answers.chance(faults.appliedTruncatedRate),
    foreignJob: answers.chance(faults.foreignJobRate),
    duplicateJob: answers.chance(faults.duplicateJobRate),
  };
}

/** A canned answer for the next matching API call, for the rows of the error table no fault produces. */
export interface InjectedResponse {
  /** Only this endpoint; any API endpoint when absent. */
  endpoint?: ApiEndpoint;
  status: number;
  /** An object is sent as JSON; a string verbatim. */
  body: unknown;
  headers?: Record<string, string>;
  /** How many calls get it; default 1. */
  times?: number;
}

export class InjectionQueue {
  #queue: { response: InjectedResponse; remaining: number }[] = [];

  push(response: InjectedResponse): void {
    this.#queue.push({ response, remaining: response.times ?? 1 });
  }

  take(endpoint: ApiEndpoint): InjectedResponse | undefined {
    const entry = this.#queue.find(
      (e) => e.response.endpoint === undefined || e.response.endpoint === endpoint,
    );
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#queue = this.#queue.filter((e) => e !== entry);
    return entry.response;
  }

  clear(): void {
    this.#queue = [];
  }
}
