/**
 * The shape of a `meteor` subcommand and the helpers every command shares:
 * argument parsing with usage errors, home resolution and JSON output.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { MeteorError } from "../core/errors.ts";
import { resolveHome } from "../core/home.ts";

/** One `meteor` subcommand. */
export interface Command {
  /** The word after `meteor` (may contain a space for groups, e.g. "seed export"). */
  name: string;
  /** One line for `meteor --help`. */
  summary: string;
  /** The full `--help` text: usage line, options, examples. */
  help: string;
  /** Runs the command with the words after its name; resolves to the exit code. */
  run(args: string[]): Promise<number>;
}

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  home: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsConfig["options"];

/**
 * Parses `args` against `options` (plus {@link COMMON_OPTIONS}), turning
 * unknown flags and missing values into a usage error.
 */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: O,
) {
  try {
    return parseArgs({
      args,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new MeteorError("E_USAGE", `Cannot parse arguments: ${(err as Error).message}`);
  }
}

/** The node home chosen by `--home`, `METEOR_HOME` or the default. */
export function homeFrom(values: { home?: string }): string {
  return resolveHome(values.home, Deno.env.toObject());
}

/** Writes a value as one line of JSON to stdout. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value));
}
