/**
 * The shape of a `meteor` subcommand and the helpers every command shares:
 * argument parsing with usage errors, home resolution, JSON output, and the
 * redaction of secrets from errors that quote what the user typed.
 *
 * @module
 */
import type { parseArgs, ParseArgsConfig } from "node:util";
import { MeteorError } from "../core/errors.ts";
import { resolveHome } from "../core/home.ts";
import { ArgumentError, parseArguments } from "./_parse_args.ts";
import { redact } from "./_redact.ts";

export { isAgeSecretKey, redact } from "./_redact.ts";

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

/** Throws a usage error (quoting it, redacted) when there are more than `allowed` positionals. */
export function refuseExtraArguments(positionals: readonly string[], allowed: number): void {
  if (positionals.length > allowed) {
    throw new MeteorError(
      "E_USAGE",
      redact(`Cannot parse arguments: unexpected "${positionals[allowed]}"`),
    );
  }
}

/** What {@link parseCommandArgs} returns for a command's `options` (node:util parseArgs results). */
export type ParsedCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>> = ReturnType<
  typeof parseArgs<{
    args: string[];
    options: typeof COMMON_OPTIONS & O;
    allowPositionals: true;
    strict: true;
  }>
>;

/**
 * Parses `args` against `options` (plus {@link COMMON_OPTIONS}) as node:util
 * parseArgs does in strict mode (cli/_parse_args.ts, which does not load
 * node:util), turning unknown flags and missing values into a one-line
 * usage error.
 *
 * @example
 * ```ts
 * import { parseCommandArgs } from "./command.ts";
 * const { values, positionals } = parseCommandArgs(["--json", "-o", "out", "in"], {
 *   output: { type: "string", short: "o" },
 * });
 * // values.json === true, values.output === "out", positionals: ["in"]
 * ```
 */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: O,
): ParsedCommandArgs<O> {
  try {
    return parseArguments(args, { ...COMMON_OPTIONS, ...options }) as ParsedCommandArgs<O>;
  } catch (err) {
    if (!(err instanceof ArgumentError)) throw err;
    throw new MeteorError("E_USAGE", redact(`Cannot parse arguments: ${err.message}`));
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
