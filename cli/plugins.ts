/**
 * `meteor plugins list` shows the plugins a home's config runs, in start
 * order, checking them as the daemon would (names, needs, cycles); and
 * `meteor plugins run NAME COMMAND ...` runs a CLI command a plugin declares
 * (Plugin.commands in core/plugin.ts).
 *
 * @module
 */
import { MeteorError } from "../core/errors.ts";
import { homePaths } from "../core/home.ts";
import type { Plugin } from "../core/plugin.ts";
import { orderPlugins, registerPluginErrors } from "../core/registry.ts";
import {
  type Command,
  homeFrom,
  parseCommandArgs,
  printJson,
  refuseExtraArguments,
} from "./command.ts";
import { readConfig } from "./_config.ts";
import { configuredPlugins } from "./daemon.ts";
import { exists } from "./_fs.ts";

/**
 * The configured plugins of a home, each with where it comes from, in start
 * order. E_NOT_INITIALIZED when `home` has neither config.json nor a keystore
 * (a mistyped --home must not list the defaults as if it were a node).
 */
async function pluginsOf(home: string): Promise<{ plugin: Plugin; source: string }[]> {
  const paths = homePaths(home);
  if (!await exists(paths.config) && !await exists(paths.keystore)) {
    throw new MeteorError(
      "E_NOT_INITIALIZED",
      `Cannot find the node at ${home}: run 'meteor init' or 'meteor daemon' first`,
    );
  }
  const config = await readConfig(paths.config);
  const plugins = await configuredPlugins(home, config);
  const sources = [...config.plugins.map(() => "built-in"), ...config.customPlugins];
  const sourceOf = new Map(plugins.map((p, i) => [p, sources[i]]));
  const ordered = orderPlugins(plugins);
  registerPluginErrors(ordered); // a plugin command's errors keep their codes
  return ordered.map((plugin) => ({ plugin, source: sourceOf.get(plugin)! }));
}

/** `meteor plugins list`. */
export const pluginsListCommand: Command = {
  name: "plugins list",
  summary: "List the plugins this node runs, in start order",
  help: `Usage: meteor plugins list [--home DIR] [--json]

Loads the plugins config.json names ("plugins": built-in, "customPlugins":
module paths, absolute or relative to the home) and checks them as the
daemon does at start (names, needs, cycles), without starting them. Lists
each in start order with its version, source, needs, provided names and CLI
commands. See docs/plugins.md.

Examples:
  meteor plugins list
  meteor plugins list --home /srv/meteor --json`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    refuseExtraArguments(positionals, 0);
    const rows = (await pluginsOf(homeFrom(values))).map(({ plugin, source }) => ({
      name: plugin.name,
      version: plugin.version,
      source,
      needs: [...plugin.needs],
      provides: [...plugin.provides ?? []],
      commands: (plugin.commands ?? []).map((c) => ({ name: c.name, summary: c.summary })),
    }));
    if (values.json) {
      printJson({ plugins: rows });
      return 0;
    }
    if (rows.length === 0) console.log("No plugins configured.");
    for (const row of rows) {
      console.log(`${row.name} ${row.version}  (${row.source})`);
      if (row.needs.length > 0) console.log(`  needs     ${row.needs.join(", ")}`);
      if (row.provides.length > 0) console.log(`  provides  ${row.provides.join(", ")}`);
      for (const c of row.commands) {
        console.log(`  command   meteor plugins run ${row.name} ${c.name}: ${c.summary}`);
      }
    }
    return 0;
  },
};

/** The value of a `--home DIR` or `--home=DIR` among a plugin command's arguments. */
function homeOption(args: string[]): string | undefined {
  const at = args.indexOf("--home");
  if (at !== -1) return args[at + 1];
  return args.find((a) => a.startsWith("--home="))?.slice("--home=".length);
}

/** `meteor plugins run NAME COMMAND [ARGS...]`. */
export const pluginsRunCommand: Command = {
  name: "plugins run",
  summary: "Run a command a plugin provides",
  help: `Usage: meteor plugins run [--home DIR] NAME COMMAND [ARGS...]

Runs the CLI command COMMAND of the configured plugin NAME with ARGS, which
are passed to it as they are, plus --home DIR when given before NAME. The
home (whose config says which plugins run) is the --home given before NAME
or among ARGS.
'meteor plugins list' shows the commands each plugin has.

Examples:
  meteor plugins run echo say "hello there"
  meteor plugins run --home /srv/meteor echo say hi`,
  async run(args) {
    // Options before NAME are ours; everything after COMMAND belongs to the plugin.
    const split = args.findIndex((a, i) => !a.startsWith("-") && args[i - 1] !== "--home");
    const own = split === -1 ? args : args.slice(0, split);
    const { values } = parseCommandArgs(own, {});
    const [name, commandName, ...rest] = split === -1 ? [] : args.slice(split);
    if (name === undefined || commandName === undefined) {
      throw new MeteorError("E_USAGE", "Cannot parse arguments: expected NAME COMMAND [ARGS...]");
    }
    const home = homeFrom({ home: values.home ?? homeOption(rest) });
    const found = (await pluginsOf(home)).find((p) => p.plugin.name === name);
    if (!found) {
      throw new MeteorError(
        "E_NOT_FOUND",
        `Cannot run plugin command: no plugin "${name}" is configured`,
      );
    }
    const command = found.plugin.commands?.find((c) => c.name === commandName);
    if (!command) {
      const known = (found.plugin.commands ?? []).map((c) => c.name).join(", ") || "none";
      throw new MeteorError(
        "E_NOT_FOUND",
        `Cannot run plugin command: "${name}" has no command "${commandName}" (it has: ${known})`,
      );
    }
    const homeArgs = values.home !== undefined && !rest.includes("--home") ? ["--home", home] : [];
    return await command.run([...rest, ...homeArgs]);
  },
};
