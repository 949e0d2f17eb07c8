/**
 * The p2p plugin: js-libp2p 3 networking, post-quantum Meteor sessions
 * (docs/protocol.md) and durable direct messages. Named "p2p" in config;
 * other plugins that declare `needs: ["p2p"]` receive its {@link P2PApi}.
 *
 * @example
 * ```ts ignore
 * import p2p from "./plugins/p2p/mod.ts";
 * const registry = new PluginRegistry([p2p()]);
 * ```
 *
 * @module
 */
import type { Plugin } from "../../core/plugin.ts";
import { type P2PConfig, parseP2PConfig } from "./config.ts";
import { P2PNode } from "./node.ts";
import type { SendResult } from "./outbox.ts";
import type { PeerInfo } from "./peers.ts";
import { p2pRoutes } from "./routes.ts";

export { DEFAULT_P2P_CONFIG, type P2PConfig, parseP2PConfig } from "./config.ts";
export { type P2PDeps, P2PNode } from "./node.ts";
export type { SendResult, WaitingReason } from "./outbox.ts";
export type { PeerInfo } from "./peers.ts";
export { ID_PROTOCOL, SESSION_PROTOCOL } from "./channel.ts";

/** What the p2p plugin offers other plugins and the API server. */
export interface P2PApi {
  /** The connected peers (GET /v1/peers). */
  peers(): PeerInfo[];
  /** The listen multiaddrs (GET /v1/id). */
  addresses(): string[];
  /** Queues a direct message to a contact name or MeteorID. */
  send(to: string, text: string): SendResult;
  /** Dials a multiaddr. */
  dial(address: string): Promise<void>;
}

/** The plugin version. */
export const P2P_VERSION = "1.0.0";

/** Builds the p2p plugin. */
export default function p2p(): Plugin<P2PConfig, P2PApi> {
  return {
    name: "p2p",
    version: P2P_VERSION,
    needs: [],
    configSchema: { validate: parseP2PConfig },
    async start(context) {
      const node = await P2PNode.start({
        keys: context.identity,
        store: context.store,
        events: context.events,
        logger: context.logger,
        config: context.config,
      });
      return {
        api: {
          peers: () => node.peers(),
          addresses: () => node.addresses(),
          send: (to, text) => node.send(to, text),
          dial: (address) => node.dial(address),
        },
        routes: p2pRoutes(node, context.store),
        stats: () => node.stats(),
        stop: () => node.stop(),
      };
    },
  };
}
