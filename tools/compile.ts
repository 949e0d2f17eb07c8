/**
 * `deno task compile`: builds the single `meteor` binary (the CLI, the
 * daemon, every built-in plugin, the shaders and the worker modules) with
 * `deno compile`. Deno embeds a runtime, denort, that it downloads from
 * dl.deno.land unless `DENORT_BIN` names one or it is already cached. This
 * script checks that first, and where no runtime can be had it says so and
 * what to do, and exits 1, instead of leaving `deno compile`'s error chain.
 *
 * Usage: deno task compile [--output PATH]   (default ./meteor)
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** What the binary holds besides cli.ts's module graph (loaded at run time, not imported). */
export const INCLUDES: readonly string[] = [
  "core/crypto/_batch_worker.ts",
  "core/age/_stream_worker.ts",
  "shaders",
  "cli",
  "plugins",
];

/** The arguments of `deno` that build the binary at `output`. */
export function compileArgs(output: string): string[] {
  return [
    "compile",
    "--allow-all",
    ...INCLUDES.flatMap((path) => ["--include", path]),
    "--output",
    output,
    "cli.ts",
  ];
}

/** Where Deno downloads the runtime it embeds from. */
export function denortUrl(version = Deno.version.deno, target = Deno.build.target): string {
  return `https://dl.deno.land/release/v${version}/denort-${target}.zip`;
}

/** The runtime's zip in Deno's cache, where an earlier `deno compile` left it. */
async function cachedDenort(): Promise<string | null> {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const dir = JSON.parse(new TextDecoder().decode(stdout)).denoDir as string;
  const path = `${dir}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  return (await Deno.stat(path).then((s) => s.isFile, () => false)) ? path : null;
}

/**
 * Why `deno compile` cannot get a runtime here, or null when it can:
 * `DENORT_BIN` names a file, the runtime is cached, or dl.deno.land answers
 * within `ms`.
 */
export async function runtimeProblem(
  env: { DENORT_BIN?: string } = { DENORT_BIN: Deno.env.get("DENORT_BIN") },
  ms = 10_000,
): Promise<string | null> {
  if (env.DENORT_BIN !== undefined) {
    const file = await Deno.stat(env.DENORT_BIN).then((s) => s.isFile, () => false);
    return file ? null : `DENORT_BIN=${env.DENORT_BIN} is not a file`;
  }
  if (await cachedDenort()) return null;
  const url = denortUrl();
  try {
    const response = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(ms) });
    await response.body?.cancel();
    return response.ok ? null : `${url} answered ${response.status}`;
  } catch (err) {
    const cause = (err as Error).cause as Error | undefined;
    return `${url} cannot be reached (${
      (cause?.message ?? (err as Error).message).split("\n")[0]
    })`;
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { output: { type: "string", default: "meteor" } },
  });
  const problem = await runtimeProblem();
  if (problem) {
    console.error(
      `Cannot compile meteor: deno compile needs the Deno runtime denort ${Deno.version.deno} ` +
        `for ${Deno.build.target}, and ${problem}. Download ${denortUrl()} where it can be ` +
        `reached, unzip it, and run again with DENORT_BIN=/path/to/denort.`,
    );
    Deno.exit(1);
  }
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(resolve(values.output)),
    cwd: ROOT,
    env: { RUST_BACKTRACE: "0" },
    stdin: "null",
  }).output();
  Deno.exit(code);
}
