/**
 * The plugin registry: checks a set of plugins, orders them by their needs
 * (a topological order that keeps the given order where it can), validates
 * every config section, starts them in order handing each a narrow
 * {@link PluginContext}, and stops them in reverse. A plugin that fails to
 * start rolls back the ones already started; every error is an E_PLUGIN
 * MeteorError naming the plugin (E_BAD_CONFIG for a bad config section).
 *
 * @module
 */
import { isMeteorError, MeteorError } from "./errors.ts";
import type { NodeKeys } from "./identity/mod.ts";
import type * as CoreCrypto from "./crypto/mod.ts";
import type { EventBus } from "./events.ts";
import type { Logger } from "./logger.ts";
import {
  type Plugin,
  PLUGIN_NAME,
  type PluginContext,
  type PluginInstance,
  type PluginStats,
} from "./plugin.ts";
import type { NodeStore } from "./store/mod.ts";

/** What the node gives the registry to build each plugin's context from. */
export interface RegistryHost {
  /** The node's keys. */
  identity: NodeKeys;
  /** The core crypto API. */
  crypto: typeof CoreCrypto;
  /** The node's logger; each plugin gets the child "plugin:<name>". */
  logger: Logger;
  /** The event bus. */
  events: EventBus;
  /** Node state. */
  store: NodeStore;
  /** Config sections by plugin name (absent sections are `undefined`). */
  config: Readonly<Record<string, unknown>>;
  /** Creates (if needed) and returns a plugin's data folder. */
  dataDir(name: string): Promise<string>;
}

/** Options for {@link PluginRegistry}. */
export interface RegistryOptions {
  /** How long one plugin's stop() may take before it is abandoned; default 10 s. */
  stopTimeoutMs?: number;
}

/** A started plugin. */
export interface RunningPlugin {
  /** The plugin as registered. */
  plugin: Plugin;
  /** What its start() returned. */
  instance: PluginInstance;
}

function fail(message: string, cause?: unknown): MeteorError {
  return new MeteorError("E_PLUGIN", message, cause === undefined ? undefined : { cause });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Checks the parts of a plugin's shape the registry relies on. */
export function checkPluginShape(value: unknown, where: string): Plugin {
  const p = value as Partial<Plugin> | null;
  if (typeof p !== "object" || p === null) throw fail(`Cannot load plugin ${where}: not an object`);
  if (typeof p.name !== "string" || !PLUGIN_NAME.test(p.name)) {
    throw fail(`Cannot load plugin ${where}: name must match ${PLUGIN_NAME}`);
  }
  const named = `plugin "${p.name}"`;
  if (typeof p.version !== "string" || p.version === "") {
    throw fail(`Cannot load ${named}: version must be a non-empty string`);
  }
  for (const key of ["needs", "provides"] as const) {
    const list = p[key];
    if (key === "provides" && list === undefined) continue;
    if (!Array.isArray(list) || !list.every((n) => typeof n === "string" && PLUGIN_NAME.test(n))) {
      throw fail(`Cannot load ${named}: ${key} must be an array of plugin names`);
    }
  }
  if (typeof p.configSchema?.validate !== "function") {
    throw fail(`Cannot load ${named}: configSchema.validate must be a function`);
  }
  if (typeof p.start !== "function") throw fail(`Cannot load ${named}: start must be a function`);
  return p as Plugin;
}

/**
 * Orders plugins so that each comes after everything it needs. A need is a
 * plugin name or a name some plugin `provides`. Throws E_PLUGIN on a
 * duplicate name, an ambiguous provided name, a missing need or a cycle,
 * naming the plugins involved.
 *
 * @example
 * ```ts
 * import { orderPlugins } from "./registry.ts";
 * const schema = { validate: () => undefined };
 * const start = async () => ({ stop: async () => {} });
 * const order = orderPlugins([
 *   { name: "b", version: "1", needs: ["a"], configSchema: schema, start },
 *   { name: "a", version: "1", needs: [], configSchema: schema, start },
 * ]);
 * order.map((p) => p.name); // ["a", "b"]
 * ```
 */
export function orderPlugins(plugins: readonly Plugin[]): Plugin[] {
  const byName = new Map<string, Plugin>();
  for (const plugin of plugins) {
    checkPluginShape(plugin, "(registered)");
    if (byName.has(plugin.name)) {
      throw fail(`Cannot register plugin "${plugin.name}": the name is already registered`);
    }
    byName.set(plugin.name, plugin);
  }
  const providers = providerMap(plugins, byName);
  const resolve = (plugin: Plugin, need: string): Plugin => {
    const target = providers.get(need);
    if (!target) {
      throw fail(
        `Cannot start plugin "${plugin.name}": it needs "${need}", which no plugin provides`,
      );
    }
    return target;
  };

  // Depth-first, in the given order, so independent plugins keep their order.
  const order: Plugin[] = [];
  const state = new Map<Plugin, "visiting" | "done">();
  const visit = (plugin: Plugin, path: Plugin[]): void => {
    const seen = state.get(plugin);
    if (seen === "done") return;
    if (seen === "visiting") {
      const cycle = [...path.slice(path.indexOf(plugin)), plugin].map((p) => `"${p.name}"`);
      throw fail(`Cannot order plugins: their needs form a cycle ${cycle.join(" -> ")}`);
    }
    state.set(plugin, "visiting");
    for (const need of plugin.needs) visit(resolve(plugin, need), [...path, plugin]);
    state.set(plugin, "done");
    order.push(plugin);
  };
  for (const plugin of plugins) visit(plugin, []);
  return order;
}

/** Maps every plugin name and provided name to its plugin. */
function providerMap(plugins: readonly Plugin[], byName: Map<string, Plugin>): Map<string, Plugin> {
  const providers = new Map(byName);
  for (const plugin of plugins) {
    for (const provided of plugin.provides ?? []) {
      const other = providers.get(provided);
      if (other && other !== plugin) {
        throw fail(
          `Cannot register plugin "${plugin.name}": "${provided}" is already provided by "${other.name}"`,
        );
      }
      providers.set(provided, plugin);
    }
  }
  return providers;
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(fail(`Cannot stop ${what}: timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a set of plugins.
 *
 * @example
 * ```ts ignore
 * const registry = new PluginRegistry([p2p(), echo()]);
 * await registry.start(host);
 * // ...
 * await registry.stop();
 * ```
 */
export class PluginRegistry {
  /** The plugins in start order. */
  readonly order: readonly Plugin[];
  readonly #providers: Map<string, Plugin>;
  readonly #stopTimeoutMs: number;
  #running: RunningPlugin[] = [];
  #logger: Logger | undefined;
  #state: "new" | "starting" | "started" | "stopped" = "new";

  /** Checks and orders `plugins`; throws E_PLUGIN as {@link orderPlugins} does. */
  constructor(plugins: readonly Plugin[], options: RegistryOptions = {}) {
    this.order = orderPlugins(plugins);
    this.#providers = providerMap(plugins, new Map(plugins.map((p) => [p.name, p])));
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  }

  /** The running plugins in start order. */
  get running(): readonly RunningPlugin[] {
    return this.#running;
  }

  /**
   * Validates every plugin's config section, then starts the plugins in
   * order. On a failure, stops those already started (in reverse) and throws
   * an error naming the plugin that failed. Can be called once.
   */
  async start(host: RegistryHost): Promise<void> {
    if (this.#state !== "new") throw fail("Cannot start plugins: the registry was already started");
    this.#state = "starting";
    this.#logger = host.logger;
    const configs = new Map<Plugin, unknown>();
    for (const plugin of this.order) configs.set(plugin, this.#validate(plugin, host.config));
    for (const plugin of this.order) {
      try {
        const context = await this.#context(plugin, configs.get(plugin), host);
        const instance = await plugin.start(context);
        if (typeof instance?.stop !== "function") {
          throw new TypeError("start() must resolve to an instance with stop()");
        }
        this.#running.push({ plugin, instance });
        host.logger.debug("plugin started", { plugin: plugin.name, version: plugin.version });
      } catch (err) {
        host.logger.error("plugin failed to start; rolling back", { plugin: plugin.name });
        await this.#stopAll();
        this.#state = "stopped";
        throw fail(`Cannot start plugin "${plugin.name}": ${messageOf(err)}`, err);
      }
    }
    this.#state = "started";
  }

  /**
   * Stops the running plugins in reverse start order. Every plugin is
   * stopped even when one fails; the first failure is then thrown, naming
   * its plugin. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.#state === "stopped" || this.#state === "new") {
      this.#state = "stopped";
      return;
    }
    this.#state = "stopped";
    const failures = await this.#stopAll();
    if (failures.length > 0) {
      const [first] = failures;
      throw fail(`Cannot stop plugin "${first.name}": ${messageOf(first.err)}`, first.err);
    }
  }

  /** The running instance whose plugin has this name or provides it. */
  get(name: string): PluginInstance | undefined {
    const plugin = this.#providers.get(name);
    return this.#running.find((r) => r.plugin === plugin)?.instance;
  }

  /** Each running plugin's own stats(), by name; a failing stats() reports `{ error }`. */
  stats(): Record<string, PluginStats> {
    const out: Record<string, PluginStats> = {};
    for (const { plugin, instance } of this.#running) {
      try {
        out[plugin.name] = instance.stats?.() ?? {};
      } catch (err) {
        out[plugin.name] = { error: messageOf(err) };
      }
    }
    return out;
  }

  #validate(plugin: Plugin, sections: Readonly<Record<string, unknown>>): unknown {
    const raw = Object.hasOwn(sections, plugin.name) ? sections[plugin.name] : undefined;
    try {
      return plugin.configSchema.validate(raw);
    } catch (err) {
      const message = `Cannot configure plugin "${plugin.name}": ${messageOf(err)}`;
      if (isMeteorError(err) && err.code !== "E_BAD_CONFIG") throw fail(message, err);
      throw new MeteorError("E_BAD_CONFIG", message, { cause: err });
    }
  }

  async #context(plugin: Plugin, config: unknown, host: RegistryHost): Promise<PluginContext> {
    const plugins: Record<string, unknown> = Object.create(null);
    for (const need of plugin.needs) plugins[need] = this.get(need)?.api;
    return Object.freeze({
      name: plugin.name,
      identity: host.identity,
      crypto: host.crypto,
      config,
      logger: host.logger.child(`plugin:${plugin.name}`),
      events: host.events,
      dataDir: await host.dataDir(plugin.name),
      store: host.store,
      plugins: Object.freeze(plugins),
    });
  }

  async #stopAll(): Promise<{ name: string; err: unknown }[]> {
    const logger = this.#logger;
    const failures: { name: string; err: unknown }[] = [];
    while (this.#running.length > 0) {
      const { plugin, instance } = this.#running.pop()!;
      try {
        await withTimeout(instance.stop(), this.#stopTimeoutMs, `plugin "${plugin.name}"`);
        logger?.debug("plugin stopped", { plugin: plugin.name });
      } catch (err) {
        logger?.error("plugin failed to stop", { plugin: plugin.name, error: err });
        failures.push({ name: plugin.name, err });
      }
    }
    return failures;
  }
}
