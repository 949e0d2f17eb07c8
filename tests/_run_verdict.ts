/**
 * How tests/run.ts judges one `deno test` process: its exit, its output's
 * tail, and whether it was the WebGPU run. Only SIGABRT, only on the WebGPU
 * run, and only after a summary saying every test passed, is forgiven (the
 * runtime's WebGPU teardown abort at exit), with a warning; every other
 * signal fails, with a line that names it.
 *
 * @module
 */

/** deno test's closing line when nothing failed, e.g. "ok | 521 passed | 0 failed (14s)". */
const ALL_PASSED = /^ok \| \d+ passed(?: \(\d+ steps\))? \| 0 failed\b/m;

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** The signal a WebGPU run may end on after a passing summary. */
export const FORGIVEN_SIGNAL = "SIGABRT";

/** A finished `deno test` process. */
export interface RunOutcome {
  /** Exit status 0. */
  success: boolean;
  /** The signal that ended it, or null. */
  signal: string | null;
  /** Whether it ran the WebGPU files. */
  webgpu: boolean;
  /** The last few KiB of its stdout. */
  tail: string;
}

/** Whether the run counts as passed, and the line to print about it (null: none). */
export function verdict(run: RunOutcome): { passed: boolean; warning: string | null } {
  if (run.success) return { passed: true, warning: null };
  if (run.signal === null) return { passed: false, warning: null };
  const summaryPassed = ALL_PASSED.test(run.tail.replace(ANSI, ""));
  if (run.webgpu && run.signal === FORGIVEN_SIGNAL && summaryPassed) {
    return {
      passed: true,
      warning: `warning: deno test exited on ${run.signal} after every test passed ` +
        "(WebGPU teardown at exit; see tests/run.ts): counted as passed",
    };
  }
  return {
    passed: false,
    warning: `error: deno test exited on ${run.signal}` +
      (summaryPassed ? " after every test passed: only SIGABRT on the WebGPU run is forgiven" : ""),
  };
}
