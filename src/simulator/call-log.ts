// The simulator's own record of when calls arrived, for benchmarks that must measure a client
// from the outside: per-second counts per endpoint (to check a rate promise second by second) and
// a journal of recent calls with the door they came through and the task they touched (to see
// when a killed client's work was picked up again). Both are bounded, so a long-running simulator
// keeps its memory flat.
import { API_ENDPOINTS } from './endpoints';
import type { ApiEndpoint } from './endpoints';

/** Seconds of per-second counts kept (an hour); older seconds are dropped first. */
const MAX_SECONDS = 3600;
/** Calls kept in the journal (24 bytes each, allocated as it fills); the oldest are overwritten. */
const MAX_CALLS = 1 << 20;
const CHUNK_BITS = 16;
const CHUNK_SIZE = 1 << CHUNK_BITS;

export interface SecondCounts {
  /** Epoch second (floor of epoch ms / 1000). */
  second: number;
  counts: Record<ApiEndpoint, number>;
}

export interface LoggedCall {
  /** Epoch ms the request arrived. */
  at: number;
  endpoint: ApiEndpoint;
  /** Local port the request came in on: the main port, or a door (see `openDoor`). */
  door: number;
  /** The task created (batch-reset) or asked for (task query); -1 for none. */
  taskNo: number;
  /** A task query answered with every job of the task ended: the client has seen it finish. */
  ended: boolean;
  /** Epoch ms the answer went out; NaN while it waits out its latency, or when none went (dropped, lost). */
  answeredAt: number;
}

/** Per endpoint: calls in each calendar second that saw one, the most in one, the most in a sliding second. */
export interface SimulatorTimeline {
  seconds: ({ second: number } & Record<ApiEndpoint, number>)[];
  peakPerSecond: Record<ApiEndpoint, number>;
  peakSlidingWindow: Record<ApiEndpoint, number>;
}

/** A logged call as the simulator's API shows it. */
export interface SimulatorCall {
  at: number;
  endpoint: ApiEndpoint;
  door: number;
  taskId: string | null;
  ended: boolean;
  /**
   * When the answer went out, or null when none did (yet): a call the client's process died
   * waiting for could not be known to it as accepted.
   */
  answeredAt: number | null;
}

const zeroes = (): Record<ApiEndpoint, number> =>
  Object.fromEntries(API_ENDPOINTS.map((e) => [e, 0])) as Record<ApiEndpoint, number>;

export class CallLog {
  readonly #seconds = new Map<number, Record<ApiEndpoint, number>>();
  #at: Float64Array[] = [];
  #endpoint: Uint8Array[] = [];
  #door: Uint16Array[] = [];
  #task: Int32Array[] = [];
  #ended: Uint8Array[] = [];
  #answeredAt: Float64Array[] = [];
  #count = 0;
  /** Calls logged before the last clear: call numbers go on across clears, so a late answer finds no one else's call. */
  #before = 0;

  /** Logs a call as it arrives; returns its number, for `answered`. */
  record(at: number, endpoint: ApiEndpoint, door: number, taskNo: number, ended = false): number {
    const second = Math.floor(at / 1000);
    let counts = this.#seconds.get(second);
    if (counts === undefined) {
      counts = zeroes();
      this.#seconds.set(second, counts);
      // Map iteration is insertion order and seconds arrive in order: the first key is the oldest.
      if (this.#seconds.size > MAX_SECONDS) this.#seconds.delete(this.#seconds.keys().next().value!);
    }
    counts[endpoint] += 1;

    const slot = this.#count % MAX_CALLS;
    const chunk = slot >>> CHUNK_BITS;
    if (chunk === this.#at.length) {
      this.#at.push(new Float64Array(CHUNK_SIZE));
      this.#endpoint.push(new Uint8Array(CHUNK_SIZE));
      this.#door.push(new Uint16Array(CHUNK_SIZE));
      this.#task.push(new Int32Array(CHUNK_SIZE));
      this.#ended.push(new Uint8Array(CHUNK_SIZE));
      this.#answeredAt.push(new Float64Array(CHUNK_SIZE));
    }
    const i = slot & (CHUNK_SIZE - 1);
    this.#at[chunk]![i] = at;
    this.#endpoint[chunk]![i] = API_ENDPOINTS.indexOf(endpoint);
    this.#door[chunk]![i] = door;
    this.#task[chunk]![i] = taskNo;
    this.#ended[chunk]![i] = ended ? 1 : 0;
    this.#answeredAt[chunk]![i] = NaN;
    return this.#before + this.#count++;
  }

  /** The answer to call number `callNo` went out at `at` (ignored once the call was overwritten or cleared). */
  answered(callNo: number, at: number): void {
    const n = callNo - this.#before;
    if (n < 0 || n >= this.#count || n < this.#count - MAX_CALLS) return;
    const slot = n % MAX_CALLS;
    this.#answeredAt[slot >>> CHUNK_BITS]![slot & (CHUNK_SIZE - 1)] = at;
  }

  /** Per-second counts of the kept seconds that saw a call, oldest first. */
  seconds(): SecondCounts[] {
    return [...this.#seconds].map(([second, counts]) => ({ second, counts: { ...counts } }));
  }

  /** Most calls of each endpoint in one calendar second (epoch seconds), over the kept seconds. */
  peakPerSecond(): Record<ApiEndpoint, number> {
    const peaks = zeroes();
    for (const counts of this.#seconds.values())
      for (const e of API_ENDPOINTS) peaks[e] = Math.max(peaks[e], counts[e]);
    return peaks;
  }

  /** Calls the journal overwrote since the last clear. */
  get dropped(): number {
    return Math.max(0, this.#count - MAX_CALLS);
  }

  /** Kept calls that arrived at or after `since` (epoch ms), oldest first, at most `limit`. */
  calls(since = 0, limit = MAX_CALLS): LoggedCall[] {
    const out: LoggedCall[] = [];
    for (let n = Math.max(0, this.#count - MAX_CALLS); n < this.#count && out.length < limit; n += 1) {
      const slot = n % MAX_CALLS;
      const chunk = slot >>> CHUNK_BITS;
      const i = slot & (CHUNK_SIZE - 1);
      const at = this.#at[chunk]![i]!;
      if (at < since) continue;
      out.push({
        at,
        endpoint: API_ENDPOINTS[this.#endpoint[chunk]![i]!]!,
        door: this.#door[chunk]![i]!,
        taskNo: this.#task[chunk]![i]!,
        ended: this.#ended[chunk]![i] === 1,
        answeredAt: this.#answeredAt[chunk]![i]!,
      });
    }
    return out;
  }

  clear(): void {
    this.#seconds.clear();
    this.#at = [];
    this.#endpoint = [];
    this.#door = [];
    this.#task = [];
    this.#ended = [];
    this.#answeredAt = [];
    this.#before += this.#count;
    this.#count = 0;
  }
}
