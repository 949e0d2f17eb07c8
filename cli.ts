/**
 * The `meteor` command: dispatches to the subcommands in cli/commands.ts,
 * prints `--help`, and turns errors into a one-line message and an exit code
 * (or a JSON error object with `--json`).
 *
 * @module
 */
import { COMMANDS } from "./cli/commands.ts";
import { type Command, redact } from "./cli/command.ts";
import { isMeteorError } from "./core/errors.ts";

/** Exit code for usage errors. */
const EXIT_USAGE = 2;

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "meteor: a post-quantum peer-to-peer edge node",
    "",
    "Usage: meteor <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Every command accepts --home DIR (default $METEOR_HOME or ~/.meteor) and --help.",
  ].join("\n");
}

/** Finds the command whose (possibly two-word) name starts `args`. */
function findCommand(args: string[]): { command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = args.slice(0, words).join(" ");
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, rest: args.slice(words) };
  }
  return undefined;
}

/** Runs the CLI with `args` and resolves to the process exit code. */
export async function main(args: string[]): Promise<number> {
  if (args.length === 0 || args[0] === "--help" || args[0] === "-h" || args[0] === "help") {
    console.log(overview());
    return args.length === 0 ? EXIT_USAGE : 0;
  }
  const found = findCommand(args);
  if (!found) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${args[0]} `));
    const message = group.length > 0
      ? `choose a subcommand: ${group.map((c) => c.name.split(" ")[1]).join(", ")}`
      : redact(`unknown command "${args[0]}" (see meteor --help)`);
    if (args.includes("--json")) {
      console.log(JSON.stringify({ error: { code: "E_USAGE", message } }));
    } else {
      console.error(`meteor${group.length > 0 ? ` ${args[0]}` : ""}: ${message} [E_USAGE]`);
      for (const c of group) console.error(`  meteor ${c.name}  ${c.summary}`);
    }
    return EXIT_USAGE;
  }
  const { command, rest } = found;
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.help);
    return 0;
  }
  const json = rest.includes("--json");
  try {
    return await command.run(rest);
  } catch (err) {
    if (isMeteorError(err)) {
      // Messages may quote what the user typed: never print a secret typed in the wrong place.
      const message = redact(err.message);
      if (json) console.log(JSON.stringify({ error: { code: err.code, message } }));
      else console.error(`meteor ${command.name}: ${message} [${err.code}]`);
      return err.code === "E_USAGE" ? EXIT_USAGE : 1;
    }
    throw err;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
