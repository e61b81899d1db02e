// Jobs live in column chunks of typed arrays (~18 bytes a job): a million-instance campaign
// creates millions of jobs, which as objects would cost hundreds of megabytes.

const CHUNK_BITS = 16;
const CHUNK_SIZE = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_SIZE - 1;

type TypedArray = Int32Array | Uint32Array | Float64Array | Uint8Array;

class Column<T extends TypedArray> {
  readonly #chunks: T[] = [];
  readonly #make: (length: number) => T;

  constructor(make: (length: number) => T) {
    this.#make = make;
  }

  get(i: number): number {
    return this.#chunks[i >>> CHUNK_BITS]?.[i & CHUNK_MASK] ?? 0;
  }

  set(i: number, value: number): void {
    const chunkIndex = i >>> CHUNK_BITS;
    while (this.#chunks.length <= chunkIndex) this.#chunks.push(this.#make(CHUNK_SIZE));
    (this.#chunks[chunkIndex] as T)[i & CHUNK_MASK] = value;
  }

  clear(): void {
    this.#chunks.length = 0;
  }
}

export const JOB_OUTCOME = { succeed: 0, fail: 1, stuck: 2 } as const;
export type JobOutcome = (typeof JOB_OUTCOME)[keyof typeof JOB_OUTCOME];

export interface JobFailure {
  code: string;
  message: string;
  executeMsg: string;
}

/** How failed jobs fail; the reference's example is CPS0005. */
export const JOB_FAILURES: readonly JobFailure[] = [
  { code: 'CPS0005', message: 'Phone not found.', executeMsg: 'reset failed: phone not found' },
];

export interface JobView {
  jobNo: number;
  instanceIndex: number;
  startedAt: number;
  durationMs: number;
  outcome: JobOutcome;
  /** 1 running, 2 succeeded, -1 failed, as of `now`. */
  status: 1 | 2 | -1;
}

export class JobStore {
  #jobCount = 0;
  #taskCount = 0;
  readonly #instance = new Column((n) => new Int32Array(n));
  readonly #startedAt = new Column((n) => new Float64Array(n));
  readonly #durationMs = new Column((n) => new Uint32Array(n));
  readonly #outcome = new Column((n) => new Uint8Array(n));
  readonly #taskFirstJob = new Column((n) => new Uint32Array(n));
  readonly #taskJobCount = new Column((n) => new Uint8Array(n));

  get jobCount(): number {
    return this.#jobCount;
  }

  get taskCount(): number {
    return this.#taskCount;
  }

  /** Opens a task; its jobs are the ones added until the next call. */
  openTask(): number {
    const taskNo = this.#taskCount;
    this.#taskCount += 1;
    this.#taskFirstJob.set(taskNo, this.#jobCount);
    this.#taskJobCount.set(taskNo, 0);
    return taskNo;
  }

  addJob(
    taskNo: number,
    instanceIndex: number,
    startedAt: number,
    durationMs: number,
    outcome: JobOutcome,
  ): number {
    const jobNo = this.#jobCount;
    this.#jobCount += 1;
    this.#instance.set(jobNo, instanceIndex);
    this.#startedAt.set(jobNo, startedAt);
    this.#durationMs.set(jobNo, durationMs);
    this.#outcome.set(jobNo, outcome);
    this.#taskJobCount.set(taskNo, this.#taskJobCount.get(taskNo) + 1);
    return jobNo;
  }

  jobsOfTask(taskNo: number): number[] {
    const first = this.#taskFirstJob.get(taskNo);
    const count = this.#taskJobCount.get(taskNo);
    return Array.from({ length: count }, (_, i) => first + i);
  }

  outcomeOf(jobNo: number): JobOutcome {
    return this.#outcome.get(jobNo) as JobOutcome;
  }

  /** Status as of `now`: jobs are not ticked, their state follows from start, duration and outcome. */
  statusOf(jobNo: number, now: number): 1 | 2 | -1 {
    const outcome = this.outcomeOf(jobNo);
    if (outcome === JOB_OUTCOME.stuck) return 1;
    if (now < this.#startedAt.get(jobNo) + this.#durationMs.get(jobNo)) return 1;
    return outcome === JOB_OUTCOME.fail ? -1 : 2;
  }

  job(jobNo: number, now: number): JobView {
    return {
      jobNo,
      instanceIndex: this.#instance.get(jobNo),
      startedAt: this.#startedAt.get(jobNo),
      durationMs: this.#durationMs.get(jobNo),
      outcome: this.outcomeOf(jobNo),
      status: this.statusOf(jobNo, now),
    };
  }

  clear(): void {
    this.#jobCount = 0;
    this.#taskCount = 0;
    for (const column of [this.#instance, this.#startedAt, this.#durationMs, this.#outcome]) column.clear();
    this.#taskFirstJob.clear();
    this.#taskJobCount.clear();
  }
}
