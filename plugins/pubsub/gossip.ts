/**
 * The gossipsub service the plugin adds to the node's one libp2p host
 * (@libp2p/gossipsub 17, GossipSub v1.1): StrictSign at the libp2p layer,
 * message IDs by content hash (docs/pubsub.md §1), a seen cache that
 * spans the whole freshness window, and peer scoring that penalises invalid
 * deliveries on every subscribed topic (docs/pubsub.md §5).
 *
 * @module
 */
import { type GossipSub, gossipsub, StrictSign } from "@libp2p/gossipsub";
import { toHex } from "../../core/bytes.ts";
import type { ServiceFactory } from "../p2p/extension.ts";
import { messageId } from "./_message_id.ts";
import type { PubSubConfig } from "./config.ts";

/** How far an author's clock may run ahead of this node's, in ms. */
export const MAX_CLOCK_SKEW_MS = 30_000;

/** The libp2p service name. */
export const SERVICE_NAME = "pubsub";

/** What the plugin learns from the service before a message reaches the topic validator. */
export interface GossipHooks {
  /** Called with each message's data and the ID gossipsub computed of it (publish, receipt). */
  onMessageId(data: Uint8Array, id: Uint8Array): void;
}

/**
 * The peer-score parameters of one subscribed topic: invalid deliveries
 * (P4) weigh heavily, so a peer that forwards two rejected messages falls
 * below the gossip threshold (-10) and three put it under the graylist
 * (-80); mesh-delivery deficits (P3, P3b) are off, since quiet topics are
 * normal here.
 */
export const TOPIC_SCORE_PARAMS = Object.freeze({
  topicWeight: 1,
  timeInMeshWeight: 0.01,
  timeInMeshQuantum: 1_000,
  timeInMeshCap: 100,
  firstMessageDeliveriesWeight: 0.1,
  firstMessageDeliveriesDecay: 0.5,
  firstMessageDeliveriesCap: 50,
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: 0.5,
  meshMessageDeliveriesCap: 100,
  meshMessageDeliveriesThreshold: 1,
  meshMessageDeliveriesWindow: 10,
  meshMessageDeliveriesActivation: 5_000,
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: 0.5,
  invalidMessageDeliveriesWeight: -10,
  invalidMessageDeliveriesDecay: 0.5,
});

/** The parts of the gossipsub router the plugin uses beyond the GossipSub interface. */
export type Router = GossipSub & {
  getMeshPeers(topic: string): string[];
  getScore(peerId: string): number;
  readonly score: { readonly params: { topics: Record<string, unknown> } };
};

/** The service factory for the `libp2p` extension point. */
export function gossipService(config: PubSubConfig, hooks: GossipHooks): ServiceFactory {
  // The ID of each received message, computed once: first as the fast ID (before the libp2p
  // signature is checked, so a duplicate costs no signature check), then handed to msgIdFn.
  const received = new WeakMap<Uint8Array, Uint8Array>();
  return gossipsub({
    globalSignaturePolicy: StrictSign,
    fastMsgIdFn: (rpc) => {
      const data = rpc.data ?? new Uint8Array(0);
      const id = messageId(rpc.from, data);
      received.set(data, id);
      hooks.onMessageId(data, id);
      return toHex(id);
    },
    msgIdFn: (message) => {
      const id = received.get(message.data) ??
        messageId(
          message.type === "signed" ? message.from.toMultihash().bytes : undefined,
          message.data,
        );
      if (!received.has(message.data)) hooks.onMessageId(message.data, id);
      return id;
    },
    // A copy inside the freshness window is a duplicate; one older is stale.
    seenTTL: config.maxAgeMs + MAX_CLOCK_SKEW_MS,
    // One RPC frame may batch a few envelopes; a frame past this resets the stream.
    maxInboundDataLength: 4 * config.maxMessageBytes,
    allowPublishToZeroTopicPeers: true,
    emitSelf: false,
    scoreParams: { topics: {} },
  });
}
