/**
 * The built-in plugins, by the name config.plugins uses. Each entry loads
 * its module only when named, so a node that does not run a plugin does not
 * load it. Custom plugins come from config.customPlugins instead
 * (core/plugin_loader.ts).
 *
 * @module
 */
import { MeteorError } from "../core/errors.ts";
import type { LazyPluginCommand, Plugin } from "../core/plugin.ts";

/** Loaders of the built-in plugins. */
export const BUILTIN_PLUGINS: Readonly<Record<string, () => Promise<Plugin>>> = {
  p2p: async () => (await import("./p2p/mod.ts")).default() as Plugin,
  ipfs: async () => (await import("./ipfs/mod.ts")).default() as Plugin,
};

/**
 * Top-level `meteor` commands of the built-in plugins (each folder adds its
 * own entries here), after the core's in `meteor --help`. They reach the
 * running daemon through its API, so they work whichever plugins it runs.
 */
export const BUILTIN_COMMANDS: readonly LazyPluginCommand[] = [];

/** Builds the built-in plugins named in config.plugins; E_PLUGIN for an unknown name. */
export async function builtinPlugins(names: readonly string[]): Promise<Plugin[]> {
  const plugins: Plugin[] = [];
  for (const name of names) {
    const load = Object.hasOwn(BUILTIN_PLUGINS, name) ? BUILTIN_PLUGINS[name] : undefined;
    if (!load) {
      const known = Object.keys(BUILTIN_PLUGINS).map((n) => `"${n}"`).join(", ") || "none";
      throw new MeteorError(
        "E_PLUGIN",
        `Cannot load plugin "${name}": no such built-in plugin (built in: ${known})`,
      );
    }
    plugins.push(await load());
  }
  return plugins;
}
