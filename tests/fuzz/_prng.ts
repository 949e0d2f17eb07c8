/**
 * A seeded, deterministic pseudo-random generator for the fuzz tests
 * (SplitMix32, from Steele, Lea and Flood, "Fast splittable pseudorandom
 * number generators", OOPSLA 2014, in its 32-bit variant). Not for secrets:
 * only to make every fuzz run reproducible. The seed comes from
 * METEOR_FUZZ_SEED when set, so a failure printed with its seed replays.
 *
 * @module
 */

/** The seed every fuzz test derives its own from; METEOR_FUZZ_SEED overrides it. */
export const FUZZ_SEED: number = (() => {
  const text = Deno.env.get("METEOR_FUZZ_SEED");
  if (text === undefined) return 0x6d657465; // "mete"
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new RangeError("METEOR_FUZZ_SEED must be an integer");
  return seed >>> 0;
})();

/** A deterministic generator of numbers, bytes and choices. */
export class Prng {
  #state: number;
  /** The seed this generator started from (print it when a case fails). */
  readonly seed: number;

  /** A generator for `label` under the run's {@link FUZZ_SEED}, or an explicit seed. */
  constructor(label: string, seed = FUZZ_SEED) {
    // Mix the label in so that every test has its own stream under one run seed.
    let h = seed >>> 0;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    this.seed = h >>> 0;
    this.#state = this.seed;
  }

  /** The next 32-bit unsigned integer (SplitMix32). */
  u32(): number {
    this.#state = (this.#state + 0x9e3779b9) | 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  /** `length` pseudo-random bytes. */
  bytes(length: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const v = this.u32();
      for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
    }
    return out;
  }

  /** A non-zero byte, to XOR into a byte so that it surely changes. */
  nonZeroByte(): number {
    return 1 + this.int(255);
  }

  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** A string of `length` characters drawn from `alphabet`. */
  string(length: number, alphabet: string): string {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }
}
