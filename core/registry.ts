/**
 * The plugin registry: checks a set of plugins, orders them by their needs
 * (a topological order that keeps the given order where it can), validates
 * every config section, collects what plugins contribute to the extension
 * points others own, starts them in order handing each a narrow, deeply
 * immutable {@link PluginContext} (the components it declared in `uses`, the
 * apis of what it `needs`), and stops them in reverse. A plugin that fails to
 * start rolls back the ones already started; every error is an E_PLUGIN
 * MeteorError naming the plugin (E_BAD_CONFIG for a bad config section).
 *
 * @module
 */
import {
  type ComponentSource,
  nodeIdentity,
  pluginComponents,
  RESERVED_LABELS,
} from "./components.ts";
import { isMeteorError, MeteorError, registerErrorCodes, unregisterErrorCodes } from "./errors.ts";
import type { EventBus } from "./events.ts";
import type { Logger } from "./logger.ts";
import {
  COMPONENT_NAMES,
  type ComponentName,
  type Contribution,
  type NodeCapabilities,
  type Plugin,
  PLUGIN_NAME,
  type PluginContext,
  type PluginInstance,
  type PluginStats,
} from "./plugin.ts";

/** What the node gives the registry to build each plugin's context from. */
export interface RegistryHost extends ComponentSource {
  /** The node's logger; each plugin gets the child "plugin:<name>". */
  logger: Logger;
  /** The event bus. */
  events: EventBus;
  /** Config sections by plugin name (absent sections are `undefined`). */
  config: Readonly<Record<string, unknown>>;
  /** Creates (if needed) and returns a plugin's data folder. */
  dataDir(name: string): Promise<string>;
  /** Aborted when the node begins to stop. */
  signal?: AbortSignal;
}

/** Options for {@link PluginRegistry}. */
export interface RegistryOptions {
  /** How long one plugin's stop() may take before it is abandoned; default 10 s. */
  stopTimeoutMs?: number;
  /** How long one plugin's start() may take before the node gives up; default 30 s. */
  startTimeoutMs?: number;
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
  const uses = p.uses ?? [];
  if (!Array.isArray(uses) || !uses.every((u) => COMPONENT_NAMES.includes(u))) {
    throw fail(
      `Cannot load ${named}: uses must list components among ${COMPONENT_NAMES.join(", ")}`,
    );
  }
  const labels = p.signingLabels ?? [];
  if (
    !Array.isArray(labels) ||
    !labels.every((l) => typeof l === "string" && l.length > 0 && l.length < 256)
  ) {
    throw fail(`Cannot load ${named}: signingLabels must be an array of non-empty strings`);
  }
  const reserved = labels.find((l) => RESERVED_LABELS.includes(l));
  if (reserved !== undefined) {
    throw fail(`Cannot load ${named}: the label "${reserved}" is reserved for the node`);
  }
  if (
    p.owns !== undefined && (!Array.isArray(p.owns) || !p.owns.every((o) => typeof o === "string"))
  ) {
    throw fail(`Cannot load ${named}: owns must be an array of extension point names`);
  }
  if (p.extend !== undefined && typeof p.extend !== "function") {
    throw fail(`Cannot load ${named}: extend must be a function`);
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
  checkUnique(plugins, (p) => p.signingLabels ?? [], "signs under the label");
  checkUnique(plugins, (p) => p.owns ?? [], "owns the extension point");
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

/**
 * Registers each plugin's `errors` (core/errors.ts registerErrorCodes), so
 * that the API answers them with their status and the CLI keeps their codes.
 *
 * @throws {MeteorError} E_PLUGIN for a malformed, core or taken code
 */
export function registerPluginErrors(plugins: readonly Plugin[]): void {
  for (const plugin of plugins) {
    if (plugin.errors !== undefined) registerErrorCodes(plugin.name, plugin.errors);
  }
}

/** Refuses two plugins claiming the same label or extension point. */
function checkUnique(
  plugins: readonly Plugin[],
  claims: (p: Plugin) => readonly string[],
  what: string,
): void {
  const owners = new Map<string, string>();
  for (const plugin of plugins) {
    for (const claim of claims(plugin)) {
      const other = owners.get(claim);
      if (other !== undefined && other !== plugin.name) {
        throw fail(
          `Cannot register plugin "${plugin.name}": "${other}" already ${what} "${claim}"`,
        );
      }
      owners.set(claim, plugin.name);
    }
  }
}

async function withTimeout<T>(
  work: Promise<T>,
  ms: number,
  what: string,
  onTimeout?: () => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(fail(`Cannot ${what}: timed out after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Deeply freezes plain data (config sections): objects and arrays, not typed arrays. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !ArrayBuffer.isView(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * A context that throws when a plugin reaches for a component it did not
 * declare, and refuses every change (it is frozen, and the proxy says so).
 */
function guardedContext(
  name: string,
  context: Record<string, unknown>,
): PluginContext<unknown, Record<string, unknown>, ComponentName> {
  Object.freeze(context);
  const refuse = (): never => {
    throw new TypeError(`Cannot change the context of plugin "${name}": it is immutable`);
  };
  return new Proxy(context, {
    get(target, key, receiver) {
      if (
        typeof key === "string" && !Object.hasOwn(target, key) &&
        (COMPONENT_NAMES as readonly string[]).includes(key)
      ) {
        throw fail(`Cannot use component "${key}": plugin "${name}" did not declare it in uses`);
      }
      return Reflect.get(target, key, receiver);
    },
    set: refuse,
    defineProperty: refuse,
    deleteProperty: refuse,
    setPrototypeOf: refuse,
  }) as unknown as PluginContext<unknown, Record<string, unknown>, ComponentName>;
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
  readonly #startTimeoutMs: number;
  #running: (RunningPlugin & { close(): void })[] = [];
  #logger: Logger | undefined;
  #state: "new" | "starting" | "started" | "stopped" = "new";

  /**
   * Checks and orders `plugins` and registers their error codes; throws
   * E_PLUGIN as {@link orderPlugins} and {@link registerPluginErrors} do.
   */
  constructor(plugins: readonly Plugin[], options: RegistryOptions = {}) {
    this.order = orderPlugins(plugins);
    registerPluginErrors(this.order);
    this.#providers = providerMap(plugins, new Map(plugins.map((p) => [p.name, p])));
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    this.#startTimeoutMs = options.startTimeoutMs ?? 30_000;
  }

  /** The running plugins in start order. */
  get running(): readonly RunningPlugin[] {
    return this.#running;
  }

  /**
   * Validates every plugin's config section, collects their contributions to
   * extension points, then starts the plugins in order, each within its time
   * budget. On a failure, stops those already started (in reverse) and throws
   * an error naming the plugin that failed. Can be called once.
   */
  async start(host: RegistryHost): Promise<void> {
    if (this.#state !== "new") throw fail("Cannot start plugins: the registry was already started");
    this.#state = "starting";
    this.#logger = host.logger;
    const configs = new Map<Plugin, unknown>();
    for (const plugin of this.order) {
      configs.set(plugin, deepFreeze(this.#validate(plugin, host.config)));
    }
    const contributions = this.#collect(configs);
    for (const plugin of this.order) {
      try {
        const dataDir = await host.dataDir(plugin.name);
        const components = pluginComponents(host, {
          name: plugin.name,
          uses: plugin.uses ?? [],
          labels: plugin.signingLabels ?? [],
        }, dataDir);
        const budget = new AbortController();
        const context = this.#context(plugin, {
          config: configs.get(plugin),
          host,
          dataDir,
          components: components.components,
          contributions,
          signal: AbortSignal.any([budget.signal, ...(host.signal ? [host.signal] : [])]),
        });
        let instance: PluginInstance;
        try {
          instance = await withTimeout(
            plugin.start(context),
            this.#startTimeoutMs,
            `start plugin "${plugin.name}"`,
            () => budget.abort(),
          );
        } catch (err) {
          components.close();
          throw err;
        }
        if (typeof instance?.stop !== "function") {
          components.close();
          throw new TypeError("start() must resolve to an instance with stop()");
        }
        this.#running.push({ plugin, instance, close: components.close });
        host.logger.debug("plugin started", { plugin: plugin.name, version: plugin.version });
      } catch (err) {
        host.logger.error("plugin failed to start; rolling back", { plugin: plugin.name });
        await this.#stopAll();
        this.#state = "stopped";
        if (isMeteorError(err, "E_PLUGIN") && err.message.includes(`"${plugin.name}"`)) throw err;
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
    for (const plugin of this.order) unregisterErrorCodes(plugin.name);
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

  /** The node capability `name`, from the running plugin that offers it, if one does. */
  capability<K extends keyof NodeCapabilities>(name: K): NodeCapabilities[K] | undefined {
    let found: NodeCapabilities[K] | undefined;
    for (const { instance } of this.#running) found ??= instance.capabilities?.[name];
    return found;
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
      return plugin.configSchema.validate(structuredClone(raw));
    } catch (err) {
      const message = `Cannot configure plugin "${plugin.name}": ${messageOf(err)}`;
      if (isMeteorError(err) && err.code !== "E_BAD_CONFIG") throw fail(message, err);
      throw new MeteorError("E_BAD_CONFIG", message, { cause: err });
    }
  }

  /**
   * What each plugin's extend() contributes, by extension point. A point no
   * running plugin owns, or an owner that does not start before the
   * contributor, is an error naming both.
   */
  #collect(configs: Map<Plugin, unknown>): Map<string, Contribution<unknown>[]> {
    const owners = new Map<string, Plugin>();
    for (const plugin of this.order) {
      for (const point of plugin.owns ?? []) owners.set(point, plugin);
    }
    const points = new Map<string, Contribution<unknown>[]>();
    for (const plugin of this.order) {
      if (!plugin.extend) continue;
      let extensions: Record<string, unknown>;
      try {
        extensions = plugin.extend(configs.get(plugin)) as Record<string, unknown>;
      } catch (err) {
        throw fail(`Cannot start plugin "${plugin.name}": extend() failed: ${messageOf(err)}`, err);
      }
      for (const [point, value] of Object.entries(extensions ?? {})) {
        if (value === undefined) continue;
        const owner = owners.get(point);
        if (!owner) {
          throw fail(
            `Cannot start plugin "${plugin.name}": it extends "${point}", which no plugin owns`,
          );
        }
        if (this.order.indexOf(owner) > this.order.indexOf(plugin)) {
          throw fail(
            `Cannot start plugin "${plugin.name}": it extends "${point}" of "${owner.name}", ` +
              `so it must need "${owner.name}"`,
          );
        }
        const list = points.get(point) ?? [];
        list.push(Object.freeze({ plugin: plugin.name, value }));
        points.set(point, list);
      }
    }
    return points;
  }

  #context(plugin: Plugin, parts: {
    config: unknown;
    host: RegistryHost;
    dataDir: string;
    components: Partial<Record<ComponentName, unknown>>;
    contributions: Map<string, Contribution<unknown>[]>;
    signal: AbortSignal;
  }): PluginContext<unknown, Record<string, unknown>, ComponentName> {
    const { host, contributions } = parts;
    const plugins: Record<string, unknown> = Object.create(null);
    for (const need of plugin.needs) {
      const instance = this.get(need);
      const api = instance?.apiFor ? instance.apiFor(plugin.name) : instance?.api;
      if (api === undefined) {
        throw fail(`Cannot start plugin "${plugin.name}": it needs "${need}", which offers no api`);
      }
      plugins[need] = typeof api === "object" && api !== null ? Object.freeze(api) : api;
    }
    const owned = new Set(plugin.owns ?? []);
    return guardedContext(plugin.name, {
      name: plugin.name,
      config: parts.config,
      logger: host.logger.child(`plugin:${plugin.name}`),
      events: host.events,
      dataDir: parts.dataDir,
      identity: nodeIdentity(host.keys),
      signal: parts.signal,
      startBudgetMs: this.#startTimeoutMs,
      plugins: Object.freeze(plugins),
      contributions(point: string) {
        if (!owned.has(point)) {
          throw fail(
            `Cannot read contributions to "${point}": plugin "${plugin.name}" does not own it`,
          );
        }
        return Object.freeze([...(contributions.get(point) ?? [])]);
      },
      ...parts.components,
    });
  }

  async #stopAll(): Promise<{ name: string; err: unknown }[]> {
    const logger = this.#logger;
    const failures: { name: string; err: unknown }[] = [];
    while (this.#running.length > 0) {
      const { plugin, instance, close } = this.#running.pop()!;
      try {
        await withTimeout(instance.stop(), this.#stopTimeoutMs, `stop plugin "${plugin.name}"`);
        logger?.debug("plugin stopped", { plugin: plugin.name });
      } catch (err) {
        logger?.error("plugin failed to stop", { plugin: plugin.name, error: err });
        failures.push({ name: plugin.name, err });
      } finally {
        close();
      }
    }
    return failures;
  }
}
