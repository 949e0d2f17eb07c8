/**
 * CLI start-up (part of `deno task bench`): how long offline `meteor`
 * commands take from process start to exit, beside an empty `deno run` in
 * the same hyperfine run. Each command runs as the installed command does
 * (`deno task install`: the project's config given with --config, from a
 * folder outside the project) against a fresh node home with no daemon:
 * median and mean wall time and user CPU, each with its ratio to the empty
 * run. The goal (issue 9): every offline command within 2x.
 *
 * hyperfine (Debian package) is installed with apt-get when missing.
 *
 * @module
 */
import { formatNumber, median, table } from "./_stats.ts";

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

/** What hyperfine measured of one command, in ms. */
interface Timing {
  /** Median wall-clock time. */
  median: number;
  /** Mean wall-clock time. */
  mean: number;
  /** Mean user CPU time. */
  user: number;
}

/** Rounds the runs are split into, so that a change of load hits every line alike. */
const ROUNDS = 5;

/**
 * hyperfine's timings of each of `commands`, in their order: `runs` runs
 * each, in {@link ROUNDS} hyperfine runs of all the commands in turn
 * (interleaved rounds; warm-up runs first in each), medians and means over
 * all of them.
 */
async function hyperfine(dir: string, commands: string[], runs: number): Promise<Timing[]> {
  const out = `${dir}/hyperfine.json`;
  const times: number[][] = commands.map(() => []);
  const users: number[] = commands.map(() => 0);
  const perRound = Math.max(2, Math.round(runs / ROUNDS));
  for (let round = 0; round < ROUNDS; round++) {
    const warmup = round === 0 ? "3" : "1";
    const args = ["-N", "--warmup", warmup, "--runs", String(perRound), "--export-json", out];
    const run = await new Deno.Command("hyperfine", {
      args: [...args, ...commands],
      cwd: dir,
      env: { METEOR_HOME: `${dir}/home`, NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!run.success) {
      throw new Error(`Cannot run hyperfine: ${new TextDecoder().decode(run.stderr).trim()}`);
    }
    const { results } = JSON.parse(await Deno.readTextFile(out)) as {
      results: { times: number[]; user: number }[];
    };
    results.forEach((r, i) => {
      times[i].push(...r.times.map((t) => t * 1000));
      users[i] += (r.user * 1000) / ROUNDS;
    });
  }
  return times.map((t, i) => ({
    median: median(t),
    mean: t.reduce((a, b) => a + b, 0) / t.length,
    user: users[i],
  }));
}

/** Runs `meteor ARGS` once in `dir` (the bench's home), failing with its stderr. */
async function runOnce(dir: string, meteor: string, args: string): Promise<void> {
  const run = await new Deno.Command("sh", {
    args: ["-c", `${meteor} ${args}`],
    cwd: dir,
    env: { METEOR_HOME: `${dir}/home` },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!run.success) throw new Error(new TextDecoder().decode(run.stderr));
}

/**
 * Measures {@link COMMANDS} against an empty `deno run` with hyperfine
 * (`hyperfine -N`, `runs` runs of each line in interleaved rounds) and renders a table
 * of median and mean wall time and mean user CPU, with their ratios to the
 * empty run; a note instead when hyperfine cannot be installed. The home is
 * made by `meteor init`, then `meteor id` runs once, as a user's first look
 * at the new identity does (it writes the identity cache, docs/identity.md
 * §5.1). With `against` (another checkout of the project, e.g. main's), each
 * command also runs from there, in the same rounds, on the same home: a
 * before-and-after table.
 */
export async function benchStartup(runs = 20, against?: string): Promise<string> {
  if (!(await ensureHyperfine())) return "CLI start-up: skipped (hyperfine is not installed)";
  const dir = await Deno.makeTempDir({ prefix: "meteor-startup-" });
  try {
    await Deno.writeTextFile(`${dir}/empty.ts`, "");
    await Deno.writeTextFile(`${dir}/small.txt`, "a small file\n");
    const meteorAt = (repo: string) => `deno run -A --config '${repo}deno.json' '${repo}cli.ts'`;
    const meteor = meteorAt(REPO);
    await runOnce(dir, meteor, "init");
    await runOnce(dir, meteor, "id");
    const trees: [string, string][] = against === undefined
      ? [["", meteor]]
      : [[" (against)", meteorAt(against.replace(/\/?$/, "/"))], [" (this tree)", meteor]];
    // The second line is what the project's config (its import map and npm lockfile) costs alone.
    const withConfig = `deno run -A --config '${REPO}deno.json' empty.ts`;
    const lines = ["deno run -A empty.ts", withConfig];
    const names = [
      "empty `deno run` (baseline, same run)",
      "empty `deno run` with the project's deno.json",
    ];
    for (const c of COMMANDS) {
      for (const [label, command] of trees) {
        lines.push(`${command} ${c}`);
        names.push(`meteor ${c}${label}`);
      }
    }
    const load = Deno.loadavg()[0];
    const [empty, ...timings] = await hyperfine(dir, lines, runs);
    const ms = (value: number) => `${formatNumber(value)} ms`;
    const ratio = (value: number, base: number) => `${formatNumber(value / base)}x`;
    return table(
      [
        `CLI start-up (hyperfine -N, ${runs} runs in ${ROUNDS} rounds, no daemon; load ${
          load.toFixed(1)
        })`,
        "median",
        "mean",
        "user CPU",
        "median vs empty",
        "user vs empty",
      ],
      [empty, ...timings].map((t, i) => [
        names[i],
        ms(t.median),
        ms(t.mean),
        ms(t.user),
        ratio(t.median, empty.median),
        ratio(t.user, empty.user),
      ]),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  // deno run -A bench/startup.ts [--against <other checkout>]
  const at = Deno.args.indexOf("--against");
  console.log(await benchStartup(20, at >= 0 ? Deno.args[at + 1] : undefined));
}
