/**
 * Command-line parsing with the semantics of node:util `parseArgs` in the
 * form every command uses (`strict: true`, `allowPositionals: true`): Node's
 * algorithm (lib/internal/util/parse_args/parse_args.js), here because
 * loading node:util costs every command 10 to 20 ms of start-up, the most of
 * any module it needs (docs/benchmarks.md "CLI start-up"). It is checked
 * against node:util's parseArgs, results and errors, in
 * tests/command_test.ts.
 *
 * Errors are one line each, and say what to do: an unknown option, a value
 * missing, a value given to a boolean option, and a value that starts with a
 * dash after an option that takes one (ambiguous: `--timeout -1`).
 *
 * @module
 */

/** One option, as node:util parseArgs describes it. */
export interface OptionSpec {
  /** Whether the option takes a value. */
  type: "string" | "boolean";
  /** Its one-letter form, `-x`. */
  short?: string;
  /** Whether it may repeat (the values are collected in an array). */
  multiple?: boolean;
  /** The value when the option is absent. */
  default?: string | boolean | string[] | boolean[];
}

/** An option the parser found: its long name, what was typed, its value if any. */
interface Token {
  name: string;
  rawName: string;
  value: string | undefined;
  inlineValue: boolean;
}

/** What {@link parseArguments} throws: a message of one line. */
export class ArgumentError extends Error {
  /** The one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "ArgumentError";
  }
}

function own(options: Record<string, OptionSpec>, name: string): OptionSpec | undefined {
  return Object.hasOwn(options, name) ? options[name] : undefined;
}

/** The long name of short option `letter`, or the letter itself when no option has it. */
function longOf(letter: string, options: Record<string, OptionSpec>): string {
  return Object.keys(options).find((name) => options[name].short === letter) ?? letter;
}

/** Whether `value` looks like an option rather than an option's value. */
function optionLike(value: string | undefined): boolean {
  return value !== undefined && value.length > 1 && value[0] === "-";
}

/** Splits `args` into option tokens and positionals, as parseArgs's tokens. */
function tokenize(args: readonly string[], options: Record<string, OptionSpec>) {
  const tokens: Token[] = [];
  const positionals: string[] = [];
  const remaining = [...args];
  const takesValue = (name: string) => own(options, name)?.type === "string";
  while (remaining.length > 0) {
    const arg = remaining.shift()!;
    const short = arg.length >= 2 && arg[0] === "-" && arg[1] !== "-";
    if (arg === "--") {
      positionals.push(...remaining);
      break;
    } else if (short && arg.length === 2) {
      const name = longOf(arg[1], options);
      const value = takesValue(name) && remaining.length > 0 ? remaining.shift() : undefined;
      tokens.push({ name, rawName: arg, value, inlineValue: false });
    } else if (short && !takesValue(longOf(arg[1], options))) {
      // A group of short options, -abc: -a -b -c, where a string option takes the rest (-abfFILE).
      const expanded: string[] = [];
      for (let i = 1; i < arg.length; i++) {
        if (!takesValue(longOf(arg[i], options)) || i === arg.length - 1) {
          expanded.push(`-${arg[i]}`);
        } else {
          expanded.push(`-${arg.slice(i)}`);
          break;
        }
      }
      remaining.unshift(...expanded);
    } else if (short) {
      tokens.push({
        name: longOf(arg[1], options),
        rawName: arg.slice(0, 2),
        value: arg.slice(2),
        inlineValue: true,
      });
    } else if (arg.length > 2 && arg.startsWith("--") && arg.indexOf("=", 3) === -1) {
      const name = arg.slice(2);
      const value = takesValue(name) && remaining.length > 0 ? remaining.shift() : undefined;
      tokens.push({ name, rawName: arg, value, inlineValue: false });
    } else if (arg.length > 2 && arg.startsWith("--")) {
      const equals = arg.indexOf("=", 3);
      const name = arg.slice(2, equals);
      tokens.push({ name, rawName: `--${name}`, value: arg.slice(equals + 1), inlineValue: true });
    } else {
      positionals.push(arg);
    }
  }
  return { tokens, positionals };
}

/** Throws the one-line error for a token parseArgs's strict mode refuses. */
function check(token: Token, options: Record<string, OptionSpec>): void {
  const { name, rawName, value } = token;
  if (!token.inlineValue && optionLike(value)) {
    const example = rawName.startsWith("--")
      ? `'${rawName}=-XYZ'`
      : `'--${name}=-XYZ' or '${rawName}-XYZ'`;
    throw new ArgumentError(
      `Option '${rawName}' argument is ambiguous; to specify an option argument starting ` +
        `with a dash use ${example}`,
    );
  }
  const spec = own(options, name);
  if (spec === undefined) {
    throw new ArgumentError(
      `Unknown option '${rawName}'; to give an argument that starts with '-', ` +
        `put it after '--' (as in: -- ${rawName})`,
    );
  }
  const shortAndLong = `${spec.short ? `-${spec.short}, ` : ""}--${name}`;
  if (spec.type === "string" && value === undefined) {
    throw new ArgumentError(`Option '${shortAndLong} <value>' argument missing`);
  }
  if (spec.type === "boolean" && value !== undefined) {
    throw new ArgumentError(`Option '${shortAndLong}' does not take an argument`);
  }
}

/**
 * Parses `args` against `options` as node:util `parseArgs({ args, options,
 * strict: true, allowPositionals: true })` does: `--name value`,
 * `--name=value`, `-n value`, `-nvalue`, groups `-abc`, `--` before
 * positionals, repeatable options, defaults. `values` has no prototype, as
 * parseArgs's.
 *
 * @example
 * ```ts
 * import { parseArguments } from "./_parse_args.ts";
 * const { values, positionals } = parseArguments(["-o", "out", "in"], {
 *   output: { type: "string", short: "o" },
 * });
 * // values.output === "out", positionals: ["in"]
 * ```
 *
 * @throws {ArgumentError} for what strict parseArgs refuses, one line
 */
export function parseArguments(
  args: readonly string[],
  options: Record<string, OptionSpec>,
): { values: Record<string, unknown>; positionals: string[] } {
  const { tokens, positionals } = tokenize(args, options);
  const values: Record<string, unknown> = Object.create(null);
  for (const token of tokens) {
    check(token, options);
    if (token.name === "__proto__") continue;
    const value = token.value ?? true;
    if (options[token.name].multiple) {
      ((values[token.name] ??= []) as unknown[]).push(value);
    } else {
      values[token.name] = value;
    }
  }
  for (const [name, spec] of Object.entries(options)) {
    if (spec.default !== undefined && values[name] === undefined) values[name] = spec.default;
  }
  return { values, positionals };
}
