/**
 * The p2p plugin: the node's one js-libp2p 3 host, which other plugins
 * extend with services (extension.ts), the identity directory, post-quantum
 * Meteor sessions (docs/protocol.md) carrying direct messages and other
 * plugins' typed records, and durable direct messages in its own database.
 * Named "p2p" in config; a plugin that declares `needs: ["p2p"]` receives a
 * {@link P2PApi} scoped to it.
 *
 * @example
 * ```ts ignore
 * import p2p from "./plugins/p2p/mod.ts";
 * const registry = new PluginRegistry([p2p()]);
 * ```
 *
 * @module
 */
import type { PrivateKey } from "@libp2p/interface";
import type { Libp2p } from "libp2p";
import type { Plugin } from "../../core/plugin.ts";
import { type P2PConfig, parseP2PConfig } from "./config.ts";
import { LIBP2P_POINT, type Libp2pExtension } from "./extension.ts";
import { sharedHost } from "./host.ts";
import { P2PNode } from "./node.ts";
import type { SendResult } from "./outbox.ts";
import type { IdentityResolver, PeerInfo, Resolved } from "./peers.ts";
import type { RecordChannel } from "./records.ts";
import { p2pRoutes } from "./routes.ts";
import { CONTEXT_INITIATOR, CONTEXT_RESPONDER, type PeerIdentity } from "./session/mod.ts";
import { type InboxSource, openMessageStore } from "./store/mod.ts";

export { DEFAULT_P2P_CONFIG, type P2PConfig, parseP2PConfig } from "./config.ts";
export { type P2PDeps, P2PNode } from "./node.ts";
export type { SendResult, WaitingReason } from "./outbox.ts";
export type { IdentityResolver, PeerInfo, Resolved } from "./peers.ts";
export type { ReceivedRecord, RecordChannel, RecordHandler } from "./records.ts";
export type { InboxFile, InboxFileEntry, InboxQuery, InboxSource } from "./store/mod.ts";
export {
  LIBP2P_POINT,
  type Libp2pExtension,
  libp2pServices,
  type ServiceFactory,
} from "./extension.ts";
export { ID_PROTOCOL, SESSION_PROTOCOL } from "./channel.ts";
/** A SQLite interface-datastore, for plugins that give a library (Helia) a persistent one. */
export { DATASTORE_MIGRATION, SqliteDatastore } from "./_datastore.ts";

/** The identity directory as other plugins use it. */
export interface IdentityDirectory {
  /** This node's current signed identity document (encoded). */
  current(): Promise<Uint8Array>;
  /** Verifies an encoded document: both signatures, the ID hash, the expiry. */
  verify(document: Uint8Array): Promise<PeerIdentity>;
  /** A MeteorID to a verified identity, through the resolvers in order (E_NOT_FOUND, E_TIMEOUT). */
  resolve(meteorId: Uint8Array, signal?: AbortSignal): Promise<Resolved>;
  /** Adds a resolver after the built-in ones (contacts, looked-up peers); returns its remover. */
  addResolver(resolver: IdentityResolver): () => void;
}

/**
 * What the p2p plugin offers one plugin that needs it. `Host` is the type a
 * plugin gives the shared libp2p host: the host is js-libp2p's `Libp2p`
 * (from the `libp2p` package), and a plugin that calls it declares
 * `{ p2p: P2PApi<Libp2p> }` among its needs; the kit itself leaves it
 * `unknown`, so that its types do not depend on libp2p's.
 */
export interface P2PApi<Host = unknown> {
  /** The libp2p services this plugin contributed to the host, by name (and only those). */
  readonly services: Readonly<Record<string, unknown>>;
  /** The node's one host, shared: its start() and stop() do nothing (p2p owns its lifecycle). */
  readonly libp2p: Host;
  /** The identity directory. */
  readonly directory: IdentityDirectory;
  /** Typed records over Meteor sessions, under this plugin's own record types. */
  readonly records: RecordChannel;
  /** The connected peers (GET /v1/peers). */
  peers(): PeerInfo[];
  /** The listen multiaddrs (GET /v1/id). */
  addresses(): string[];
  /** Queues a direct message to a contact name or MeteorID; resolves once it is durable. */
  send(to: string, text: string): Promise<SendResult>;
  /** Dials a multiaddr. */
  dial(address: string): Promise<void>;
  /** Lists this plugin's entries (received files) in GET /v1/inbox too; returns its remover. */
  addInboxSource(source: InboxSource): () => void;
}

/** The plugin version. */
export const P2P_VERSION = "2.0.0";

/** The api handed to plugin `consumer`. */
function apiFor(
  node: P2PNode,
  consumer: string,
  inboxSources: Set<InboxSource>,
): P2PApi<Libp2p> {
  const services: Record<string, unknown> = {};
  const all = node.libp2p.services as Record<string, unknown>;
  for (const name of node.servicesOf.get(consumer) ?? []) services[name] = all[name];
  const { directory } = node;
  return {
    services: Object.freeze(services),
    libp2p: sharedHost(node.libp2p),
    directory: Object.freeze({
      current: async () => (await directory.current()).document,
      verify: (document: Uint8Array) => directory.verify(document),
      resolve: (meteorId: Uint8Array, signal?: AbortSignal) => directory.resolve(meteorId, signal),
      addResolver: (resolver: IdentityResolver) => directory.addResolver(resolver),
    }),
    records: node.records.scoped(consumer),
    peers: () => node.peers(),
    addresses: () => node.addresses(),
    send: (to, text) => node.send(to, text),
    dial: (address) => node.dial(address),
    addInboxSource(source) {
      inboxSources.add(source);
      return () => void inboxSources.delete(source);
    },
  };
}

/** Builds the p2p plugin. */
export default function p2p(): Plugin<
  P2PConfig,
  P2PApi,
  Record<string, unknown>,
  "hostKey" | "signer" | "documents" | "contacts" | "counters" | "database" | "cipher"
> {
  return {
    name: "p2p",
    version: P2P_VERSION,
    needs: [],
    uses: ["hostKey", "signer", "documents", "contacts", "counters", "database", "cipher"],
    signingLabels: [CONTEXT_RESPONDER, CONTEXT_INITIATOR],
    owns: [LIBP2P_POINT],
    configSchema: { validate: parseP2PConfig },
    async start(context) {
      const messages = openMessageStore(context.database);
      const inboxSources = new Set<InboxSource>();
      const node = await P2PNode.start({
        meteorId: context.identity.meteorId,
        privateKey: await context.hostKey.privateKey() as PrivateKey,
        documents: context.documents,
        signer: context.signer,
        contacts: context.contacts,
        counters: context.counters,
        cipher: context.cipher,
        messages,
        events: context.events,
        logger: context.logger,
        config: context.config,
        contributions: context.contributions<Libp2pExtension>(LIBP2P_POINT),
      });
      return {
        apiFor: (consumer) => apiFor(node, consumer, inboxSources),
        capabilities: {
          network: { peers: () => node.peers(), addresses: () => node.addresses() },
        },
        routes: p2pRoutes(node, messages, context.contacts, inboxSources),
        stats: () => node.stats(),
        stop: () => node.stop(),
      };
    },
  };
}
