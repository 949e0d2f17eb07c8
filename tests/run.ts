/**
 * Runs the test suite in two `deno test` processes: everything except the
 * files that use WebGPU in parallel, then those files one after another.
 *
 * Why: with Deno 2.9 on Mesa's lavapipe, a process that used WebGPU sometimes
 * aborts while it exits, after every test has finished and passed
 * ("corrupted size vs. prev_size in fastbins", SIGABRT; about one run in
 * seven). That abort happens in the runtime's teardown, not in a test. Only
 * for the WebGPU run, and only for SIGABRT, when the run's own summary says
 * every test passed with none failed, this script prints a warning naming
 * the signal and counts the run as passed. Any other signal, a crash before
 * the summary, any failed test, or any signal in the parallel run fails.
 *
 * The parallel run sets METEOR_CIPHER_PATH=cpu, so the daemons its tests
 * start do not open a WebGPU device to calibrate (docs/config.md): only the
 * WebGPU run uses the device.
 *
 * @module
 */

import { verdict } from "./_run_verdict.ts";

/** Test files that open a WebGPU device: they run serially, after the rest. */
const GPU_FILES = [
  "tests/gpu",
  "tests/age/cli_test.ts",
  "tests/fuzz/age_test.ts",
  "tests/fuzz/crypto_test.ts",
  "tests/crypto/batch_workers_test.ts",
  "tests/crypto/selftest_test.ts",
];

async function denoTest(
  args: string[],
  options: { webgpu: boolean; env?: Record<string, string> },
): Promise<boolean> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", ...args],
    env: options.env,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let tail = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
  }
  const status = await child.status;
  const { passed, warning } = verdict({ ...status, webgpu: options.webgpu, tail });
  if (warning !== null) console.error(warning);
  return passed;
}

const parallel = await denoTest(["--parallel", `--ignore=${GPU_FILES.join(",")}`], {
  webgpu: false,
  env: { METEOR_CIPHER_PATH: "cpu" },
});
const serial = await denoTest(GPU_FILES, { webgpu: true });
Deno.exit(parallel && serial ? 0 : 1);
