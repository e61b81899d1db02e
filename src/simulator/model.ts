import { randomInt } from 'node:crypto';
import { KOOPHONE_CODES } from '../koophone/errors';
import { MAX_BATCH_RESET_IDS, MAX_STATUS_QUERY_IDS, INSTANCE_STATUS } from '../koophone/schemas';
import { CallLog } from './call-log';
import type { SimulatorCall, SimulatorTimeline } from './call-log';
import type { ApiEndpoint } from './endpoints';
import { drawFaults } from './faults';
import type { FaultDraws } from './faults';
import { Fleet } from './fleet';
import { queryFleet } from './fleet-query';
import { NumberedIdCodec } from './id-codec';
import { JOB_FAILURES, JOB_OUTCOME, JobStore } from './jobs';
import type { JobFailure, JobOutcome } from './jobs';
import { simulatorFaultsSchema } from './options';
import type { SimulatorFaults, SimulatorFaultsInput, SimulatorOptions } from './options';
import { Prng } from './random';
import { failure, listIds, ok } from './replies';
import type { Reply } from './replies';
import { checkInstanceIdsBody, checkListQuery, parseQueryTime } from './request-validation';
import { StatsRecorder } from './stats';

export interface InstanceView {
  instanceId: string;
  index: number;
  instanceName: string;
  region: string;
  poolName: string;
  /** A user is logged in (the listing's login_status 1). */
  loggedIn: boolean;
  /** The user the phone is assigned to; null when unassigned. */
  assignUser: string | null;
  /** Applied resets. */
  resets: number;
  /** As batch-query-status reports it. */
  status: number;
  frozen: boolean;
  /** Calls including it get 401 KOOPHONE.API.1001. */
  denied: boolean;
  /** Epoch ms, or null when not in recovery. */
  recoveringUntil: number | null;
  backingUpUntil: number | null;
  lastJobId: string | null;
  lastJobStatus: 1 | 2 | -1 | null;
}

export interface InstancePatch {
  frozen?: boolean;
  denied?: boolean;
  /** In recovery for this long from now (2005); 0 ends it. */
  recoveringForMs?: number;
  /** Being backed up for this long from now (2006); 0 ends it. */
  backingUpForMs?: number;
  loggedIn?: boolean;
  /** Assigns the phone to this user; null unassigns it. */
  assignUser?: string | null;
  /** Moves the phone to this pool (made if new): pools change at run time for tests. */
  pool?: string;
  /** Its next reset job fails with this error (e.g. text no terminal should act on); null clears. */
  failNextJob?: JobFailure | null;
}

/** Phones of one pool with a reset job running, as the simulator samples them (see samplePools). */
export interface PoolSample {
  name: string;
  /** Phones in the pool now. */
  size: number;
  /** Phones of the pool with a running reset job at the last sample. */
  running: number;
  /** The most at any sample since the start (or the last reset). */
  peakRunning: number;
  /** When that peak was first seen (epoch ms), or null. */
  peakAt: number | null;
}

export interface PoolSamples {
  pools: PoolSample[];
  /** The most phones of all pools together with a running reset job at one sample. */
  peakTotal: number;
  /** Samples taken so far, and the interval between them. */
  samples: number;
  intervalMs: number;
}

/** How often the pools are sampled: more often than the one second the budget is judged on. */
export const POOL_SAMPLE_MS = 250;

export type CurrentFaults = Required<SimulatorFaults>;

const FAULT_STREAM = 1;
const JOB_STREAM = 2;
/** Faults added after the first ones (answers to applied resets, odd cmd_jobs): see drawFaults. */
const ANSWER_STREAM = 3;

/** What a 40-character instance id looks like: longer than any the API allows (32). */
const LONG_FOREIGN_ID = 'x'.repeat(8) + '0123456789abcdef0123456789abcdef';

/** One request at the IAM endpoint: when it came, through which door (local port), granted or refused. */
export interface IamSignIn {
  at: number;
  door: number;
  granted: boolean;
}

/** Sign-ins kept (the oldest go first): enough for hours of a client that asks once a minute. */
const MAX_SIGN_INS = 10_000;

/** The service's state and rules, free of HTTP: the fastify layer feeds it requests. */
export class SimulatorModel {
  readonly options: SimulatorOptions;
  readonly fleet: Fleet;
  readonly jobs = new JobStore();
  readonly stats = new StatsRecorder();
  readonly calls = new CallLog();
  #faults: CurrentFaults;
  #faultRng: Prng;
  #answerRng: Prng;
  #jobRng: Prng;
  #generation: number;
  readonly #taskIds: NumberedIdCodec;
  readonly #jobIds: NumberedIdCodec;
  /** Jobs that may still run (pruned at each pool sample): [jobNo, phone index]. */
  #maybeRunning: [number, number][] = [];
  #poolPeaks: { running: number; at: number | null }[] = [];
  #poolRunning: number[] = [];
  #poolSampleCount = 0;
  #peakTotal = 0;
  /** Chosen failures: of an instance's next job (by instance index), and of that job (by job number). */
  readonly #nextJobFailure = new Map<number, JobFailure>();
  readonly #jobFailure = new Map<number, JobFailure>();
  readonly #signIns: IamSignIn[] = [];

  /**
   * `idEpoch` sets task and job ids apart per process (random unless given): a restarted
   * simulator with the same seed must not hand out a task id a client already tracks.
   */
  constructor(options: SimulatorOptions, now: number, idEpoch: number = randomInt(0x7fff_ffff)) {
    this.options = options;
    this.#generation = idEpoch;
    this.fleet = new Fleet(
      {
        size: options.instances,
        seed: options.seed,
        regions: options.regions,
        frozenRate: options.frozenRate,
        recoveringRate: options.recoveringRate,
        recoveringDurationMs: options.recoveringDurationMs,
        inUseRate: options.inUseRate,
        backingUpRate: options.backingUpRate,
      },
      now,
    );
    this.#faults = initialFaults(options);
    this.#faultRng = new Prng(options.seed, FAULT_STREAM);
    this.#answerRng = new Prng(options.seed, ANSWER_STREAM);
    this.#jobRng = new Prng(options.seed, JOB_STREAM);
    this.#taskIds = new NumberedIdCodec(options.seed, 'RM_', 0x7a5c);
    this.#jobIds = new NumberedIdCodec(options.seed, '', 0x10b5);
    this.#taskIds.setGeneration(idEpoch);
    this.#jobIds.setGeneration(idEpoch);
  }

  get faults(): CurrentFaults {
    return { ...this.#faults };
  }

  setFaults(partial: SimulatorFaultsInput): CurrentFaults {
    this.#faults = { ...this.#faults, ...simulatorFaultsSchema.parse(partial) };
    return this.faults;
  }

  /** Clears resets, jobs, stats and faults, and reseeds: as if just started. */
  reset(now: number): void {
    this.#generation += 1;
    this.#taskIds.setGeneration(this.#generation);
    this.#jobIds.setGeneration(this.#generation);
    this.fleet.restore(now);
    this.jobs.clear();
    this.stats.clear();
    this.calls.clear();
    this.#maybeRunning = [];
    this.#poolPeaks = [];
    this.#poolRunning = [];
    this.#poolSampleCount = 0;
    this.#peakTotal = 0;
    this.#signIns.length = 0;
    this.#nextJobFailure.clear();
    this.#jobFailure.clear();
    this.#faults = initialFaults(this.options);
    this.#faultRng = new Prng(this.options.seed, FAULT_STREAM);
    this.#answerRng = new Prng(this.options.seed, ANSWER_STREAM);
    this.#jobRng = new Prng(this.options.seed, JOB_STREAM);
  }

  drawFaults(): FaultDraws {
    return drawFaults(this.#faultRng, this.#answerRng, this.#faults);
  }

  rateLimitFor(endpoint: ApiEndpoint): number {
    return endpoint === 'batchReset' ? this.#faults.rateLimit : this.#faults.queryRateLimit;
  }

  /** The task number behind a task id; -1 when it is not one of this run's tasks. */
  taskNoOf(taskId: string): number {
    const taskNo = this.#taskIds.decode(taskId);
    return taskNo >= 0 && taskNo < this.jobs.taskCount ? taskNo : -1;
  }

  timeline(): SimulatorTimeline {
    return {
      seconds: this.calls.seconds().map(({ second, counts }) => ({ second, ...counts })),
      peakPerSecond: this.calls.peakPerSecond(),
      peakSlidingWindow: this.stats.peakSlidingWindow(),
    };
  }

  recordSignIn(signIn: IamSignIn): void {
    this.#signIns.push(signIn);
    if (this.#signIns.length > MAX_SIGN_INS) this.#signIns.shift();
  }

  /** The IAM endpoint's requests from `since` (epoch ms), oldest first. */
  signIns(since = 0): IamSignIn[] {
    return this.#signIns.filter((s) => s.at >= since);
  }

  loggedCalls(since?: number, limit?: number): SimulatorCall[] {
    return this.calls.calls(since, limit).map((c) => ({
      at: c.at,
      endpoint: c.endpoint,
      door: c.door,
      taskId: c.taskNo >= 0 ? this.#taskIds.encode(c.taskNo) : null,
      ended: c.ended,
      answeredAt: Number.isNaN(c.answeredAt) ? null : c.answeredAt,
    }));
  }

  /** Every job of the task has ended (succeeded or failed) as of `now`. */
  taskEnded(taskNo: number, now: number): boolean {
    return this.jobs.jobsOfTask(taskNo).every((jobNo) => this.jobs.statusOf(jobNo, now) !== 1);
  }

  /** The instance ids a task's jobs reset. */
  instancesOfTask(taskNo: number): string[] {
    return this.jobs
      .jobsOfTask(taskNo)
      .map((jobNo) => this.fleet.idAt(this.jobs.job(jobNo, 0).instanceIndex));
  }

  /**
   * `applied` tells the HTTP layer whether losing the response now would lose a real reset;
   * `taskNo` is the task it opened. `draws` says whether this answer's cmd_jobs are odd.
   */
  batchReset(
    rawBody: unknown,
    now: number,
    draws: Pick<FaultDraws, 'foreignJob' | 'duplicateJob'> = { foreignJob: false, duplicateJob: false },
  ): { reply: Reply; applied: boolean; taskNo?: number } {
    const checked = checkInstanceIdsBody(rawBody, MAX_BATCH_RESET_IDS);
    if (!checked.ok) return { reply: checked.reply, applied: false };
    const ids = checked.value;
    const indexes = ids.map((id) => this.fleet.indexOf(id));
    const refusal = this.#refuseReset(ids, indexes, now);
    if (refusal !== undefined) return { reply: refusal, applied: false };

    const taskNo = this.jobs.openTask();
    const cmdJobs: { instance_id: string; job_id: string }[] = [];
    const { jobDurationMs, jobFailureRate, stuckJobRate, missingJobRate } = this.#faults;
    const { appliedMissingJobRate } = this.#faults;
    const first = { id: '', jobNo: -1, index: -1, durationMs: 0, outcome: JOB_OUTCOME.succeed as JobOutcome };
    ids.forEach((id, i) => {
      if (this.#faultRng.chance(missingJobRate)) {
        this.stats.recordFault('missingJob');
        return;
      }
      // Drawn for every id, on the answers' stream (see drawFaults).
      const unlisted = this.#answerRng.chance(appliedMissingJobRate);
      const index = indexes[i] as number;
      const durationMs = this.#jobRng.between(jobDurationMs.min, jobDurationMs.max);
      const fails = this.#jobRng.chance(jobFailureRate);
      const stuck = this.#jobRng.chance(stuckJobRate);
      const chosen = this.#nextJobFailure.get(index);
      const outcome: JobOutcome = chosen
        ? JOB_OUTCOME.fail
        : stuck
          ? JOB_OUTCOME.stuck
          : fails
            ? JOB_OUTCOME.fail
            : JOB_OUTCOME.succeed;
      const jobNo = this.#resetOne(taskNo, index, now, durationMs, outcome);
      if (chosen) {
        this.#nextJobFailure.delete(index);
        this.#jobFailure.set(jobNo, chosen);
      }
      if (unlisted) {
        this.stats.recordFault('appliedMissingJob');
        return;
      }
      if (first.jobNo < 0) Object.assign(first, { id, jobNo, index, durationMs, outcome });
      cmdJobs.push({ instance_id: id, job_id: this.#jobIds.encode(jobNo) });
    });
    if (draws.duplicateJob && first.jobNo >= 0) {
      this.stats.recordFault('duplicateJob');
      // Even tasks list the same job twice; odd ones a second job on the phone, applied too.
      const again =
        taskNo % 2 === 0
          ? first.jobNo
          : this.#resetOne(taskNo, first.index, now, first.durationMs, first.outcome);
      cmdJobs.push({ instance_id: first.id, job_id: this.#jobIds.encode(again) });
    }
    if (draws.foreignJob && cmdJobs.length > 0) {
      this.stats.recordFault('foreignJob');
      // Jobs that exist nowhere, for ids nobody asked: a phone of the fleet outside the call and
      // an id longer than the API allows. Nothing is reset for them.
      const asked = new Set(ids);
      const size = this.fleet.size;
      let other = ((indexes[0] as number) + Math.floor(size / 2)) % size;
      for (let n = 0; n < ids.length && asked.has(this.fleet.idAt(other)); n++) other = (other + 1) % size;
      const phantom = (n: number) => `f${String(taskNo).padStart(15, '0')}${n}`.padEnd(32, '0');
      const outside = this.fleet.idAt(other);
      if (!asked.has(outside)) cmdJobs.push({ instance_id: outside, job_id: phantom(1) });
      cmdJobs.push({ instance_id: LONG_FOREIGN_ID, job_id: phantom(2) });
    }
    return {
      reply: ok({ task_id: this.#taskIds.encode(taskNo), cmd_jobs: cmdJobs }),
      applied: true,
      taskNo,
    };
  }

  /**
   * One applied reset: a job in the task, counted on the phone. A reset wipes the phone, so its
   * user is logged out (a guess: the API does not say); the assignment stays.
   */
  #resetOne(taskNo: number, index: number, now: number, durationMs: number, outcome: JobOutcome): number {
    const jobNo = this.jobs.addJob(taskNo, index, now, durationMs, outcome);
    this.fleet.resets[index] = (this.fleet.resets[index] ?? 0) + 1;
    this.fleet.lastJob[index] = jobNo;
    this.fleet.setLoggedIn(index, false);
    this.#maybeRunning.push([jobNo, index]);
    return jobNo;
  }

  /**
   * Counts, per pool, the phones with a reset job running now, and keeps each pool's peak: the
   * figure a disruption budget (`--max-per-pool`) is judged on. The server samples every
   * POOL_SAMPLE_MS; only jobs that may still run are looked at.
   */
  samplePools(now: number): void {
    const phones = new Set<number>();
    this.#maybeRunning = this.#maybeRunning.filter(([jobNo, index]) => {
      if (this.jobs.statusOf(jobNo, now) !== 1) return false;
      phones.add(index);
      return true;
    });
    const running = this.fleet.pools.map(() => 0);
    for (const index of phones) running[this.fleet.poolIndexAt(index)]! += 1;
    this.#peakTotal = Math.max(this.#peakTotal, phones.size);
    this.#poolRunning = running;
    running.forEach((n, i) => {
      const peak = (this.#poolPeaks[i] ??= { running: 0, at: null });
      if (n > peak.running) Object.assign(peak, { running: n, at: now });
    });
    this.#poolSampleCount += 1;
  }

  poolSamples(): PoolSamples {
    const sizes = this.fleet.poolSizes();
    return {
      pools: this.fleet.pools.map((pool, i) => ({
        name: pool.name,
        size: sizes[i] ?? 0,
        running: this.#poolRunning[i] ?? 0,
        peakRunning: this.#poolPeaks[i]?.running ?? 0,
        peakAt: this.#poolPeaks[i]?.at ?? null,
      })),
      peakTotal: this.#peakTotal,
      samples: this.#poolSampleCount,
      intervalMs: POOL_SAMPLE_MS,
    };
  }

  /** The whole call is refused for the sake of some instances, in the order the checks run. */
  #refuseReset(ids: string[], indexes: number[], now: number): Reply | undefined {
    const where = (test: (index: number) => boolean): string[] =>
      ids.filter((_, i) => test(indexes[i] as number));
    const unknown = where((index) => index < 0);
    if (unknown.length > 0) {
      return failure(
        200,
        KOOPHONE_CODES.notInTenant,
        `instances do not belong to this tenant: ${listIds(unknown)}`,
      );
    }
    const denied = where((index) => this.fleet.isDenied(index));
    if (denied.length > 0) {
      return failure(401, KOOPHONE_CODES.noPermission, `no permission on instances: ${listIds(denied)}`);
    }
    if (this.fleet.regions > 1 && new Set(indexes.map((index) => this.fleet.regionIndexAt(index))).size > 1) {
      const byRegion = ids.map((id, i) => `${id} (${this.fleet.regionAt(indexes[i] as number)})`);
      return failure(
        400,
        KOOPHONE_CODES.mixedRegions,
        `instances are not all in the same region: ${listIds(byRegion)}`,
      );
    }
    const frozen = where((index) => this.fleet.isFrozen(index));
    if (frozen.length > 0)
      return failure(200, KOOPHONE_CODES.frozen, `instance is frozen: ${listIds(frozen)}`);
    const recovering = where((index) => this.fleet.recoveringUntil(index) > now);
    if (recovering.length > 0) {
      return failure(200, KOOPHONE_CODES.recovering, `instance is being recovered: ${listIds(recovering)}`);
    }
    const backingUp = where((index) => this.fleet.backingUpUntil(index) > now);
    if (backingUp.length > 0) {
      return failure(200, KOOPHONE_CODES.backingUp, `instance is being backed up: ${listIds(backingUp)}`);
    }
    return undefined;
  }

  getTask(taskId: string, now: number): Reply {
    const taskNo = this.#taskIds.decode(taskId);
    if (taskNo < 0 || taskNo >= this.jobs.taskCount) {
      return failure(
        400,
        KOOPHONE_CODES.invalidParameters,
        `request parameters invalid: task_id ${JSON.stringify(taskId)} does not exist`,
      );
    }
    const jobs = this.jobs.jobsOfTask(taskNo).map((jobNo) => {
      const status = this.jobs.statusOf(jobNo, now);
      const failed =
        status === -1
          ? (this.#jobFailure.get(jobNo) ?? JOB_FAILURES[jobNo % JOB_FAILURES.length])
          : undefined;
      return {
        job_id: this.#jobIds.encode(jobNo),
        status,
        error_code: failed?.code ?? '',
        error_msg: failed?.message ?? '',
        execute_msg: failed?.executeMsg ?? '',
      };
    });
    return ok({ jobs });
  }

  /**
   * The listing. Beyond the documented fields it carries what Huawei's SDK model has
   * (running_status, login_status, assign_status, assign_user, backup_status/time,
   * restore_status/time) and `pool_name`/`pool_scene_tag`, which no model documents: the
   * simulator's guesses, said in the README. Backup and restore statuses follow the SDK (1
   * running, 2 succeeded) and are absent for a phone that never had one.
   */
  listInstances(query: unknown, now: number): Reply {
    const checked = checkListQuery(query);
    if (!checked.ok) return checked.reply;
    const q = checked.value;
    const page = queryFleet(
      this.fleet,
      {
        instanceId: q.instance_id,
        instanceNamePrefix: q.instance_name,
        createdFrom: q.query_start_time === undefined ? undefined : parseQueryTime(q.query_start_time),
        createdTo: q.query_end_time === undefined ? undefined : parseQueryTime(q.query_end_time),
        poolName: q.pool_name,
        poolSceneTag: q.pool_scene_tag,
      },
      q.page_no,
      q.page_size,
    );
    const time = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
    /** 1 running until `until`, then 2 succeeded (at `until`); nothing when there never was one. */
    const activity = (until: number, status: string, at: string) =>
      until === 0 ? {} : { [status]: until > now ? 1 : 2, [at]: time(until) };
    const result = page.indexes.map((index) => {
      const pool = this.fleet.poolAt(index);
      const user = this.fleet.assignedUser(index);
      return {
        instance_id: this.fleet.idAt(index),
        instance_name: this.fleet.nameAt(index),
        region: this.fleet.regionAt(index),
        instance_sku: pool.sku,
        frozen_status: this.fleet.isFrozen(index) ? 1 : 0,
        running_status: this.statusAt(index, now),
        login_status: this.fleet.isLoggedIn(index) ? 1 : 0,
        assign_status: user === '' ? 0 : 1,
        ...(user === '' ? {} : { assign_user: user }),
        ...activity(this.fleet.backingUpUntil(index), 'backup_status', 'backup_time'),
        ...activity(this.fleet.recoveringUntil(index), 'restore_status', 'restore_time'),
        pool_name: pool.name,
        pool_scene_tag: pool.sceneTag,
        create_time: time(this.fleet.createdAt(index)),
      };
    });
    return ok({ result, page_no: q.page_no, page_size: q.page_size, total_count: page.totalCount });
  }

  queryStatus(rawBody: unknown, now: number): Reply {
    const checked = checkInstanceIdsBody(rawBody, MAX_STATUS_QUERY_IDS);
    if (!checked.ok) return checked.reply;
    const ids = checked.value;
    const indexes = ids.map((id) => this.fleet.indexOf(id));
    const unknown = ids.filter((_, i) => (indexes[i] as number) < 0);
    if (unknown.length > 0) {
      return failure(
        200,
        KOOPHONE_CODES.notInTenant,
        `instances do not belong to this tenant: ${listIds(unknown)}`,
      );
    }
    return ok({
      status_results: ids.map((id, i) => ({
        instance_id: id,
        status: this.statusAt(indexes[i] as number, now),
      })),
    });
  }

  /** Frozen phones are stopped, phones in recovery offline, a phone whose reset job runs is starting. */
  statusAt(index: number, now: number): number {
    if (this.fleet.isFrozen(index)) return INSTANCE_STATUS.stopped;
    if (this.fleet.recoveringUntil(index) > now) return INSTANCE_STATUS.offline;
    const lastJob = this.fleet.lastJob[index] ?? -1;
    if (lastJob >= 0 && this.jobs.statusOf(lastJob, now) === 1) return INSTANCE_STATUS.starting;
    return INSTANCE_STATUS.running;
  }

  instanceView(index: number, now: number): InstanceView {
    const lastJob = this.fleet.lastJob[index] ?? -1;
    const recoveringUntil = this.fleet.recoveringUntil(index);
    const backingUpUntil = this.fleet.backingUpUntil(index);
    return {
      instanceId: this.fleet.idAt(index),
      index,
      instanceName: this.fleet.nameAt(index),
      region: this.fleet.regionAt(index),
      poolName: this.fleet.poolAt(index).name,
      loggedIn: this.fleet.isLoggedIn(index),
      assignUser: this.fleet.assignedUser(index) || null,
      resets: this.fleet.resets[index] ?? 0,
      status: this.statusAt(index, now),
      frozen: this.fleet.isFrozen(index),
      denied: this.fleet.isDenied(index),
      recoveringUntil: recoveringUntil > now ? recoveringUntil : null,
      backingUpUntil: backingUpUntil > now ? backingUpUntil : null,
      lastJobId: lastJob >= 0 ? this.#jobIds.encode(lastJob) : null,
      lastJobStatus: lastJob >= 0 ? this.jobs.statusOf(lastJob, now) : null,
    };
  }

  setInstance(index: number, patch: InstancePatch, now: number): InstanceView {
    if (patch.frozen !== undefined) this.fleet.setFrozen(index, patch.frozen);
    if (patch.denied !== undefined) this.fleet.setDenied(index, patch.denied);
    if (patch.recoveringForMs !== undefined) {
      this.fleet.setRecoveringUntil(index, patch.recoveringForMs > 0 ? now + patch.recoveringForMs : 0);
    }
    if (patch.backingUpForMs !== undefined) {
      this.fleet.setBackingUpUntil(index, patch.backingUpForMs > 0 ? now + patch.backingUpForMs : 0);
    }
    if (patch.loggedIn !== undefined) this.fleet.setLoggedIn(index, patch.loggedIn);
    if (patch.assignUser !== undefined) this.fleet.setAssignedUser(index, patch.assignUser ?? '');
    if (patch.pool !== undefined) this.fleet.setPool(index, patch.pool);
    if (patch.failNextJob === null) this.#nextJobFailure.delete(index);
    else if (patch.failNextJob) this.#nextJobFailure.set(index, patch.failNextJob);
    return this.instanceView(index, now);
  }
}

function initialFaults(options: SimulatorOptions): CurrentFaults {
  const keys = Object.keys(simulatorFaultsSchema.shape) as (keyof CurrentFaults)[];
  return Object.fromEntries(keys.map((key) => [key, options[key]])) as CurrentFaults;
}
