/**
 * The node: a plugin registry over the node's keys, config, event bus and
 * store, with the lifecycle the daemon drives. It touches no file, socket or
 * signal itself: cli/daemon.ts loads the parts from the home and serves the
 * API (server.ts) on top. It satisfies the ApiNode shape server.ts needs.
 *
 * @module
 */
import { hostForUrl, type NodeConfig } from "./config.ts";
import { createNodeCipher, type NodeCipher } from "./crypto/node_cipher.ts";
import { EventBus } from "./events.ts";
import type { NodeKeys } from "./identity/mod.ts";
import type { Logger } from "./logger.ts";
import type { NodeCapabilities, Plugin } from "./plugin.ts";
import { PluginRegistry } from "./registry.ts";
import type { NodeStore } from "./store/mod.ts";

/** The parts a node is built from. */
export interface NodeParts {
  /** The node's keys; the node wipes nothing, the caller owns them. */
  keys: NodeKeys;
  /** The validated node config. */
  config: NodeConfig;
  /** The API bearer token. */
  token: string;
  /** The open state store; the node closes it at stop. */
  store: NodeStore;
  /** The plugins to run (built-in and custom), in any order. */
  plugins: readonly Plugin[];
  /** Creates (if needed) and returns a plugin's data folder. */
  dataDir(name: string): Promise<string>;
  /** The node's logger. */
  logger: Logger;
  /** The Meteor version. */
  version: string;
  /** The clock; default Date.now. */
  now?: () => number;
  /**
   * The node's batch cipher, which its owner starts (cli/daemon.ts);
   * default: one with no cipher path, which seals every job per call.
   */
  cipher?: NodeCipher;
}

/**
 * The config section each plugin receives: `config.pluginConfig[name]`,
 * except for "p2p", which also gets the top-level `p2p` section
 * (listen, bootstrap) with `pluginConfig.p2p` keys on top.
 */
export function pluginSections(config: NodeConfig): Record<string, unknown> {
  const sections: Record<string, unknown> = { ...config.pluginConfig };
  const extra = config.pluginConfig.p2p;
  sections.p2p = {
    ...config.p2p,
    ...(typeof extra === "object" && extra !== null ? extra : {}),
  };
  return sections;
}

const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];
const WILDCARD = new Set(["0.0.0.0", "::", "[::]", ""]);

/**
 * The `host:port` values a request's Host (and Origin, after "http://") may
 * name: the loopback names, plus the configured listen host when it is a
 * specific address.
 *
 * @example
 * ```ts
 * import { apiHosts } from "./node.ts";
 * apiHosts(7701, "127.0.0.1"); // ["127.0.0.1:7701", "localhost:7701", "[::1]:7701"]
 * ```
 */
export function apiHosts(port: number, listenHost: string): string[] {
  const named = hostForUrl(listenHost);
  const hosts = WILDCARD.has(named) || LOOPBACK.includes(named) ? LOOPBACK : [...LOOPBACK, named];
  return hosts.map((h) => `${h}:${port}`);
}

/**
 * A Meteor node.
 *
 * @example
 * ```ts ignore
 * const node = new MeteorNode(parts);
 * await node.start();
 * node.listening(7701);
 * // ...
 * await node.stop();
 * ```
 */
export class MeteorNode {
  /** The API bearer token. */
  readonly token: string;
  /** The node's keys. */
  readonly keys: NodeKeys;
  /** The node config. */
  readonly config: NodeConfig;
  /** The event bus. */
  readonly events: EventBus;
  /** Node state. */
  readonly store: NodeStore;
  /** The plugins. */
  readonly registry: PluginRegistry;
  /** The node's logger. */
  readonly logger: Logger;
  /** The Meteor version. */
  readonly version: string;
  /** The batch cipher the node hands to plugins (`cipher`) and GET /v1/stats reports. */
  readonly cipher: NodeCipher;
  readonly #parts: NodeParts;
  readonly #stopping = new AbortController();
  #startedAt = 0;
  #apiPort: number | undefined;
  #stopped: Promise<void> | undefined;

  /** Checks and orders the plugins (E_PLUGIN); starts nothing. */
  constructor(parts: NodeParts) {
    this.#parts = parts;
    this.token = parts.token;
    this.keys = parts.keys;
    this.config = parts.config;
    this.store = parts.store;
    this.logger = parts.logger;
    this.version = parts.version;
    this.cipher = parts.cipher ?? createNodeCipher(null);
    this.events = new EventBus((err, name) =>
      parts.logger.error("event listener failed", { event: name, error: err })
    );
    this.registry = new PluginRegistry(parts.plugins);
  }

  /** When start() was called, ms since the epoch. */
  get startedAt(): number {
    return this.#startedAt;
  }

  /** Aborted when the node begins to stop. */
  get signal(): AbortSignal {
    return this.#stopping.signal;
  }

  /** Starts the plugins in order; on failure everything started is stopped again. */
  async start(): Promise<void> {
    this.#startedAt = (this.#parts.now ?? Date.now)();
    await this.registry.start({
      keys: this.keys,
      logger: this.logger,
      events: this.events,
      store: this.store,
      cipher: this.cipher,
      config: pluginSections(this.config),
      dataDir: this.#parts.dataDir,
      signal: this.#stopping.signal,
    });
  }

  /** The node capability `name` (core/plugin.ts NodeCapabilities), when a running plugin offers it. */
  capability<K extends keyof NodeCapabilities>(name: K): NodeCapabilities[K] | undefined {
    return this.registry.capability(name);
  }

  /** Records the port the API listens on, for the Host and Origin checks. */
  listening(port: number): void {
    this.#apiPort = port;
  }

  /** The `host:port` values a request's Host and Origin may name. */
  allowedHosts(): readonly string[] {
    return this.#apiPort === undefined ? [] : apiHosts(this.#apiPort, this.config.api.host);
  }

  /**
   * Stops the plugins in reverse order and closes the store, even when a
   * plugin fails to stop (that error is then thrown). Idempotent.
   */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping.abort();
      try {
        await this.registry.stop();
      } finally {
        this.store.close();
      }
    })();
    return this.#stopped;
  }
}
