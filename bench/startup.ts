/**
 * CLI start-up (part of `deno task bench`): how long offline `meteor`
 * commands take from process start to exit, beside an empty `deno run` in
 * the same hyperfine run. Each command runs as the installed command does
 * (`deno task install`: the project's config given with --config, from a
 * folder outside the project) against a fresh node home with no daemon.
 *
 * hyperfine (Debian package) is installed with apt-get when missing.
 *
 * @module
 */
import { formatNumber, table } from "./_stats.ts";

const REPO = new URL("../", import.meta.url).pathname;

/** The offline commands measured, as `meteor` arguments. */
const COMMANDS = ["--version", "--help", "id", "contacts list", "encrypt -r self small.txt"];

/** Whether hyperfine runs, installing it with apt-get when it does not. */
async function ensureHyperfine(): Promise<boolean> {
  const probe = async () => {
    try {
      return (await new Deno.Command("hyperfine", { args: ["--version"], stdout: "null" }).output())
        .success;
    } catch {
      return false;
    }
  };
  if (await probe()) return true;
  try {
    await new Deno.Command("apt-get", { args: ["install", "-y", "-qq", "hyperfine"] }).output();
  } catch {
    return false;
  }
  return await probe();
}

/** hyperfine's median of each of `commands` (one hyperfine run), in ms, in their order. */
async function hyperfine(dir: string, commands: string[], runs: number): Promise<number[]> {
  const out = `${dir}/hyperfine.json`;
  const run = await new Deno.Command("hyperfine", {
    args: ["-N", "--warmup", "3", "--runs", String(runs), "--export-json", out, ...commands],
    cwd: dir,
    env: { METEOR_HOME: `${dir}/home`, NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!run.success) {
    throw new Error(`Cannot run hyperfine: ${new TextDecoder().decode(run.stderr).trim()}`);
  }
  const { results } = JSON.parse(await Deno.readTextFile(out)) as {
    results: { command: string; median: number }[];
  };
  return results.map((r) => r.median * 1000);
}

/**
 * Measures {@link COMMANDS} against an empty `deno run` with hyperfine
 * (`runs` runs each, medians) and renders a table with the ratios; a note
 * instead when hyperfine cannot be installed.
 */
export async function benchStartup(runs = 30): Promise<string> {
  if (!(await ensureHyperfine())) return "CLI start-up: skipped (hyperfine is not installed)";
  const dir = await Deno.makeTempDir({ prefix: "meteor-startup-" });
  try {
    await Deno.writeTextFile(`${dir}/empty.ts`, "");
    await Deno.writeTextFile(`${dir}/small.txt`, "a small file\n");
    const meteor = `deno run -A --config '${REPO}deno.json' '${REPO}cli.ts'`;
    const init = await new Deno.Command("sh", {
      args: ["-c", `${meteor} init`],
      cwd: dir,
      env: { METEOR_HOME: `${dir}/home` },
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!init.success) throw new Error(new TextDecoder().decode(init.stderr));
    // The second line is what the project's config (its import map and npm lockfile) costs alone.
    const withConfig = `deno run -A --config '${REPO}deno.json' empty.ts`;
    const lines = ["deno run -A empty.ts", withConfig, ...COMMANDS.map((c) => `${meteor} ${c}`)];
    const [empty, configured, ...medians] = await hyperfine(dir, lines, runs);
    return table(
      ["CLI start-up (hyperfine, no daemon)", "median", "vs empty deno run"],
      [
        ["empty `deno run` (baseline, same run)", `${formatNumber(empty)} ms`, "1.00x"],
        [
          "empty `deno run` with the project's deno.json",
          `${formatNumber(configured)} ms`,
          `${formatNumber(configured / empty)}x`,
        ],
        ...COMMANDS.map((c, i) => [
          `meteor ${c}`,
          `${formatNumber(medians[i])} ms`,
          `${formatNumber(medians[i] / empty)}x`,
        ]),
      ],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) console.log(await benchStartup());
