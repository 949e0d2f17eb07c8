/**
 * The plugin shape. A plugin module exports a factory `(options) => Plugin`
 * (the default export, for plugins named in config.customPlugins), in the
 * manner of a js-libp2p service: the plugin declares its name, version, the
 * plugins it needs, what it provides, the node components it uses, and what
 * it adds to extension points other plugins own; it validates its own config
 * section, and `start(context)` resolves to a running {@link PluginInstance}.
 *
 * The registry (core/registry.ts) hands each plugin a deeply immutable
 * {@link PluginContext}: its name, validated config, a scoped logger, the
 * event bus, its data folder, the node's public identity, a stop signal, the
 * `api` of exactly the plugins it declared in `needs`, and exactly the
 * {@link NodeComponents} it declared in `uses` (capabilities such as "sign
 * with a label", never key seeds). docs/plugins.md is the author's guide.
 *
 * @module
 */
import type * as CoreCrypto from "./crypto/mod.ts";
import type { NodeCipher } from "./crypto/node_cipher.ts";
import type { EventBus } from "./events.ts";
import type { Logger } from "./logger.ts";
import type { HybridSigner } from "./crypto/sign.ts";
import type { ErrorCodeSpec } from "./errors.ts";
import type { DocumentFields, IdentityDocument, PublicKeyBundle } from "./identity/mod.ts";
import type { Contacts } from "./store/contacts.ts";
import type { Counts } from "./store/counters.ts";
import type { DatabaseSync } from "node:sqlite";

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
 * A plugin's HTTP routes: a Hono app (`new Hono()` from the `hono` package),
 * declared here by the members the node reads, so that the plugin kit's
 * types do not depend on Hono's. The node mounts Hono apps only: any other
 * object is refused at start (E_PLUGIN).
 */
export interface RouteApp {
  /** Every route, as Hono's `app.routes` lists them (checked against the mount's openapi). */
  readonly routes: readonly { readonly method: string; readonly path: string }[];
  /** Answers a request, as Hono's `app.fetch` does. */
  fetch(request: Request): Response | Promise<Response>;
}

/**
 * One mount of HTTP routes a plugin serves, with its own policy and body
 * limit (docs/api.md §Plugin routes).
 */
export interface PluginRoutes {
  /** A Hono app ({@link RouteApp}); its paths are relative to `mount`. */
  app: RouteApp;
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

/**
 * A top-level `meteor` command a built-in plugin adds (`meteor resolve`),
 * listed by `meteor --help` and loaded only when it runs (plugins/mod.ts).
 */
export interface LazyPluginCommand {
  /** The words after `meteor` ("resolve", "topic create"). */
  name: string;
  /** One line for `meteor --help`. */
  summary: string;
  /** Imports the command's module and resolves to the command. */
  load(): Promise<PluginCommand>;
}

/** Numbers a plugin reports under its name in GET /v1/stats. */
export type PluginStats = Record<string, number | string | boolean>;

/** What a started plugin hands back to the registry. */
export interface PluginInstance<A = unknown> {
  /** The object plugins that need this one receive in `context.plugins`. */
  readonly api?: A;
  /**
   * Builds the api one consumer receives, instead of the shared `api`: a
   * plugin that scopes what it hands out (each consumer gets back only the
   * libp2p services it contributed, say) implements this.
   */
  apiFor?(consumer: string): A;
  /** Node capabilities this plugin offers the server and CLI (core/plugin.ts {@link NodeCapabilities}). */
  readonly capabilities?: Partial<NodeCapabilities>;
  /** Routes it serves: one mount, or several (e.g. a token mount and a public one). */
  readonly routes?: PluginRoutes | readonly PluginRoutes[];
  /** The plugin's own figures for GET /v1/stats. */
  stats?(): PluginStats;
  /** Stops the plugin and releases everything it holds. Called once, in reverse start order. */
  stop(): Promise<void>;
}

/** One connected peer, as GET /v1/peers shows it. */
export interface PeerSummary {
  /** The libp2p PeerId. */
  peerId: string;
  /** Its MeteorID in text form, once known. */
  meteorId: string | null;
  /** The contact name, when it is a contact. */
  contact: string | null;
  /** The remote addresses of its connections. */
  addresses: string[];
  /** Open Meteor sessions with it. */
  sessions: number;
}

/** What the server and CLI read of the node's network (offered by the p2p plugin). */
export interface NetworkCapability {
  /** The multiaddrs the node listens on. */
  addresses(): string[];
  /** The connected peers. */
  peers(): PeerSummary[];
}

/**
 * Capabilities the server and CLI use, typed here so that they never look a
 * plugin up by name: at most one running plugin offers each.
 */
export interface NodeCapabilities {
  /** Listen addresses and connected peers. */
  network: NetworkCapability;
}

/**
 * The node's public identity. Reading a field gives a fresh copy: a plugin
 * that changes one changes nothing else.
 */
export interface NodeIdentity {
  /** The 32-byte MeteorID. */
  readonly meteorId: Uint8Array;
  /** The libp2p PeerId ("12D3KooW..."). */
  readonly peerId: string;
  /** The public key bundle the MeteorID hashes. */
  readonly publicKeys: PublicKeyBundle;
}

/** Signs this node's identity documents (docs/identity.md §4). */
export interface DocumentSigner {
  /** A freshly signed document of this node with `fields`. */
  sign(fields?: DocumentFields): Promise<IdentityDocument>;
}

/** Opens what was encrypted to this node's X-Wing key. */
export interface Decryptor {
  /** X-Wing decapsulation (draft-connolly-cfrg-xwing-kem §5.4): the 32-byte shared secret. */
  decapsulate(ciphertext: Uint8Array): Promise<Uint8Array>;
  /** Opens an HPKE message sealed to this node (core/crypto/hpke.ts hpkeOpen). */
  open(
    enc: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array>;
}

/** The libp2p host's key, for the one plugin that builds the host. */
export interface HostKey {
  /** The libp2p Ed25519 private key (a copy: libp2p keeps its own). */
  privateKey(): Promise<unknown>;
}

/** The plugin's durable traffic counters (GET /v1/stats). */
export interface PluginCounters {
  /** Adds to the plugin's counters. */
  add(delta: Partial<Counts>): void;
}

/** Options of {@link PluginDatabase.open}. */
export interface DatabaseOptions {
  /** Migration i moves the database from `PRAGMA user_version` i to i + 1; never edit a released one. */
  migrations: readonly string[];
  /**
   * Tables an earlier Meteor kept in the node's state.db that now belong to
   * this plugin: on open their rows are copied into this database (their
   * schema must match) and they are dropped from state.db.
   */
  adopt?: readonly string[];
}

/** The plugin's own SQLite database, `<dataDir>/<name>.db` (WAL, synchronous FULL). */
export interface PluginDatabase {
  /** Opens (creating and migrating) the database; the registry closes it after stop(). */
  open(options: DatabaseOptions): DatabaseSync;
}

/**
 * The node components a plugin can ask for in `uses`, in the manner of
 * js-libp2p's components: a plugin receives exactly those it names.
 */
export interface NodeComponents {
  /** Hybrid signatures under the labels the plugin declares in `signingLabels`. */
  signer: HybridSigner;
  /** Signs this node's identity documents. */
  documents: DocumentSigner;
  /** Decapsulation and opening of data sealed to this node. */
  decryptor: Decryptor;
  /** The libp2p host key. */
  hostKey: HostKey;
  /** The node's contacts. */
  contacts: Contacts;
  /** The plugin's traffic counters. */
  counters: PluginCounters;
  /** The plugin's own database. */
  database: PluginDatabase;
  /** The core crypto API (core/crypto/mod.ts). */
  crypto: typeof CoreCrypto;
  /**
   * The node's batch cipher (core/crypto/node_cipher.ts): whether a batch of
   * AEAD jobs goes to the engine calibration chose, and that engine.
   */
  cipher: NodeCipher;
}

/** A component name for `uses`. */
export type ComponentName = keyof NodeComponents;

/** Every component name, as the registry checks `uses`. */
export const COMPONENT_NAMES: readonly ComponentName[] = [
  "signer",
  "documents",
  "decryptor",
  "hostKey",
  "contacts",
  "counters",
  "database",
  "crypto",
  "cipher",
];

/**
 * What a plugin adds to the extension points other plugins own, keyed by
 * point name (`{ libp2p: {...} }`). The owner of a point says what its values
 * look like and usually exports a helper that builds one (the p2p plugin's
 * `libp2pServices()`), so core names no point.
 */
export type PluginExtensions = Readonly<Record<string, unknown>>;

/** One plugin's contribution to an extension point. */
export interface Contribution<V> {
  /** The contributing plugin. */
  readonly plugin: string;
  /** What it contributed. */
  readonly value: V;
}

/** An error code a plugin adds, with the HTTP status the API answers it with. */
export type PluginErrorCode = ErrorCodeSpec;

/** What the registry gives every plugin at start. */
export interface PluginBaseContext<C = unknown, N = Record<string, unknown>> {
  /** The plugin's own name. */
  readonly name: string;
  /** The plugin's validated config section (deeply frozen). */
  readonly config: C;
  /** A logger scoped to "plugin:<name>"; it redacts secrets. */
  readonly logger: Logger;
  /** The node's event bus. */
  readonly events: EventBus;
  /** The plugin's own folder, `<home>/plugins/<name>`, created before start. */
  readonly dataDir: string;
  /** The node's public identity. */
  readonly identity: NodeIdentity;
  /** Aborted when start() runs out of its time budget or the node begins to stop. */
  readonly signal: AbortSignal;
  /** How long start() may take, in ms, before the node gives up on it. */
  readonly startBudgetMs: number;
  /**
   * The `api` of each plugin named in `needs`, keyed by the needed name
   * (a plugin name or a name another plugin `provides`). Frozen.
   */
  readonly plugins: Readonly<N>;
  /**
   * What other plugins contributed to an extension point this plugin `owns`;
   * `V` is the value shape the owner defines (and checks).
   */
  contributions<V = unknown>(point: string): readonly Contribution<V>[];
}

/**
 * What the registry gives a plugin at start: the base context and the
 * components named in `uses` (`U`). Reaching for a component it did not
 * declare, or changing the context, throws.
 */
export type PluginContext<
  C = unknown,
  N = Record<string, unknown>,
  U extends ComponentName = ComponentName,
> = PluginBaseContext<C, N> & Readonly<Pick<NodeComponents, U>>;

/**
 * A plugin. `C` is its validated config, `A` the api it gives plugins that
 * need it, `N` the apis it expects in `context.plugins`, `U` the components
 * it uses.
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
export interface Plugin<
  C = unknown,
  A = unknown,
  N = Record<string, unknown>,
  U extends ComponentName = ComponentName,
> {
  /** Unique name, matching {@link PLUGIN_NAME}; also its config key, route prefix and folder. */
  readonly name: string;
  /** The plugin's version (semver). */
  readonly version: string;
  /** Names of plugins (or provided capabilities) it needs started before it. */
  readonly needs: readonly string[];
  /** Capabilities it offers under other names, which other plugins may need. */
  readonly provides?: readonly string[];
  /** The node components it uses; it receives these and no others. */
  readonly uses?: readonly U[];
  /** The domain labels its `signer` may sign under; unique across plugins. */
  readonly signingLabels?: readonly string[];
  /** Error codes it adds (E_...), with their HTTP status. */
  readonly errors?: Readonly<Record<string, PluginErrorCode>>;
  /** Extension points it owns: it collects what other plugins contribute there. */
  readonly owns?: readonly string[];
  /** What it contributes to points other plugins own, from its validated config. */
  extend?(config: C): PluginExtensions;
  /** Validates its config section. */
  readonly configSchema: ConfigSchema<C>;
  /** CLI commands it adds (they reach the running node through the API). */
  readonly commands?: readonly PluginCommand[];
  /** Starts the plugin; a rejection aborts node start and rolls back the plugins started. */
  start(context: PluginContext<C, N, U>): Promise<PluginInstance<A>>;
}

/** A plugin module's default export: builds the plugin from programmatic options. */
export type PluginFactory<O = void> = (options?: O) => Plugin;
