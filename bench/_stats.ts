/**
 * Shared helpers for Meteor's benchmark scripts: repeated timing, medians,
 * percentiles and a plain-text table. Benchmarks print numbers; they never
 * assert on them.
 *
 * @module
 */

/** The median of `values` (which it sorts a copy of). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** The `p`th percentile (nearest rank) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError("Cannot take a percentile: no values");
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Runs `fn` `runs` times (after one warm-up) and returns each run's milliseconds. */
export async function timeRuns(runs: number, fn: () => unknown): Promise<number[]> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

/**
 * Operations per second of `op`, as the median over `rounds` rounds of
 * `batch` back-to-back calls each.
 */
export async function opsPerSecond(
  rounds: number,
  batch: number,
  op: () => unknown,
): Promise<number> {
  const times = await timeRuns(rounds, async () => {
    for (let i = 0; i < batch; i++) await op();
  });
  return batch / (median(times) / 1000);
}

/** Formats a number with a fixed count of significant figures and thousands separators. */
export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  const rounded = Number(value.toPrecision(digits));
  return rounded.toLocaleString("en-US", { maximumFractionDigits: 3 });
}

/** Renders rows as a Markdown-compatible table with a header row. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
