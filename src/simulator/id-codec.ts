import { hash32, mix32 } from './random';

// Instance ids are a keyed permutation of the fleet index written in base 36, so id -> index
// needs no Map (a million string keys would cost ~100 MB). Task and job ids embed their number,
// permuted, under a keyed checksum, so a lookup decodes rather than searches.

/** A balanced 4-round Feistel network over 2·halfBits bits: a keyed bijection, cheap both ways. */
class Feistel {
  readonly #half: number;
  readonly #mask: number;
  readonly #keys: number[];

  constructor(halfBits: number, keys: number[]) {
    this.#half = 2 ** halfBits;
    this.#mask = this.#half - 1;
    this.#keys = keys;
  }

  #round(value: number, key: number): number {
    return (mix32(value ^ key) & this.#mask) >>> 0;
  }

  encrypt(value: number): number {
    let left = Math.floor(value / this.#half);
    let right = value % this.#half;
    for (const key of this.#keys) {
      const next = (left ^ this.#round(right, key)) >>> 0;
      left = right;
      right = next;
    }
    return left * this.#half + right;
  }

  decrypt(value: number): number {
    let left = Math.floor(value / this.#half);
    let right = value % this.#half;
    for (let i = this.#keys.length - 1; i >= 0; i -= 1) {
      const previous = (right ^ this.#round(left, this.#keys[i] ?? 0)) >>> 0;
      right = left;
      left = previous;
    }
    return left * this.#half + right;
  }
}

const ID_LENGTH = 8;
const ID_SPACE = 36 ** ID_LENGTH; // 2 821 109 907 456, just under 2^42
const INSTANCE_ID = /^[0-9a-z]{8}$/;

export const MAX_FLEET_SIZE = ID_SPACE;

const roundKeys = (...salt: number[]): number[] => [0, 1, 2, 3].map((round) => hash32(...salt, round));

/** 8 base-36 characters, like `a44uhlf7`: the Feistel permutation cycle-walked into 36^8. */
export class InstanceIdCodec {
  readonly #cipher: Feistel;

  constructor(seed: number) {
    this.#cipher = new Feistel(21, roundKeys(seed, 0x1d5));
  }

  encode(index: number): string {
    let x = this.#cipher.encrypt(index);
    while (x >= ID_SPACE) x = this.#cipher.encrypt(x);
    return x.toString(36).padStart(ID_LENGTH, '0');
  }

  /** The index this id encodes, or -1 when the string is not shaped like an id. */
  decode(id: string): number {
    if (!INSTANCE_ID.test(id)) return -1;
    let x = this.#cipher.decrypt(parseInt(id, 36));
    while (x >= ID_SPACE) x = this.#cipher.decrypt(x);
    return x;
  }
}

const hex8 = (value: number): string => (value >>> 0).toString(16).padStart(8, '0');

/**
 * 32 hex characters: 24 of keyed checksum, then the permuted number. The generation goes into the
 * keys so ids issued before a simulator reset are unknown afterwards.
 */
export class NumberedIdCodec {
  readonly #prefix: string;
  readonly #salt: number;
  readonly #seed: number;
  readonly #pattern: RegExp;
  #generation = 0;
  #cipher: Feistel;

  constructor(seed: number, prefix: string, salt: number) {
    this.#seed = seed;
    this.#prefix = prefix;
    this.#salt = salt;
    this.#pattern = new RegExp(`^${prefix}[0-9a-f]{32}$`);
    this.#cipher = new Feistel(16, roundKeys(seed, salt, 0));
  }

  setGeneration(generation: number): void {
    this.#generation = generation;
    this.#cipher = new Feistel(16, roundKeys(this.#seed, this.#salt, generation));
  }

  encode(n: number): string {
    const base = [this.#seed, this.#salt, this.#generation, n] as const;
    const checksum = `${hex8(hash32(...base, 1))}${hex8(hash32(...base, 2))}${hex8(hash32(...base, 3))}`;
    return `${this.#prefix}${checksum}${hex8(this.#cipher.encrypt(n))}`;
  }

  /** The number, or -1 when the id was not issued by this codec in this generation. */
  decode(id: string): number {
    if (!this.#pattern.test(id)) return -1;
    const n = this.#cipher.decrypt(parseInt(id.slice(-8), 16));
    return this.encode(n) === id ? n : -1;
  }
}
