/**
 * Loads custom plugins: modules named by path in config.customPlugins,
 * absolute or relative to the node home. A plugin module's default export
 * is its factory; the loader calls it with no options and checks the shape
 * of what it returns. docs/plugins.md §Loading.
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import { MeteorError } from "./errors.ts";
import type { Plugin } from "./plugin.ts";
import { checkPluginShape } from "./registry.ts";

/**
 * The URL of a custom plugin module: `path` when absolute, else
 * `<home>/<path>`. `home` must be absolute.
 *
 * @example
 * ```ts
 * import { customPluginUrl } from "./plugin_loader.ts";
 * customPluginUrl("/srv/meteor", "plugins/echo.ts").href; // "file:///srv/meteor/plugins/echo.ts"
 * ```
 */
export function customPluginUrl(home: string, path: string): URL {
  if (!isAbsolute(home)) {
    throw new TypeError(`Cannot resolve plugin path: home "${home}" is relative`);
  }
  if (typeof path !== "string" || path === "") {
    throw new MeteorError("E_BAD_CONFIG", "Cannot load config: customPlugins holds an empty path");
  }
  return pathToFileURL(isAbsolute(path) ? path : join(home, path));
}

/**
 * Imports the module at `url` and builds its plugin: E_PLUGIN naming the
 * module when it cannot be imported, has no factory as default export, or
 * the factory returns something that is not a plugin.
 */
export async function loadCustomPlugin(url: URL): Promise<Plugin> {
  let module: { default?: unknown };
  try {
    module = await import(url.href);
  } catch (err) {
    throw new MeteorError(
      "E_PLUGIN",
      `Cannot load plugin module ${url.href}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (typeof module.default !== "function") {
    throw new MeteorError(
      "E_PLUGIN",
      `Cannot load plugin module ${url.href}: its default export is not a plugin factory`,
    );
  }
  let plugin: unknown;
  try {
    plugin = (module.default as () => unknown)();
  } catch (err) {
    throw new MeteorError(
      "E_PLUGIN",
      `Cannot load plugin module ${url.href}: its factory threw: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return checkPluginShape(plugin, `from ${url.href}`);
}

/** Loads every module of `paths` (config.customPlugins), in order. */
export async function loadCustomPlugins(home: string, paths: readonly string[]): Promise<Plugin[]> {
  const plugins: Plugin[] = [];
  for (const path of paths) plugins.push(await loadCustomPlugin(customPluginUrl(home, path)));
  return plugins;
}
