import assert from "node:assert/strict";
import { type RunOutcome, verdict } from "./_run_verdict.ts";

const PASSED = "\x1b[32mok\x1b[0m | 12 passed | 0 failed (3s)\n";
const FAILED = "FAILED | 11 passed | 1 failed (3s)\n";

Deno.test("verdict() forgives only SIGABRT, only on the WebGPU run, only after a passing summary", () => {
  const run = (signal: string | null, webgpu: boolean, tail: string): RunOutcome => ({
    success: false,
    signal,
    webgpu,
    tail,
  });
  const cases: [string, RunOutcome, boolean, RegExp | null][] = [
    ["success", { success: true, signal: null, webgpu: false, tail: "" }, true, null],
    ["exit 1", run(null, true, FAILED), false, null],
    ["SIGABRT, WebGPU, passed", run("SIGABRT", true, PASSED), true, /^warning: .*SIGABRT/],
    ["SIGABRT, WebGPU, failed", run("SIGABRT", true, FAILED), false, /^error: .*SIGABRT$/],
    ["SIGABRT, parallel", run("SIGABRT", false, PASSED), false, /only SIGABRT on the WebGPU/],
    ["SIGSEGV, WebGPU, passed", run("SIGSEGV", true, PASSED), false, /^error: .*SIGSEGV/],
    ["SIGKILL, WebGPU, passed", run("SIGKILL", true, PASSED), false, /^error: .*SIGKILL/],
  ];
  for (const [name, outcome, passed, line] of cases) {
    const result = verdict(outcome);
    assert.equal(result.passed, passed, name);
    if (line === null) assert.equal(result.warning, null, name);
    else assert.match(result.warning ?? "", line, name);
  }
});
