/**
 * Helpers for the tests that drive the CLI: `meteor` run in this process with
 * its console output captured, cli.ts run as a subprocess, temporary homes,
 * and free loopback ports.
 *
 * @module
 */
import { main } from "../cli.ts";
import { freePorts, setUpHome } from "../cli/init.ts";
import { homePaths } from "../core/home.ts";
import { withTempDir } from "./_temp.ts";

/** `count` loopback TCP ports that were free a moment ago (the ones `meteor init` picks). */
export { freePorts };

const REPO = new URL("../", import.meta.url);

/** What one run of `meteor` printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `work` with console.log captured; resolves to its result and the lines printed. */
export async function captureLog<T>(
  work: () => Promise<T>,
): Promise<{ lines: string[]; result: T }> {
  const lines: string[] = [];
  const { log } = console;
  console.log = (...parts: unknown[]) => lines.push(parts.join(" "));
  try {
    return { lines, result: await work() };
  } finally {
    console.log = log;
  }
}

/** What a command printed with console.log, after checking it exited 0. */
export async function printedOk(run: () => Promise<number>): Promise<string> {
  const { lines, result } = await captureLog(run);
  if (result !== 0) throw new Error(`the command exited ${result}: ${lines.join("\n")}`);
  return lines.join("\n");
}

/** The lines `work` printed with console.log. */
export async function captured(work: () => Promise<unknown>): Promise<string[]> {
  return (await captureLog(work)).lines;
}

/** Runs `meteor ARGS` in this process (cli.ts main()), capturing console.log and console.error. */
export async function meteor(...args: string[]): Promise<CliRun> {
  const err: string[] = [];
  const { error } = console;
  console.error = (...parts: unknown[]) => err.push(parts.join(" "));
  try {
    const { lines, result } = await captureLog(() => main(args));
    return { code: result, stdout: lines.join("\n"), stderr: err.join("\n") };
  } finally {
    console.error = error;
  }
}

function inherited(names: string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((n) => {
    const value = Deno.env.get(n);
    return value === undefined ? [] : [[n, value]];
  }));
}

/**
 * Starts `meteor ARGS` as a subprocess, every stream piped, with `env` added
 * to a bare environment (only what Deno needs, so a METEOR_* variable of the
 * caller cannot leak in).
 */
export function spawnMeteor(
  args: string[],
  env: Record<string, string> = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli.ts", ...args],
    cwd: REPO,
    clearEnv: true,
    env: { ...inherited(["HOME", "PATH", "DENO_DIR", "TMPDIR"]), ...env, NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs `meteor ARGS` as a subprocess ({@link spawnMeteor}) with `stdin` as its input. */
export async function meteorProcess(
  args: string[],
  stdin: Uint8Array | string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const child = spawnMeteor(args, env);
  const writer = child.stdin.getWriter();
  await writer.write(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  return { code, stdout, stderr: new TextDecoder().decode(stderr) };
}

/** Runs `work` on `<temporary folder>/home` (not created), removing the folder afterwards. */
export function withTempHome<T>(work: (home: string) => Promise<T>): Promise<T> {
  return withTempDir((dir) => work(`${dir}/home`), "meteor-cli-");
}

/**
 * Sets up `home` as `meteor init` does, from a seed of 32 `seedByte`s, with
 * the API on a free loopback port, no built-in plugins, and `config`'s fields
 * on top.
 */
export async function initTestHome(
  home: string,
  seedByte: number,
  config: Record<string, unknown> = {},
): Promise<void> {
  await setUpHome(home, new Uint8Array(32).fill(seedByte));
  const path = homePaths(home).config;
  const written = JSON.parse(await Deno.readTextFile(path));
  written.api.port = freePorts(1)[0];
  Object.assign(written, { plugins: [] }, config);
  await Deno.writeTextFile(path, JSON.stringify(written));
}
