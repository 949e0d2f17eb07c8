/**
 * The plugin's traffic counters, summed in memory and written to the node's
 * counters at most once per period: one SQLite write (fsync'd under
 * `synchronous = FULL`) per message published or delivered would cost more
 * than the message's own verification.
 *
 * @module
 */
import type { Counts } from "../../core/store/mod.ts";
import type { PluginCounters } from "../../core/plugin.ts";

/** How long counts wait in memory before they are written, in ms. */
export const TRAFFIC_FLUSH_MS = 1_000;

/** Sums traffic counts and flushes them to `counters` once per period and at stop. */
export class TrafficCounter {
  readonly #counters: PluginCounters;
  readonly #periodMs: number;
  #pending: Counts = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 };
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** A counter that writes to `counters` at most every `periodMs`. */
  constructor(counters: PluginCounters, periodMs = TRAFFIC_FLUSH_MS) {
    this.#counters = counters;
    this.#periodMs = periodMs;
  }

  /** Adds to the pending counts; the write follows within one period. */
  add(delta: Partial<Counts>): void {
    for (const [key, value] of Object.entries(delta) as [keyof Counts, number][]) {
      this.#pending[key] += value;
    }
    this.#timer ??= setTimeout(() => this.flush(), this.#periodMs);
  }

  /** Writes the pending counts now (nothing when there are none). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = this.#pending;
    this.#pending = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 };
    if (Object.values(pending).some((v) => v > 0)) this.#counters.add(pending);
  }
}
