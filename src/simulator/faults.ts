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
}

/**
 * One draw per fault kind per request, whether that fault is on or not, so a seed gives the same
 * faults for the same request sequence even when other rates change.
 */
export function drawFaults(rng: Prng, faults: Required<SimulatorFaults>): FaultDraws {
  const latency = rng.between(faults.latencyMs.min, faults.latencyMs.max);
  return {
    latencyMs: latency,
    drop: rng.chance(faults.dropRate),
    fault5xx: rng.chance(faults.fault5xxRate),
    fault9999: rng.chance(faults.fault9999Rate),
    http200Error: rng.chance(faults.http200ErrorRate),
    malformed: rng.chance(faults.malformedRate),
    lostResponse: rng.chance(faults.lostResponseRate),
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
