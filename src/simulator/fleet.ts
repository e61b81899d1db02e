import { InstanceIdCodec, MAX_FLEET_SIZE } from './id-codec';
import { hash32, hashUnit } from './random';

// The fleet keeps per-instance mutable state in typed arrays (~25 bytes an instance); everything
// else (id, name, region, pool, creation time) is computed from the index and the seed.

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

const SALT_REGION = 0x5e61;
const SALT_FROZEN = 0xf502;
const SALT_RECOVERING = 0x2ec0;

export interface FleetShape {
  size: number;
  seed: number;
  regions: number;
  frozenRate: number;
  recoveringRate: number;
  recoveringDurationMs: number;
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
    this.resets.fill(0);
    this.lastJob.fill(-1);
    this.#backingUpUntil.fill(0);
    for (let i = 0; i < this.size; i += 1) {
      this.#flags[i] = frozenRate > 0 && hashUnit(seed, i, SALT_FROZEN) < frozenRate ? FROZEN : 0;
      this.#recoveringUntil[i] =
        recoveringRate > 0 && hashUnit(seed, i, SALT_RECOVERING) < recoveringRate
          ? now + recoveringDurationMs
          : 0;
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

  poolAt(index: number): Pool {
    return POOLS[index % POOLS.length] as Pool;
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
