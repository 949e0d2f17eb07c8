/**
 * The plugin shape. A plugin module exports a factory `(options) => Plugin`
 * (the default export, for plugins named in config.customPlugins), in the
 * manner of a js-libp2p service: the plugin declares its name, version, the
 * plugins it needs and what it provides, validates its own config section,
 * and `start(context)` resolves to a running {@link PluginInstance}.
 *
 * The registry (core/registry.ts) hands each plugin a {@link PluginContext}
 * holding the node's identity, the core crypto API, its validated config, a
 * scoped logger, the event bus, its own data folder, the node store, and the
 * `api` of exactly the plugins it declared in `needs`: nothing else.
 * docs/plugins.md is the author's guide.
 *
 * @module
 */
import type { Hono } from "hono";
import type { NodeKeys } from "./identity/mod.ts";
import type * as CoreCrypto from "./crypto/mod.ts";
import type { EventBus } from "./events.ts";
import type { Logger } from "./logger.ts";
import type { NodeStore } from "./store/mod.ts";

/** Plugin names: lower-case, starting with a letter, at most 32 characters. */
export const PLUGIN_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Validates a plugin's config section (`config.pluginConfig[name]`, which is
 * `undefined` when absent) and returns the typed config. Throws a MeteorError
 * E_BAD_CONFIG naming the bad key.
 */
export interface ConfigSchema<C> {
  /** Checks `raw` and returns the plugin's typed config. */
  validate(raw: unknown): C;
}

/** An OpenAPI 3.1 Path Item Object (kept open: plugins write it as JSON). */
export type OpenApiPathItem = Record<string, unknown>;

/**
 * One mount of HTTP routes a plugin serves, with its own policy and body
 * limit (docs/api.md §Plugin routes).
 */
export interface PluginRoutes {
  /** A Hono app; its paths are relative to `mount`. */
  app: Hono;
  /**
   * Who may call the routes. `"token"` (the default): the local API, behind
   * its Host, Origin and bearer-token checks. `"public"`: served on the
   * plugin's own listener at `listen`, with no local token and no local-API
   * Host check (e.g. auth's login routes); the plugin checks its callers.
   */
  policy?: "token" | "public";
  /**
   * For `"public"` only, and required there: the `host:port` to listen on
   * (`127.0.0.1:8443`, `[::1]:0`; port 0 asks for a free port). Public mounts
   * naming the same address share one listener.
   */
  listen?: string;
  /**
   * Where the app is mounted: `/v1/<plugin name>` by default. A plugin may
   * mount at `/v1` to serve top-level paths (e.g. `POST /v1/messages`).
   */
  mount?: string;
  /**
   * The largest request body, in bytes, any route of this mount accepts;
   * default 1 MiB (MAX_REQUEST_BYTES). Bodies are streamed to the route, not
   * buffered: a declared Content-Length over the limit is refused at once
   * (413 E_TOO_LARGE), a body read past it fails with E_TOO_LARGE, and a body
   * that ends early with E_MALFORMED.
   */
  bodyLimit?: number;
  /**
   * OpenAPI 3.1 Path Items for every route, keyed by the path relative to
   * `mount` in OpenAPI template form (`/messages/{id}`). Token mounts are
   * merged into /v1/openapi.json; a public mount's document is served on its
   * listener at `<mount>/openapi.json`. An undocumented route is refused at
   * start, and a request reaches the app only for a documented operation.
   */
  openapi: Record<string, OpenApiPathItem>;
}

/**
 * A CLI command a plugin adds to `meteor`; the same shape as
 * cli/command.ts `Command` (core does not import the CLI).
 */
export interface PluginCommand {
  /** The word after `meteor`. */
  name: string;
  /** One line for `meteor --help`. */
  summary: string;
  /** The full `--help` text. */
  help: string;
  /** Runs the command with the words after its name; resolves to the exit code. */
  run(args: string[]): Promise<number>;
}

/** Numbers a plugin reports under its name in GET /v1/stats. */
export type PluginStats = Record<string, number | string | boolean>;

/** What a started plugin hands back to the registry. */
export interface PluginInstance<A = unknown> {
  /** The object plugins that need this one receive in `context.plugins`. */
  readonly api?: A;
  /** Routes it serves: one mount, or several (e.g. a token mount and a public one). */
  readonly routes?: PluginRoutes | readonly PluginRoutes[];
  /** The plugin's own figures for GET /v1/stats. */
  stats?(): PluginStats;
  /** Stops the plugin and releases everything it holds. Called once, in reverse start order. */
  stop(): Promise<void>;
}

/** What the registry gives a plugin at start. */
export interface PluginContext<C = unknown, N = Record<string, unknown>> {
  /** The plugin's own name. */
  readonly name: string;
  /** The node's keys, derived from its seed (core/identity). */
  readonly identity: NodeKeys;
  /** The core crypto API (core/crypto/mod.ts). */
  readonly crypto: typeof CoreCrypto;
  /** The plugin's validated config section. */
  readonly config: C;
  /** A logger scoped to "plugin:<name>"; it redacts secrets. */
  readonly logger: Logger;
  /** The node's event bus. */
  readonly events: EventBus;
  /** The plugin's own folder, `<home>/plugins/<name>`, created before start. */
  readonly dataDir: string;
  /** Node state: contacts, inbox, outbox, counters. */
  readonly store: NodeStore;
  /**
   * The `api` of each plugin named in `needs`, keyed by the needed name
   * (a plugin name or a name another plugin `provides`). Frozen.
   */
  readonly plugins: Readonly<N>;
}

/**
 * A plugin. `C` is its validated config, `A` the api it gives plugins that
 * need it, `N` the apis it expects in `context.plugins`.
 *
 * @example
 * ```ts
 * import type { Plugin } from "./plugin.ts";
 * export default function hello(): Plugin<undefined, { greet(): string }> {
 *   return {
 *     name: "hello",
 *     version: "1.0.0",
 *     needs: [],
 *     configSchema: { validate: () => undefined },
 *     start: async () => ({ api: { greet: () => "hi" }, stop: async () => {} }),
 *   };
 * }
 * ```
 */
export interface Plugin<C = unknown, A = unknown, N = Record<string, unknown>> {
  /** Unique name, matching {@link PLUGIN_NAME}; also its config key, route prefix and folder. */
  readonly name: string;
  /** The plugin's version (semver). */
  readonly version: string;
  /** Names of plugins (or provided capabilities) it needs started before it. */
  readonly needs: readonly string[];
  /** Capabilities it offers under other names, which other plugins may need. */
  readonly provides?: readonly string[];
  /** Validates its config section. */
  readonly configSchema: ConfigSchema<C>;
  /** CLI commands it adds (they reach the running node through the API). */
  readonly commands?: readonly PluginCommand[];
  /** Starts the plugin; a rejection aborts node start and rolls back the plugins started. */
  start(context: PluginContext<C, N>): Promise<PluginInstance<A>>;
}

/** A plugin module's default export: builds the plugin from programmatic options. */
export type PluginFactory<O = void> = (options?: O) => Plugin;
