/**
 * A Map that keeps at most a fixed number of entries: setting a new key
 * when full drops the entry set longest ago (a key set again counts as new).
 * Per-peer state is kept in these so that many peers cannot grow it without
 * bound.
 *
 * @module
 */

/** A size-bounded Map. */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly #max: number;

  /** A map of at most `max` entries. */
  constructor(max: number) {
    super();
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError("max must be a positive integer");
    }
    this.#max = max;
  }

  /** Sets `key` as the newest entry, dropping the oldest when over the bound. */
  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    if (this.size > this.#max) super.delete(this.keys().next().value as K);
    return this;
  }
}
