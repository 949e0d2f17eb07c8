/**
 * The `meteor` command: dispatches to the subcommands in cli/commands.ts
 * (importing only the one that runs), prints `--help` and `--version`, and
 * turns errors into a one-line message and an exit code (or, with `--json`,
 * a JSON error object on stderr: stdout carries only results).
 *
 * @module
 */
import denoJson from "./deno.json" with { type: "json" };
import { type CommandEntry, COMMANDS } from "./cli/commands.ts";
import { redact } from "./cli/_redact.ts";
import { type ErrorCode, isMeteorError } from "./core/errors.ts";

/** Exit code for usage errors. */
const EXIT_USAGE = 2;

/** The help options every command and command group accepts. */
const HELP_FLAGS = ["--help", "-h"];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "meteor: a post-quantum peer-to-peer edge node",
    "",
    "Usage: meteor <command> [options]",
    "       meteor --version",
    "",
    "Commands:",
    ...lines,
    "",
    "Every command accepts --home DIR (default $METEOR_HOME or ~/.meteor) and --help.",
  ].join("\n");
}

/** The commands of group `group` (the first word of two-word names, e.g. "contacts"). */
function groupOf(group: string): CommandEntry[] {
  return COMMANDS.filter((c) => c.name.startsWith(`${group} `));
}

/** `meteor GROUP --help`: the group's subcommands with their summaries. */
function groupHelp(group: string, entries: CommandEntry[]): string {
  const width = Math.max(...entries.map((c) => c.name.length));
  return [
    `Usage: meteor ${group} <${entries.map((c) => c.name.split(" ")[1]).join("|")}> [options]`,
    "",
    "Commands:",
    ...entries.map((c) => `  meteor ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    `See meteor ${group} <command> --help for each command's options.`,
  ].join("\n");
}

/** Finds the command whose (possibly two-word) name starts `args`. */
function findCommand(args: string[]): { entry: CommandEntry; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = args.slice(0, words).join(" ");
    const entry = COMMANDS.find((c) => c.name === name);
    if (entry) return { entry, rest: args.slice(words) };
  }
  return undefined;
}

/**
 * Prints an error: one line "meteor <where>: <message> [<code>]" on stderr,
 * or with `json` the object `{ error: { code, message } }` on stderr. The
 * message is redacted: it may quote what the user typed, and a secret typed
 * in the wrong place must not end up in scrollback or logs.
 */
function printError(where: string, code: ErrorCode, message: string, json: boolean): void {
  const text = redact(message);
  if (json) console.error(JSON.stringify({ error: { code, message: text } }));
  else console.error(`${where}: ${text} [${code}]`);
}

/** Runs the CLI with `args` and resolves to the process exit code. */
export async function main(args: string[]): Promise<number> {
  const json = args.includes("--json");
  if (args.length === 0 || HELP_FLAGS.includes(args[0]) || args[0] === "help") {
    console.log(overview());
    return args.length === 0 ? EXIT_USAGE : 0;
  }
  if (args[0] === "--version" || args[0] === "-V") {
    if (json) console.log(JSON.stringify({ version: denoJson.version }));
    else console.log(`meteor ${denoJson.version}`);
    return 0;
  }
  const found = findCommand(args);
  if (!found) {
    const group = groupOf(args[0]);
    if (group.length > 0 && args.slice(1).some((a) => HELP_FLAGS.includes(a))) {
      console.log(groupHelp(args[0], group));
      return 0;
    }
    const message = group.length > 0
      ? `choose a subcommand: ${group.map((c) => c.name.split(" ")[1]).join(", ")}`
      : `unknown command "${args[0]}" (see meteor --help)`;
    printError(group.length > 0 ? `meteor ${args[0]}` : "meteor", "E_USAGE", message, json);
    if (!json) { for (const c of group) console.error(`  meteor ${c.name}  ${c.summary}`); }
    return EXIT_USAGE;
  }
  const { entry, rest } = found;
  const command = await entry.load();
  if (rest.some((a) => HELP_FLAGS.includes(a))) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (isMeteorError(err)) {
      printError(`meteor ${entry.name}`, err.code, err.message, json);
      return err.code === "E_USAGE" ? EXIT_USAGE : 1;
    }
    if (json) {
      // A script reading --json output gets an object even for a bug; the stack is not for it.
      printError(`meteor ${entry.name}`, "E_INTERNAL", String(err), json);
      return 1;
    }
    throw err;
  }
}

/**
 * The folder the user ran `meteor` in. `deno task meteor` runs tasks in the
 * folder of deno.json and names the user's folder in INIT_CWD; the installed
 * command (`deno task install`) runs where it was typed, as any command does.
 * INIT_CWD counts only while the process is in this project's folder, so a
 * variable inherited from some other npm run does not move the CLI.
 */
function userCwd(initCwd: string | undefined, cwd: string): string {
  return initCwd && cwd === import.meta.dirname ? initCwd : cwd;
}

if (import.meta.main) {
  // Relative paths (files to encrypt, --home, -o) are the user's, not the project's.
  Deno.chdir(userCwd(Deno.env.get("INIT_CWD"), Deno.cwd()));
  Deno.exit(await main(Deno.args));
}
