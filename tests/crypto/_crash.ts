/**
 * Runs a worker-crash scenario (_crash_scenarios.ts) in a child process and
 * returns what it printed; its stderr, where the runtime prints the crashing
 * worker's error, is captured and checked instead of reaching the test run.
 *
 * @module
 */
import assert from "node:assert/strict";

const SCRIPT = new URL("./_crash_scenarios.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/** The scenario's JSON result; asserts the child succeeded and a worker did crash. */
export async function crashScenario(name: string): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--config", CONFIG, SCRIPT, name],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `scenario ${name} failed: ${stderr.slice(0, 2000)}`);
  assert.match(stderr, /worker crash \(test\)/, "no worker crashed");
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
