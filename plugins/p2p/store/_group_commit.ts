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

/**
 * Batches items into one commit per event-loop turn.
 *
 * @example
 * ```ts
 * import { GroupCommit } from "./_group_commit.ts";
 * const squares = new GroupCommit((xs: number[]) => xs.map((x) => x * x));
 * await squares.add(3); // 9, committed with whatever else came in this turn
 * ```
 */
export class GroupCommit<T, R> {
  readonly #commit: (items: T[]) => R[];
  #items: T[] = [];
  #waiting: { resolve(result: R): void; reject(err: unknown): void }[] = [];

  /** `commit` writes a batch and returns one result per item, in order; a throw fails the batch. */
  constructor(commit: (items: T[]) => R[]) {
    this.#commit = commit;
  }

  /** Adds `item` to the next commit; resolves with its result once that commit is done. */
  add(item: T): Promise<R> {
    if (this.#items.length === 0) setImmediate(() => this.#run());
    this.#items.push(item);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
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
    waiting.forEach((w, i) => w.resolve(results[i]));
  }
}
