/**
 * Fixed-window rate limits, in memory: how many times a key (an identity or
 * an address, per kind) was counted in the current window. Bounded: past
 * `maxKeys` keys, windows that have ended are dropped, and then the oldest.
 *
 * @module
 */

/** Counts per key in fixed windows of `windowMs`. */
export class RateLimiter {
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #windows = new Map<string, { count: number; endsAt: number }>();

  /** A limiter with windows of `windowMs`, tracking at most `maxKeys` keys. */
  constructor(windowMs: number, maxKeys = 100_000) {
    this.#windowMs = windowMs;
    this.#maxKeys = maxKeys;
  }

  /** How many times `key` was counted in its current window. */
  count(key: string, now: number): number {
    const w = this.#windows.get(key);
    return w && w.endsAt > now ? w.count : 0;
  }

  /** Counts `key` once; resolves to its count in the window, this one included. */
  hit(key: string, now: number): number {
    let w = this.#windows.get(key);
    if (!w || w.endsAt <= now) {
      if (this.#windows.size >= this.#maxKeys) this.#evict(now);
      w = { count: 0, endsAt: now + this.#windowMs };
      this.#windows.set(key, w);
    }
    return ++w.count;
  }

  /** Seconds until the window of `key` ends. */
  retryAfter(key: string, now: number): number {
    const w = this.#windows.get(key);
    return w ? Math.max(1, Math.ceil((w.endsAt - now) / 1000)) : 0;
  }

  #evict(now: number): void {
    for (const [key, w] of this.#windows) if (w.endsAt <= now) this.#windows.delete(key);
    // Still full: drop the oldest keys (Map keeps insertion order).
    for (const key of this.#windows.keys()) {
      if (this.#windows.size < this.#maxKeys) break;
      this.#windows.delete(key);
    }
  }
}
