/**
 * The shape of a `meteor` subcommand and the helpers every command shares:
 * argument parsing with usage errors, home resolution, JSON output, and the
 * redaction of secrets from errors that quote what the user typed.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { MeteorError } from "../core/errors.ts";
import { resolveHome } from "../core/home.ts";
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
 * node:util parseArgs's error message on one line: its first line, and the
 * advice line that starts "To " when there is one (an option value that
 * starts with a dash: "To specify an option argument starting with a dash
 * use '--timeout=-XYZ'."); the "Did you forget" question between is left out.
 * An unknown option gets a message of its own: parseArgs's advice for it
 * ends in an unclosed quote (`as in '-- "--fast"`).
 */
function oneLine(message: string, code: unknown): string {
  const unknown = code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
    ? /^Unknown option '(.*?)'(?:\. To specify|$)/s.exec(message)
    : null;
  if (unknown) {
    return `Unknown option '${unknown[1]}'; to give an argument that starts with '-', ` +
      `put it after '--' (as in: -- ${unknown[1]})`;
  }
  const [first, ...rest] = message.split("\n").map((line) => line.trim().replace(/\.$/, ""));
  const advice = rest.find((line) => line.startsWith("To "));
  return advice === undefined ? first : `${first}; ${advice[0].toLowerCase()}${advice.slice(1)}`;
}

/**
 * Parses `args` against `options` (plus {@link COMMON_OPTIONS}), turning
 * unknown flags and missing values into a one-line usage error.
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
    return parseArgs({
      args,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new MeteorError(
      "E_USAGE",
      redact(
        `Cannot parse arguments: ${
          oneLine((err as Error).message, (err as { code?: unknown }).code)
        }`,
      ),
    );
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
