/**
 * The p2p node: the node's one libp2p host (host.ts) with this node's
 * identity document (local.ts), the identity directory (peers.ts), the
 * Meteor sessions to peers (channels.ts), typed records for other plugins
 * (records.ts), and durable direct messaging through the plugin's own
 * outbox (outbox.ts) and inbox (inbox.ts) tables (docs/protocol.md §7, §8).
 *
 * @module
 */
import type { PeerId, PrivateKey } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import type { Libp2p } from "libp2p";
import { toHex } from "../../core/bytes.ts";
import type { HybridSigner } from "../../core/crypto/sign.ts";
import { isMeteorError } from "../../core/errors.ts";
import type { EventBus } from "../../core/events.ts";
import type { Logger } from "../../core/logger.ts";
import type { Contribution, DocumentSigner, PluginCounters } from "../../core/plugin.ts";
import type { Contacts } from "../../core/store/mod.ts";
import { countRejected, newCounts } from "./_counts.ts";
import { SqliteDatastore } from "./_datastore.ts";
import { decodeRecord } from "./_records.ts";
import { ID_PROTOCOL, SESSION_PROTOCOL } from "./channel.ts";
import { Channels } from "./channels.ts";
import type { P2PConfig } from "./config.ts";
import type { Libp2pExtension } from "./extension.ts";
import { startHost } from "./host.ts";
import { InboxWriter } from "./inbox.ts";
import { LocalDocument } from "./local.ts";
import { Outbox, type OutgoingText, type SendResult, type WaitingReason } from "./outbox.ts";
import { PeerDirectory, type PeerInfo } from "./peers.ts";
import { PluginRecords } from "./records.ts";
import { documentVerifier, type FrameSealer, type Session } from "./session/mod.ts";
import type { MessageStore } from "./store/mod.ts";

/** What the node is built from: the plugin's components, never key seeds. */
export interface P2PDeps {
  /** This node's MeteorID. */
  meteorId: Uint8Array;
  /** The host key. */
  privateKey: PrivateKey;
  /** Signs the node's identity documents. */
  documents: DocumentSigner;
  /** Signs handshakes under the session labels. */
  signer: HybridSigner;
  /** The node's contacts. */
  contacts: Contacts;
  /** The plugin's durable counters. */
  counters: PluginCounters;
  /** The node's batch cipher: seals an outbox flush's frames in one call when it is faster. */
  cipher?: FrameSealer;
  /** The plugin's tables (inbox, outbox, the libp2p datastore). */
  messages: MessageStore;
  /** The event bus. */
  events: EventBus;
  /** The plugin's logger. */
  logger: Logger;
  /** The validated config. */
  config: P2PConfig;
  /** Services other plugins add to the host. */
  contributions: readonly Contribution<Libp2pExtension>[];
}

/**
 * A running p2p node.
 *
 * @example
 * ```ts ignore
 * const node = await P2PNode.start(deps);
 * node.send("alice", "hello");
 * await node.stop();
 * ```
 */
export class P2PNode {
  /** The libp2p host (owned: started and stopped here). */
  readonly libp2p: Libp2p;
  /** The identity directory. */
  readonly directory: PeerDirectory;
  /** Typed records for other plugins. */
  readonly records: PluginRecords;
  /** Contributed libp2p service names by plugin. */
  readonly servicesOf: ReadonlyMap<string, readonly string[]>;
  readonly #deps: P2PDeps;
  readonly #counts = newCounts();
  readonly #stopped = new AbortController();
  readonly #channels: Channels;
  readonly #outbox: Outbox;
  readonly #inbox: InboxWriter;
  #timer: ReturnType<typeof setInterval> | undefined;

  private constructor(
    deps: P2PDeps,
    libp2p: Libp2p,
    servicesOf: ReadonlyMap<string, readonly string[]>,
    local: LocalDocument,
  ) {
    this.#deps = deps;
    this.libp2p = libp2p;
    this.servicesOf = servicesOf;
    const verify = documentVerifier();
    const { contacts, counters, messages, events, logger, config } = deps;
    const counts = this.#counts;
    const signal = this.#stopped.signal;
    const debug = (what: string, err: unknown) => this.#debug(what, err);
    this.#inbox = new InboxWriter({ inbox: messages.inbox, counters, events, counts, debug });
    this.directory = new PeerDirectory({
      libp2p,
      contacts,
      verify,
      local,
      identified: (meteorId) => this.#outbox.flushPending(meteorId),
      debug,
    });
    this.#channels = new Channels({
      libp2p,
      verify,
      local,
      peers: this.directory,
      config,
      sealer: deps.cipher,
      counts,
      signal,
      onData: (session, data) => this.#onData(session, data),
      peerError: (peer, where, err) => this.#peerError(peer, where, err),
      debug,
    });
    this.records = new PluginRecords(this.#channels, counts, debug);
    this.#outbox = new Outbox({
      meteorId: deps.meteorId,
      outbox: messages.outbox,
      contacts,
      counters,
      events,
      logger,
      counts,
      config,
      signal,
      channels: this.#channels,
      peers: this.directory,
      debug,
    });
  }

  /**
   * Creates and starts the host on the configured addresses with the
   * contributed services, and begins delivering the outbox.
   *
   * @throws {MeteorError} E_IO "Cannot listen on <addr>: address in use" (one
   * line) when a listen address cannot be bound; E_PLUGIN for a service name
   * two plugins contribute
   */
  static async start(deps: P2PDeps): Promise<P2PNode> {
    const { libp2p, servicesOf } = await startHost({
      privateKey: deps.privateKey,
      listen: deps.config.listen,
      datastore: new SqliteDatastore(deps.messages.db),
      contributions: deps.contributions,
    });
    try {
      const local = await LocalDocument.create(deps, libp2p);
      const node = new P2PNode(deps, libp2p, servicesOf, local);
      await node.#listen();
      return node;
    } catch (err) {
      await libp2p.stop();
      throw err;
    }
  }

  /** The multiaddrs the node listens on. */
  addresses(): string[] {
    return this.libp2p.getMultiaddrs().map(String);
  }

  /** The connected peers. */
  peers(): PeerInfo[] {
    return this.directory.connected((hex) => this.#channels.sessions(hex));
  }

  /** The node's figures for GET /v1/stats. */
  stats(): Record<string, number> {
    const counts = { ...this.#counts };
    const sessions = this.#channels.addStats(counts);
    return { ...counts, peers: this.libp2p.getPeers().length, sessions };
  }

  /**
   * Queues a text message to a contact name or a MeteorID (text form) and
   * starts delivering it. Resolves once it is durably queued.
   *
   * @throws {MeteorError} E_MALFORMED (empty text), E_NOT_FOUND (no such
   * contact), E_BAD_ID (malformed, or this node's own ID), E_TOO_LARGE
   */
  send(to: string, text: string): Promise<SendResult> {
    return this.#outbox.send(to, text);
  }

  /**
   * Queues several text messages, all or none, in one commit and starts
   * delivering them. Resolves with their results in order once durable.
   *
   * @throws {MeteorError} as {@link P2PNode.send}, naming the refused
   * message's position; E_TOO_LARGE over MAX_SEND_BATCH messages
   */
  sendAll(messages: readonly OutgoingText[]): Promise<SendResult[]> {
    return this.#outbox.sendAll(messages);
  }

  /**
   * Why messages to `meteorId` are waiting, or null when no delivery attempt
   * has failed since the last channel to it opened.
   */
  waiting(meteorId: Uint8Array): WaitingReason | null {
    return this.#outbox.waiting(meteorId);
  }

  /** Dials a multiaddr (for bootstrap peers and tests). */
  async dial(address: string): Promise<void> {
    await this.libp2p.dial(multiaddr(address), { signal: AbortSignal.timeout(10_000) });
  }

  /**
   * Runs one delivery round now: dials bootstrap peers, starts a flush of
   * every pending recipient not backing off, prunes delivered messages.
   */
  retry(): void {
    const connections = this.libp2p.getConnections();
    const peers = new Set(connections.map((c) => c.remotePeer.toString()));
    const addresses = new Set(connections.map((c) => withoutPeerId(c.remoteAddr.toString())));
    for (const address of this.#deps.config.bootstrap) {
      const { transport, peer } = splitBootstrap(address);
      if (peer ? peers.has(peer) : addresses.has(transport)) continue;
      this.dial(address).catch((err) => this.#debug("dial", err));
    }
    this.#outbox.flushAll();
    this.#channels.rekeyDue();
  }

  /** Closes every session and stops libp2p. */
  async stop(): Promise<void> {
    this.#stopped.abort();
    clearInterval(this.#timer);
    await this.#channels.close();
    await this.libp2p.stop();
  }

  async #listen(): Promise<void> {
    const options = { maxInboundStreams: 8 };
    await this.libp2p.handle(SESSION_PROTOCOL, async (stream, connection) => {
      const channel = await this.#channels.accept(stream, connection);
      // One session serves both directions: deliver on the one the peer opened.
      if (channel) this.#outbox.flushLater(toHex(channel.session.peer.meteorId), true);
    }, options);
    await this.libp2p.handle(ID_PROTOCOL, (stream) => this.directory.serve(stream), options);
    const { signal } = this.#stopped;
    this.libp2p.addEventListener("peer:connect", (event) => {
      this.#deps.events.emit("peer:connect", this.directory.detail(event.detail));
    }, { signal });
    // §8: only peers whose identify lists the lookup protocol are asked for a document.
    this.libp2p.addEventListener("peer:identify", (event) => {
      const { peerId, protocols } = event.detail;
      if (!protocols.includes(ID_PROTOCOL)) return;
      this.#counts.lookups++;
      this.directory.lookup(peerId).catch((err) => this.#debug("identity lookup", err));
    }, { signal });
    this.libp2p.addEventListener("peer:disconnect", (event) => {
      this.#deps.events.emit("peer:disconnect", this.directory.detail(event.detail));
    }, { signal });
    this.#deps.events.on("contact:add", (detail) => this.directory.contactAdded(detail), {
      signal,
    });
    this.#timer = setInterval(() => this.#retrySafely(), this.#deps.config.retryMs);
    for (const contact of this.#deps.contacts.list()) {
      if (contact.document) this.directory.remember(contact.document).catch(() => {});
    }
    this.#retrySafely();
  }

  #retrySafely(): void {
    try {
      this.retry();
    } catch (err) {
      this.#debug("retry", err);
    }
  }

  /**
   * §7: a record on a session goes to the inbox (a message), the outbox (an
   * ack or acks) or the plugin that handles its type (§7.3). A malformed record is
   * counted under its code and dropped; the session carries on.
   */
  #onData(session: Session, data: Uint8Array): void {
    if (data.length === 0) return; // §7: an empty data frame carries no record
    let record;
    try {
      record = decodeRecord(data);
    } catch (err) {
      countRejected(this.#counts, err, "rejected.");
      return;
    }
    const from = session.peer.meteorId;
    if (record.type === "message") this.#inbox.receive(session, record);
    else if (record.type === "ack") this.#outbox.acknowledged(from, [record.id]);
    else if (record.type === "acks") this.#outbox.acknowledged(from, record.ids);
    else this.records.deliver(session, record.recordType, record.payload);
  }

  /** §8: a peer that breaks the protocol loses that session (closed by the pump), not its connection. */
  #peerError(peer: PeerId, where: string, err: unknown): void {
    if (this.#stopped.signal.aborted) return;
    this.#counts.peerErrors++;
    const code = isMeteorError(err) ? err.code : "E_IO";
    this.#deps.logger.warn(`${where} with peer failed`, { peer: peer.toString(), code });
  }

  #debug(what: string, err: unknown): void {
    if (this.#stopped.signal.aborted) return;
    this.#deps.logger.debug(`${what} failed`, { error: err });
  }
}

/** `address` without a trailing `/p2p/<PeerId>` (libp2p's `remoteAddr` carries one). */
function withoutPeerId(address: string): string {
  return address.replace(/\/p2p\/[^/]+$/, "");
}

/**
 * A bootstrap address as its transport part and its PeerId, if it names one:
 * a peer already connected under any address, or (without a PeerId) the same
 * transport address, is not dialled again on every retry.
 */
export function splitBootstrap(address: string): { transport: string; peer?: string } {
  const peer = multiaddr(address).getComponents().find((c) => c.name === "p2p")?.value;
  return { transport: withoutPeerId(address), peer };
}
