/**
 * The p2p node: a js-libp2p 3 host (TCP, WebSockets, Noise, Yamux, identify,
 * ping) with the seed-derived Ed25519 key, composed with this node's identity
 * document (local.ts), the peer identity records and lookup (peers.ts), the
 * Meteor sessions to peers (channels.ts), and durable direct messaging
 * through the store's outbox (outbox.ts) and inbox (inbox.ts)
 * (docs/protocol.md §7, §8).
 *
 * @module
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import type { PeerId } from "@libp2p/interface";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { webSockets } from "@libp2p/websockets";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p, type Libp2p } from "libp2p";
import { toHex } from "../../core/bytes.ts";
import { isMeteorError } from "../../core/errors.ts";
import type { EventBus } from "../../core/events.ts";
import { libp2pPrivateKey, type NodeKeys } from "../../core/identity/mod.ts";
import type { Logger } from "../../core/logger.ts";
import type { NodeStore } from "../../core/store/mod.ts";
import { newCounts } from "./_counts.ts";
import { listenError } from "./_listen.ts";
import { decodeRecord } from "./_records.ts";
import { ID_PROTOCOL, SESSION_PROTOCOL } from "./channel.ts";
import { Channels } from "./channels.ts";
import type { P2PConfig } from "./config.ts";
import { type InboxComponents, receiveMessage } from "./inbox.ts";
import { LocalDocument } from "./local.ts";
import { Outbox, type SendResult, type WaitingReason } from "./outbox.ts";
import { PeerDirectory, type PeerInfo } from "./peers.ts";
import { documentVerifier, type Session } from "./session/mod.ts";

/** What the node needs from its host. */
export interface P2PDeps {
  /** The node's keys. */
  keys: NodeKeys;
  /** Node state. */
  store: NodeStore;
  /** The event bus. */
  events: EventBus;
  /** The plugin's logger. */
  logger: Logger;
  /** The validated config. */
  config: P2PConfig;
}

/**
 * A running p2p node.
 *
 * @example
 * ```ts ignore
 * const node = await P2PNode.start({ keys, store, events, logger, config });
 * await node.send("alice", "hello");
 * await node.stop();
 * ```
 */
export class P2PNode {
  /** The libp2p host. */
  readonly libp2p: Libp2p;
  readonly #deps: P2PDeps;
  readonly #counts = newCounts();
  readonly #stopped = new AbortController();
  readonly #peers: PeerDirectory;
  readonly #channels: Channels;
  readonly #outbox: Outbox;
  readonly #inbox: InboxComponents;
  #timer: ReturnType<typeof setInterval> | undefined;

  private constructor(deps: P2PDeps, libp2p: Libp2p, local: LocalDocument) {
    this.#deps = deps;
    this.libp2p = libp2p;
    const verify = documentVerifier();
    const { store, events, logger, keys, config } = deps;
    const counts = this.#counts;
    const signal = this.#stopped.signal;
    const debug = (what: string, err: unknown) => this.#debug(what, err);
    this.#inbox = { store, events, counts };
    this.#peers = new PeerDirectory({
      libp2p,
      store,
      verify,
      local,
      identified: (meteorId) => this.#outbox.flushPending(meteorId),
      debug,
    });
    this.#channels = new Channels({
      libp2p,
      verify,
      local,
      peers: this.#peers,
      config,
      counts,
      signal,
      onData: (session, data) => this.#onData(session, data),
      peerError: (peer, where, err) => this.#peerError(peer, where, err),
      debug,
    });
    this.#outbox = new Outbox({
      keys,
      store,
      events,
      logger,
      counts,
      signal,
      channels: this.#channels,
      peers: this.#peers,
      debug,
    });
  }

  /**
   * Starts libp2p on the configured addresses and begins delivering the outbox.
   *
   * @throws {MeteorError} E_IO "Cannot listen on <addr>: address in use" (one
   * line) when a listen address cannot be bound
   */
  static async start(deps: P2PDeps): Promise<P2PNode> {
    const libp2p = await createLibp2p({
      start: false,
      privateKey: await libp2pPrivateKey(deps.keys.seeds.ed25519),
      addresses: { listen: deps.config.listen },
      transports: [tcp(), webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), ping: ping() },
    });
    try {
      await libp2p.start();
    } catch (err) {
      // Whatever did start (an earlier listener) is released; the start error is reported.
      await Promise.resolve().then(() => libp2p.stop()).catch(() => {});
      throw listenError(err);
    }
    try {
      const local = await LocalDocument.create(deps.keys, libp2p);
      const node = new P2PNode(deps, libp2p, local);
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
    return this.#peers.connected((hex) => this.#channels.sessions(hex));
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
  send(to: string, text: string): SendResult {
    return this.#outbox.send(to, text);
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

  /** Runs one delivery round now: dials bootstrap peers and flushes every pending recipient. */
  async retry(): Promise<void> {
    const connected = new Set(this.libp2p.getConnections().map((c) => c.remoteAddr.toString()));
    for (const address of this.#deps.config.bootstrap) {
      if (!connected.has(address)) this.dial(address).catch((err) => this.#debug("dial", err));
    }
    await this.#outbox.flushAll();
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
      if (channel) this.#outbox.flushLater(toHex(channel.session.peer.meteorId));
    }, options);
    await this.libp2p.handle(ID_PROTOCOL, (stream) => this.#peers.serve(stream), options);
    this.libp2p.addEventListener("peer:connect", (event) => {
      this.#deps.events.emit("peer:connect", this.#peers.detail(event.detail));
      this.#peers.lookup(event.detail).catch((err) => this.#debug("identity lookup", err));
    });
    this.libp2p.addEventListener("peer:disconnect", (event) => {
      this.#deps.events.emit("peer:disconnect", this.#peers.detail(event.detail));
    });
    this.#deps.events.on("contact:add", (detail) => this.#peers.contactAdded(detail), {
      signal: this.#stopped.signal,
    });
    this.#timer = setInterval(() => {
      this.retry().catch((err) => this.#debug("retry", err));
    }, this.#deps.config.retryMs);
    for (const contact of this.#deps.store.contacts.list()) {
      if (contact.document) this.#peers.remember(contact.document).catch(() => {});
    }
    this.retry().catch((err) => this.#debug("retry", err));
  }

  /** §7: a record on a session goes to the inbox (a message) or the outbox (an ack). */
  #onData(session: Session, data: Uint8Array): void {
    const record = decodeRecord(data);
    if (record.type === "message") {
      receiveMessage(this.#inbox, session, record);
    } else {
      this.#outbox.acknowledged(session.peer.meteorId, record.id);
    }
  }

  #peerError(peer: PeerId, where: string, err: unknown): void {
    if (this.#stopped.signal.aborted) return;
    this.#counts.peerErrors++;
    const code = isMeteorError(err) ? err.code : "E_IO";
    this.#deps.logger.warn(`${where} with peer failed`, { peer: peer.toString(), code });
    // §8: a peer that breaks the protocol is disconnected; the node carries on.
    if (isMeteorError(err) && err.code !== "E_TIMEOUT" && err.code !== "E_UNREACHABLE") {
      this.libp2p.hangUp(peer).catch(() => {});
    }
  }

  #debug(what: string, err: unknown): void {
    if (this.#stopped.signal.aborted) return;
    this.#deps.logger.debug(`${what} failed`, { error: err });
  }
}
