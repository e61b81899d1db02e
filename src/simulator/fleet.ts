import { InstanceIdCodec, MAX_FLEET_SIZE } from './id-codec';
import { hash32, hashUnit } from './random';

// The fleet keeps per-instance mutable state in typed arrays (~25 bytes an instance); everything
// else (id, name, region, pool, creation time) is computed from the index and the seed. Pools moved
// at run time (tests) are kept apart in a map: only those phones cost more.

export const REGION_NAMES = [
  'cn-north-4',
  'cn-east-3',
  'cn-south-1',
  'ap-southeast-1',
  'ap-southeast-3',
  'cn-southwest-2',
  'af-south-1',
  'la-south-2',
] as const;

export interface Pool {
  name: string;
  sceneTag: 'CLOUD_PHONE' | 'CLOUD_APP';
  sku: string;
}

/** Instance i belongs to POOLS[i % POOLS.length]. */
export const POOLS: readonly Pool[] = [
  { name: 'phone-pool-1', sceneTag: 'CLOUD_PHONE', sku: 'kp.phone.std.2c4g' },
  { name: 'phone-pool-2', sceneTag: 'CLOUD_PHONE', sku: 'kp.phone.std.2c4g' },
  { name: 'app-pool-1', sceneTag: 'CLOUD_APP', sku: 'kp.app.std.4c8g' },
];

export const NAME_PREFIX = 'phone-';
/** Instance i was created FIRST_CREATED_AT + i minutes: monotonic, so time filters are index ranges. */
export const FIRST_CREATED_AT = Date.UTC(2023, 0, 1);
export const CREATION_STEP_MS = 60_000;

const FROZEN = 1;
const DENIED = 2;
/** A user is logged in to the phone (the listing's login_status 1). */
const LOGGED_IN = 4;
/** The phone is assigned to a user (assign_status 1, assign_user set). */
const ASSIGNED = 8;

const SALT_REGION = 0x5e61;
const SALT_FROZEN = 0xf502;
const SALT_RECOVERING = 0x2ec0;
const SALT_IN_USE = 0x1a5e;
const SALT_BACKING_UP = 0xbac0;

export interface FleetShape {
  size: number;
  seed: number;
  regions: number;
  frozenRate: number;
  recoveringRate: number;
  recoveringDurationMs: number;
  /** Share of phones a user is logged in to and assigned to at start. */
  inUseRate: number;
  /** Share of phones with a backup running at start (2006), for recoveringDurationMs. */
  backingUpRate: number;
}

export class Fleet {
  readonly size: number;
  readonly seed: number;
  readonly regions: number;
  /** Digits in the numeric part of instance names. */
  readonly nameWidth: number;
  /** Applied resets per instance. */
  readonly resets: Uint32Array;
  /** Latest job number per instance, -1 when none. */
  readonly lastJob: Int32Array;
  readonly #flags: Uint8Array;
  readonly #recoveringUntil: Float64Array;
  readonly #backingUpUntil: Float64Array;
  readonly #codec: InstanceIdCodec;
  readonly #shape: FleetShape;
  /** Pools known to the fleet: the seeded ones, then those tests name at run time. */
  readonly #pools: Pool[] = [...POOLS];
  /** Phones moved to another pool at run time: index → position in #pools. */
  readonly #poolMoves = new Map<number, number>();
  /** Assigned users named at run time (others are `user-<index>`). */
  readonly #users = new Map<number, string>();

  constructor(shape: FleetShape, now: number) {
    if (!Number.isInteger(shape.size) || shape.size < 1 || shape.size > MAX_FLEET_SIZE) {
      throw new Error(`fleet size must be an integer from 1 to ${MAX_FLEET_SIZE}, got ${shape.size}`);
    }
    this.#shape = shape;
    this.size = shape.size;
    this.seed = shape.seed;
    this.regions = shape.regions;
    this.nameWidth = Math.max(7, String(shape.size - 1).length);
    this.resets = new Uint32Array(shape.size);
    this.lastJob = new Int32Array(shape.size);
    this.#flags = new Uint8Array(shape.size);
    this.#recoveringUntil = new Float64Array(shape.size);
    this.#backingUpUntil = new Float64Array(shape.size);
    this.#codec = new InstanceIdCodec(shape.seed);
    this.restore(now);
  }

  /** Back to the seeded start: no resets, no jobs, initial frozen and in-recovery instances. */
  restore(now: number): void {
    const { seed, frozenRate, recoveringRate, recoveringDurationMs } = this.#shape;
    const { inUseRate, backingUpRate } = this.#shape;
    this.resets.fill(0);
    this.lastJob.fill(-1);
    this.#pools.length = POOLS.length;
    this.#poolMoves.clear();
    this.#users.clear();
    for (let i = 0; i < this.size; i += 1) {
      const frozen = frozenRate > 0 && hashUnit(seed, i, SALT_FROZEN) < frozenRate ? FROZEN : 0;
      const inUse = inUseRate > 0 && hashUnit(seed, i, SALT_IN_USE) < inUseRate ? LOGGED_IN | ASSIGNED : 0;
      this.#flags[i] = frozen | inUse;
      this.#recoveringUntil[i] =
        recoveringRate > 0 && hashUnit(seed, i, SALT_RECOVERING) < recoveringRate
          ? now + recoveringDurationMs
          : 0;
      this.#backingUpUntil[i] =
        backingUpRate > 0 && hashUnit(seed, i, SALT_BACKING_UP) < backingUpRate ? now + recoveringDurationMs : 0;
    }
  }

  idAt(index: number): string {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new RangeError(`fleet index ${index} is outside 0..${this.size - 1}`);
    }
    return this.#codec.encode(index);
  }

  /** Index of `id` in this fleet, or -1. */
  indexOf(id: string): number {
    const index = this.#codec.decode(id);
    return index >= 0 && index < this.size ? index : -1;
  }

  regionIndexAt(index: number): number {
    return this.regions === 1 ? 0 : hash32(this.seed, index, SALT_REGION) % this.regions;
  }

  regionAt(index: number): string {
    return REGION_NAMES[this.regionIndexAt(index)] ?? 'cn-north-4';
  }

  /** Position of the phone's pool in `pools`: seeded as index % POOLS.length, unless moved. */
  poolIndexAt(index: number): number {
    return this.#poolMoves.get(index) ?? index % POOLS.length;
  }

  poolAt(index: number): Pool {
    return this.#pools[this.poolIndexAt(index)] as Pool;
  }

  /** Every pool the fleet knows, in order (a pool named at run time may hold no phone). */
  get pools(): readonly Pool[] {
    return this.#pools;
  }

  /** Some phone was moved to another pool at run time: pool filters can no longer be arithmetic. */
  get poolsMoved(): boolean {
    return this.#poolMoves.size > 0;
  }

  /** Moves the phone to the pool of that name, which is made (a CLOUD_PHONE pool) if new. */
  setPool(index: number, name: string): void {
    let at = this.#pools.findIndex((p) => p.name === name);
    if (at < 0) at = this.#pools.push({ name, sceneTag: 'CLOUD_PHONE', sku: POOLS[0]!.sku }) - 1;
    if (at === index % POOLS.length) this.#poolMoves.delete(index);
    else this.#poolMoves.set(index, at);
  }

  /** Phones per pool, in the order of `pools`. */
  poolSizes(): number[] {
    const sizes = this.#pools.map((_, i) =>
      i < POOLS.length ? Math.floor((this.size - 1 - i) / POOLS.length) + 1 : 0,
    );
    for (const [index, at] of this.#poolMoves) {
      sizes[index % POOLS.length]! -= 1;
      sizes[at]! += 1;
    }
    return sizes.map((n) => Math.max(0, n));
  }

  nameAt(index: number): string {
    return `${NAME_PREFIX}${String(index).padStart(this.nameWidth, '0')}`;
  }

  createdAt(index: number): number {
    return FIRST_CREATED_AT + index * CREATION_STEP_MS;
  }

  isFrozen(index: number): boolean {
    return ((this.#flags[index] ?? 0) & FROZEN) !== 0;
  }

  isDenied(index: number): boolean {
    return ((this.#flags[index] ?? 0) & DENIED) !== 0;
  }

  setFrozen(index: number, frozen: boolean): void {
    this.#setFlag(index, FROZEN, frozen);
  }

  isLoggedIn(index: number): boolean {
    return ((this.#flags[index] ?? 0) & LOGGED_IN) !== 0;
  }

  setLoggedIn(index: number, on: boolean): void {
    this.#setFlag(index, LOGGED_IN, on);
  }

  /** The user the phone is assigned to, or '' when it is not assigned. */
  assignedUser(index: number): string {
    if (((this.#flags[index] ?? 0) & ASSIGNED) === 0) return '';
    return this.#users.get(index) ?? `user-${index}`;
  }

  /** Assigns the phone to `user`; '' unassigns it. */
  setAssignedUser(index: number, user: string): void {
    this.#setFlag(index, ASSIGNED, user !== '');
    if (user === '') this.#users.delete(index);
    else this.#users.set(index, user);
  }

  setDenied(index: number, denied: boolean): void {
    this.#setFlag(index, DENIED, denied);
  }

  recoveringUntil(index: number): number {
    return this.#recoveringUntil[index] ?? 0;
  }

  setRecoveringUntil(index: number, until: number): void {
    this.#recoveringUntil[index] = until;
  }

  backingUpUntil(index: number): number {
    return this.#backingUpUntil[index] ?? 0;
  }

  setBackingUpUntil(index: number, until: number): void {
    this.#backingUpUntil[index] = until;
  }

  #setFlag(index: number, bit: number, on: boolean): void {
    const current = this.#flags[index] ?? 0;
    this.#flags[index] = on ? current | bit : current & ~bit;
  }
}
