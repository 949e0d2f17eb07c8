/**
 * Group commit: items handed in during one turn of the event loop are
 * written together by one call of `commit` (one SQLite transaction, one
 * fsync), run in the check phase after the I/O that brought them. Each
 * caller learns its own result only once that commit is done, so nothing is
 * acknowledged before it is durable.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/** Callers of one commit: each waits for the results of `count` items from `start`. */
interface Waiter<R> {
  start: number;
  count: number;
  resolve(results: R[]): void;
  reject(err: unknown): void;
}

/**
 * Batches items into one commit per event-loop turn.
 *
 * @example
 * ```ts
 * import { GroupCommit } from "./_group_commit.ts";
 * const squares = new GroupCommit((xs: number[]) => xs.map((x) => x * x));
 * await squares.add(3); // 9, committed with whatever else came in this turn
 * await squares.addAll([1, 2]); // [1, 4], in one commit
 * ```
 */
export class GroupCommit<T, R> {
  readonly #commit: (items: T[]) => R[];
  #items: T[] = [];
  #waiting: Waiter<R>[] = [];

  /** `commit` writes a batch and returns one result per item, in order; a throw fails the batch. */
  constructor(commit: (items: T[]) => R[]) {
    this.#commit = commit;
  }

  /** Adds `item` to the next commit; resolves with its result once that commit is done. */
  async add(item: T): Promise<R> {
    return (await this.addAll([item]))[0];
  }

  /** Adds `items` to the next commit together; resolves with their results, in order. */
  addAll(items: readonly T[]): Promise<R[]> {
    if (items.length === 0) return Promise.resolve([]);
    if (this.#items.length === 0) setImmediate(() => this.#run());
    const start = this.#items.length;
    for (const item of items) this.#items.push(item);
    return new Promise((resolve, reject) =>
      this.#waiting.push({ start, count: items.length, resolve, reject })
    );
  }

  #run(): void {
    const items = this.#items;
    const waiting = this.#waiting;
    this.#items = [];
    this.#waiting = [];
    let results: R[];
    try {
      results = this.#commit(items);
    } catch (err) {
      for (const w of waiting) w.reject(err);
      return;
    }
    for (const w of waiting) w.resolve(results.slice(w.start, w.start + w.count));
  }
}
