// Seeded randomness: one stream per concern, so enabling a fault does not shift job outcomes.

/** A 32-bit avalanche (lowbias32): equal inputs give equal outputs, neighbours look unrelated. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A stable 32-bit hash of a few integers (seed, index, salt, …). */
export function hash32(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const value of values) {
    // Split so inputs above 2^32 (job numbers, ids) still count in full.
    h = mix32(h ^ mix32(value >>> 0));
    h = mix32(h ^ mix32(Math.floor(value / 0x1_0000_0000)));
  }
  return h;
}

/** hash32 scaled to [0, 1). */
export function hashUnit(...values: number[]): number {
  return hash32(...values) / 0x1_0000_0000;
}

/** sfc32: small, fast and good enough for fault injection; fully determined by its seed. */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number, stream: number) {
    this.#a = hash32(seed, stream, 1);
    this.#b = hash32(seed, stream, 2);
    this.#c = hash32(seed, stream, 3);
    this.#d = 1;
    for (let i = 0; i < 12; i += 1) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return (t >>> 0) / 0x1_0000_0000;
  }

  /** True with probability `rate`; always consumes one draw so sequences stay aligned. */
  chance(rate: number): boolean {
    return this.next() < rate;
  }

  /** Integer in [min, max]. */
  between(min: number, max: number): number {
    const draw = this.next();
    return min + Math.floor(draw * (max - min + 1));
  }
}
