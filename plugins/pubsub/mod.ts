/**
 * The pubsub plugin: GossipSub topics on the node's one libp2p host, each
 * message a signed Meteor envelope whose author's MeteorID is proven, a
 * topic validator that drops forged, malformed, oversized and stale
 * messages, and private topics readable only by their members
 * (docs/pubsub.md). Named "pubsub" in config; needs "p2p".
 *
 * @example
 * ```ts ignore
 * import pubsub from "./plugins/pubsub/mod.ts";
 * const registry = new PluginRegistry([p2p(), pubsub()]);
 * ```
 *
 * @module
 */
import type { P2PApi } from "../p2p/mod.ts";
import { libp2pServices } from "../p2p/extension.ts";
import type { Plugin } from "../../core/plugin.ts";
import { parsePubSubConfig, type PubSubConfig } from "./config.ts";
import { MESSAGE_LABEL } from "./envelope.ts";
import { type GossipHooks, gossipService, type Router, SERVICE_NAME } from "./gossip.ts";
import { type DeliveredMessage, PubSub } from "./pubsub.ts";
import { pubsubRoutes } from "./routes.ts";
import { MIGRATIONS, PubSubStore } from "./store.ts";
import { EnvelopeValidator } from "./validator.ts";

export { type DeliveredMessage, PubSub, type TopicInfo } from "./pubsub.ts";
export { DEFAULT_PUBSUB_CONFIG, type PubSubConfig } from "./config.ts";

declare module "../../core/events.ts" {
  interface MeteorEventMap {
    /** A verified message arrived on a subscribed topic. */
    "pubsub:message": DeliveredMessage;
    /** This node received the key of a private topic's epoch. */
    "pubsub:key": { topic: string; epoch: number; owner: string };
  }
}

/** The plugin version. */
export const PUBSUB_VERSION = "1.0.0";

/** Builds the pubsub plugin. */
export default function pubsub(): Plugin<
  PubSubConfig,
  PubSub,
  { p2p: P2PApi },
  "signer" | "decryptor" | "database" | "contacts" | "counters"
> {
  // The service is made before the plugin starts; its hook reaches the validator once it runs.
  const hooks: GossipHooks = { onMessageId: () => {} };
  return {
    name: "pubsub",
    version: PUBSUB_VERSION,
    needs: ["p2p"],
    uses: ["signer", "decryptor", "database", "contacts", "counters"],
    signingLabels: [MESSAGE_LABEL],
    configSchema: { validate: parsePubSubConfig },
    extend: (config) => ({
      libp2p: libp2pServices({ [SERVICE_NAME]: gossipService(config, hooks) }),
    }),
    start(context) {
      const { p2p } = context.plugins;
      const validator = new EnvelopeValidator(context.config);
      hooks.onMessageId = (data, id) => validator.observe(data, id);
      const node = new PubSub({
        router: p2p.services[SERVICE_NAME] as Router,
        validator,
        store: new PubSubStore(context.database.open({ migrations: MIGRATIONS })),
        config: context.config,
        identity: context.identity,
        signer: context.signer,
        decryptor: context.decryptor,
        records: p2p.records,
        directory: p2p.directory,
        contacts: context.contacts,
        events: context.events,
        counters: context.counters,
        logger: context.logger,
      });
      return Promise.resolve({
        api: node,
        routes: pubsubRoutes(node, context.contacts, context.config),
        stats: () => ({ ...validator.counts, ...node.counts }),
        stop: () => {
          hooks.onMessageId = () => {};
          node.stop();
          return Promise.resolve();
        },
      });
    },
  };
}
