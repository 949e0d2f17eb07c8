/**
 * The p2p node: a js-libp2p 3 host (TCP, WebSockets, Noise, Yamux, identify,
 * ping) with the seed-derived Ed25519 key, Meteor sessions to peers, the
 * identity lookup, and durable direct messaging through the store's outbox
 * and inbox (docs/protocol.md §7, §8).
 *
 * @module
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import type { Connection, PeerId, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { webSockets } from "@libp2p/websockets";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p, type Libp2p } from "libp2p";
import { constantTimeEqual, fromHex, toHex, utf8 } from "../../core/bytes.ts";
import { type ErrorCode, isMeteorError, MeteorError } from "../../core/errors.ts";
import type { EventBus, PeerEventDetail } from "../../core/events.ts";
import {
  formatMeteorId,
  libp2pPrivateKey,
  looksLikeMeteorId,
  type NodeKeys,
  parseMeteorId,
} from "../../core/identity/mod.ts";
import type { Logger } from "../../core/logger.ts";
import type { NodeStore } from "../../core/store/mod.ts";
import { FramedStream } from "./_framing.ts";
import { decodeRecord, encodeRecord, MAX_TEXT_BYTES } from "./_records.ts";
import {
  acceptChannel,
  type Channel,
  HANDSHAKE_TIMEOUT_MS,
  ID_PROTOCOL,
  initiateChannel,
  pumpChannel,
  SESSION_PROTOCOL,
} from "./channel.ts";
import type { P2PConfig } from "./config.ts";
import {
  documentVerifier,
  type LocalIdentity,
  localIdentity,
  type PeerIdentity,
  type SessionStats,
} from "./session/mod.ts";

/** The plugin name under which counters are stored. */
const PLUGIN = "p2p";
/** Identity documents carry at most this many addresses (docs/identity.md). */
const MAX_DOC_ADDRESSES = 16;
/** How often the node re-signs its identity document, in ms. */
const DOCUMENT_REFRESH_MS = 24 * 60 * 60 * 1000;
/** How long stop() waits for each session stream to close, in ms. */
const STOP_CLOSE_MS = 2000;
/** Pending outbox entries sent per flush. */
const FLUSH_BATCH = 100;

/** A connected peer, as GET /v1/peers shows it. */
export interface PeerInfo {
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

/**
 * Why messages to a peer are still waiting (GET /v1/outbox, `meteor send
 * --wait`): the stable code of the last failed delivery attempt and a
 * sentence saying what would help.
 */
export interface WaitingReason {
  /** E_NO_ADDRESS, E_UNREACHABLE, E_TIMEOUT, E_HANDSHAKE, ... */
  code: ErrorCode;
  /** What happened and what would help, naming the contact. */
  message: string;
}

/** What {@link P2PNode.send} returns. */
export interface SendResult {
  /** The message id (outbox and the peer's inbox). */
  id: string;
  /** The recipient's MeteorID in text form. */
  to: string;
  /** "queued": stored in the outbox; delivery is acknowledged later. */
  status: "queued";
}

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

interface PeerChannels {
  channels: Set<Channel>;
  /** Outbox ids already sent on each channel, so a flush does not resend them. */
  sent: WeakMap<Channel, Set<string>>;
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
  #local: LocalIdentity;
  #localIssuedAt = Date.now();
  readonly #verify = documentVerifier();
  /** Open channels by hex MeteorID. */
  readonly #peers = new Map<string, PeerChannels>();
  /** Channels being opened, by hex MeteorID. */
  readonly #opening = new Map<string, Promise<Channel>>();
  /** Hex MeteorIDs learned for PeerIds (identity lookup, sessions). */
  readonly #meteorIds = new Map<string, string>();
  readonly #flushing = new Map<string, Promise<void>>();
  /** Why delivery to each hex MeteorID last failed; cleared when a channel opens. */
  readonly #waiting = new Map<string, WaitingReason>();
  readonly #counts: Record<string, number> = {
    handshakes: 0,
    handshakeFailures: 0,
    messagesIn: 0,
    messagesOut: 0,
    framesIn: 0,
    framesOut: 0,
    rekeys: 0,
    peerErrors: 0,
  };
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #stopped = new AbortController();

  private constructor(deps: P2PDeps, libp2p: Libp2p, local: LocalIdentity) {
    this.#deps = deps;
    this.libp2p = libp2p;
    this.#local = local;
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
      const local = await localIdentity(deps.keys, documentAddresses(libp2p));
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

  /**
   * This node for a handshake or lookup, its document re-signed once a day so
   * that it never reaches its expiry (docs/identity.md) while the node runs.
   */
  async #identity(): Promise<LocalIdentity> {
    if (Date.now() - this.#localIssuedAt >= DOCUMENT_REFRESH_MS) {
      this.#localIssuedAt = Date.now();
      this.#local = await localIdentity(this.#deps.keys, documentAddresses(this.libp2p));
    }
    return this.#local;
  }

  /** The connected peers. */
  peers(): PeerInfo[] {
    const byPeer = new Map<string, PeerInfo>();
    for (const connection of this.libp2p.getConnections()) {
      const peerId = connection.remotePeer.toString();
      let info = byPeer.get(peerId);
      if (!info) {
        const hex = this.#meteorIds.get(peerId);
        const id = hex === undefined ? undefined : fromHex(hex);
        info = {
          peerId,
          meteorId: id ? formatMeteorId(id) : null,
          contact: id ? this.#deps.store.contacts.byId(id)?.name ?? null : null,
          addresses: [],
          sessions: hex ? this.#peers.get(hex)?.channels.size ?? 0 : 0,
        };
        byPeer.set(peerId, info);
      }
      info.addresses.push(connection.remoteAddr.toString());
    }
    return [...byPeer.values()];
  }

  /** The node's figures for GET /v1/stats. */
  stats(): Record<string, number> {
    const counts = { ...this.#counts };
    let sessions = 0;
    for (const { channels } of this.#peers.values()) {
      for (const channel of channels) {
        sessions++;
        addSessionStats(counts, channel.session.stats);
      }
    }
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
    if (typeof to !== "string" || typeof text !== "string") {
      throw new MeteorError("E_MALFORMED", 'Cannot send message: "to" and "text" must be strings');
    }
    if (text === "") throw new MeteorError("E_MALFORMED", "Cannot send message: the text is empty");
    const recipient = this.#resolve(to);
    const body = utf8(text);
    if (body.length > MAX_TEXT_BYTES) {
      throw new MeteorError(
        "E_TOO_LARGE",
        `Cannot send message: text over ${MAX_TEXT_BYTES} bytes`,
      );
    }
    if (constantTimeEqual(recipient, this.#deps.keys.meteorId)) {
      throw new MeteorError("E_BAD_ID", "Cannot send message: that is this node's own MeteorID");
    }
    const queued = this.#deps.store.outbox.enqueue({ to: recipient, kind: "text", body });
    this.#flushLater(toHex(recipient));
    return { id: queued.id, to: formatMeteorId(recipient), status: "queued" };
  }

  /**
   * Why messages to `meteorId` are waiting, or null when no delivery attempt
   * has failed since the last channel to it opened.
   */
  waiting(meteorId: Uint8Array): WaitingReason | null {
    return this.#waiting.get(toHex(meteorId)) ?? null;
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
    const recipients = new Set(
      this.#deps.store.outbox.pending(undefined, 1000).map((m) => toHex(m.to)),
    );
    await Promise.all([...recipients].map((hex) => this.#flush(hex).catch(() => {})));
    for (const { channels } of this.#peers.values()) {
      for (const channel of channels) this.#maybeRekey(channel);
    }
  }

  /** Closes every session and stops libp2p. */
  async stop(): Promise<void> {
    this.#stopped.abort();
    clearInterval(this.#timer);
    for (const { channels } of this.#peers.values()) {
      for (const channel of channels) {
        channel.session.close();
        await channel.framed.stream.close({ signal: AbortSignal.timeout(STOP_CLOSE_MS) })
          .catch(() => {});
      }
    }
    this.#peers.clear();
    await this.libp2p.stop();
  }

  /** The detail of peer:connect and peer:disconnect: the PeerId and its MeteorID once known. */
  #peerDetail(peer: PeerId): PeerEventDetail {
    const peerId = peer.toString();
    const hex = this.#meteorIds.get(peerId);
    return { peerId, ...(hex ? { meteorId: formatMeteorId(fromHex(hex)) } : {}) };
  }

  async #listen(): Promise<void> {
    const options = { maxInboundStreams: 8 };
    await this.libp2p.handle(
      SESSION_PROTOCOL,
      (stream, connection) => this.#onSessionStream(stream, connection),
      options,
    );
    await this.libp2p.handle(ID_PROTOCOL, (stream) => this.#onIdStream(stream), options);
    this.libp2p.addEventListener("peer:connect", (event) => {
      this.#deps.events.emit("peer:connect", this.#peerDetail(event.detail));
      this.#lookup(event.detail).catch((err) => this.#debug("identity lookup", err));
    });
    this.libp2p.addEventListener("peer:disconnect", (event) => {
      this.#deps.events.emit("peer:disconnect", this.#peerDetail(event.detail));
    });
    this.#deps.events.on("contact:add", (detail) => this.#onContactAdded(detail), {
      signal: this.#stopped.signal,
    });
    this.#timer = setInterval(() => {
      this.retry().catch((err) => this.#debug("retry", err));
    }, this.#deps.config.retryMs);
    for (const contact of this.#deps.store.contacts.list()) {
      if (contact.document) this.#remember(contact.document).catch(() => {});
    }
    this.retry().catch((err) => this.#debug("retry", err));
  }

  /**
   * A new contact: learn its document's addresses, or fetch its document
   * from the peer when it is already connected under that MeteorID (§8).
   */
  #onContactAdded(detail: unknown): void {
    const text = (detail as { meteorId?: unknown } | null)?.meteorId;
    if (typeof text !== "string") return;
    const contact = this.#deps.store.contacts.byId(parseMeteorId(text));
    if (contact?.document) {
      this.#remember(contact.document).catch((err) => this.#debug("contact", err));
      return;
    }
    const hex = toHex(parseMeteorId(text));
    for (const [peerId, known] of this.#meteorIds) {
      if (known === hex) {
        this.#lookup(peerIdFromString(peerId)).catch((err) => this.#debug("contact", err));
      }
    }
  }

  /** Adds a stored contact document's addresses to the peer store. */
  async #remember(document: Uint8Array): Promise<PeerIdentity> {
    const peer = await this.#verify(document);
    const peerId = peerIdFromString(peer.peerId);
    const multiaddrs = peer.addresses.flatMap((a) => {
      try {
        return [multiaddr(a)];
      } catch {
        return [];
      }
    });
    await this.libp2p.peerStore.merge(peerId, { multiaddrs });
    this.#meteorIds.set(peer.peerId, toHex(peer.meteorId));
    return peer;
  }

  #resolve(to: string): Uint8Array {
    if (looksLikeMeteorId(to)) return parseMeteorId(to);
    const contact = this.#deps.store.contacts.get(to);
    if (!contact) throw new MeteorError("E_NOT_FOUND", `Cannot send message: no contact "${to}"`);
    return contact.meteorId;
  }

  /** §8 identity lookup: fetch, verify and record the peer's document. */
  async #lookup(peerId: PeerId): Promise<void> {
    const stream = await this.libp2p.dialProtocol(peerId, ID_PROTOCOL, {
      signal: AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS),
    });
    const framed = new FramedStream(stream);
    const document = await framed.read(AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS));
    await stream.close().catch(() => {});
    if (document === null) throw new MeteorError("E_MALFORMED", "Cannot look up peer: no document");
    const peer = await this.#verify(document);
    if (peer.peerId !== peerId.toString()) {
      throw new MeteorError("E_ID_MISMATCH", "Cannot look up peer: document of another PeerId");
    }
    const hex = toHex(peer.meteorId);
    this.#meteorIds.set(peer.peerId, hex);
    const contact = this.#deps.store.contacts.byId(peer.meteorId);
    if (contact && !sameBytes(contact.document, document)) {
      this.#deps.store.contacts.setDocument(peer.meteorId, document);
    }
    if (this.#deps.store.outbox.pending(peer.meteorId, 1).length > 0) await this.#flush(hex);
  }

  async #onIdStream(stream: Stream): Promise<void> {
    const framed = new FramedStream(stream);
    framed.write((await this.#identity()).document);
    await stream.close().catch(() => {});
  }

  async #onSessionStream(stream: Stream, connection: Connection): Promise<void> {
    let channel: Channel;
    try {
      channel = await acceptChannel(stream, {
        local: await this.#identity(),
        verify: this.#verify,
        remotePeerId: connection.remotePeer.toString(),
        session: this.#sessionOptions(),
      });
    } catch (err) {
      this.#counts.handshakeFailures++;
      this.#peerError(connection.remotePeer, "inbound handshake", err);
      return;
    }
    this.#register(channel);
    this.#flushLater(toHex(channel.session.peer.meteorId));
  }

  #sessionOptions() {
    return {
      rekeyAfterMessages: this.#deps.config.rekeyAfterMessages,
      rekeyAfterMs: this.#deps.config.rekeyAfterMs,
    };
  }

  /** An open channel to `hex`, opening one when there is none. */
  #channelTo(hex: string): Promise<Channel> {
    const open = this.#peers.get(hex);
    for (const channel of open?.channels ?? []) {
      if (!channel.session.closed) return Promise.resolve(channel);
    }
    let opening = this.#opening.get(hex);
    if (!opening) {
      opening = this.#open(hex).finally(() => this.#opening.delete(hex));
      this.#opening.set(hex, opening);
    }
    return opening;
  }

  async #open(hex: string): Promise<Channel> {
    const meteorId = fromHex(hex);
    const peerId = await this.#findPeer(hex);
    const stream = await this.libp2p.dialProtocol(peerId, SESSION_PROTOCOL, {
      signal: AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS),
    });
    let channel: Channel;
    try {
      channel = await initiateChannel(stream, {
        local: await this.#identity(),
        verify: this.#verify,
        remotePeerId: peerId.toString(),
        expectedId: meteorId,
        session: this.#sessionOptions(),
      });
    } catch (err) {
      this.#counts.handshakeFailures++;
      this.#peerError(peerId, "outbound handshake", err);
      throw err;
    }
    this.#register(channel);
    return channel;
  }

  /**
   * The PeerId for a MeteorID (a peer we looked up, or a contact's document)
   * when we are connected to it or know an address to dial.
   *
   * @throws {MeteorError} E_NO_ADDRESS otherwise: a contact known by ID only
   * is reached once it connects to us (§8) or its document is added
   */
  async #findPeer(hex: string): Promise<PeerId> {
    let peerId: PeerId | undefined;
    for (const [known, id] of this.#meteorIds) {
      if (id === hex) {
        peerId = peerIdFromString(known);
        break;
      }
    }
    const contact = this.#deps.store.contacts.byId(fromHex(hex));
    if (!peerId && contact?.document) {
      peerId = peerIdFromString((await this.#remember(contact.document)).peerId);
    }
    if (peerId && (this.libp2p.getConnections(peerId).length > 0 || await this.#dialable(peerId))) {
      return peerId;
    }
    throw new MeteorError(
      "E_NO_ADDRESS",
      `Cannot reach peer: no known address for ${this.#who(hex)}`,
    );
  }

  /** Whether the peer store holds an address for `peerId`. */
  async #dialable(peerId: PeerId): Promise<boolean> {
    const peer = await this.libp2p.peerStore.get(peerId).catch(() => undefined);
    return (peer?.addresses.length ?? 0) > 0;
  }

  /** A peer as messages name it: `"name" (meteor1...)`, or its MeteorID. */
  #who(hex: string): string {
    const id = fromHex(hex);
    const name = this.#deps.store.contacts.byId(id)?.name;
    return name === undefined ? formatMeteorId(id) : `"${name}" (${formatMeteorId(id)})`;
  }

  /** Records why messages to `hex` wait; a new reason is logged once, not at every retry. */
  #wait(hex: string, err: unknown): void {
    if (this.#stopped.signal.aborted) return;
    const reason = waitingReason(err, this.#who(hex));
    const before = this.#waiting.get(hex);
    this.#waiting.set(hex, reason);
    if (before?.code !== reason.code) {
      this.#deps.logger.info("messages waiting", { code: reason.code, reason: reason.message });
    }
  }

  #register(channel: Channel): void {
    this.#counts.handshakes++;
    const { session } = channel;
    const hex = toHex(session.peer.meteorId);
    this.#meteorIds.set(session.peer.peerId, hex);
    let entry = this.#peers.get(hex);
    if (!entry) {
      entry = { channels: new Set(), sent: new WeakMap() };
      this.#peers.set(hex, entry);
    }
    entry.channels.add(channel);
    entry.sent.set(channel, new Set());
    const done = () => {
      if (entry.channels.delete(channel)) addSessionStats(this.#counts, session.stats);
    };
    pumpChannel(channel, (data) => this.#onData(channel, data))
      .then(done, (err) => {
        done();
        if (!this.#stopped.signal.aborted) {
          this.#peerError(peerIdFromString(session.peer.peerId), "session", err);
        }
      });
  }

  /** §7: stores a message then acknowledges it; marks an acknowledged message delivered. */
  #onData(channel: Channel, data: Uint8Array): void {
    const { session } = channel;
    const record = decodeRecord(data);
    const { store, events } = this.#deps;
    if (record.type === "message") {
      const body = utf8(record.text);
      const seq = session.stats.framesIn - 1;
      const { added, message } = store.inbox.add({
        id: record.id,
        from: session.peer.meteorId,
        kind: "text",
        body,
        seq,
      });
      if (added) {
        this.#counts.messagesIn++;
        store.counters.add(PLUGIN, { messagesIn: 1, bytesIn: body.length });
        events.emit("message", {
          id: record.id,
          from: formatMeteorId(session.peer.meteorId),
          text: record.text,
          receivedAt: message.receivedAt,
          seq,
        });
      }
      session.send(encodeRecord({ type: "ack", id: record.id }));
    } else {
      const queued = store.outbox.get(record.id);
      if (queued && constantTimeEqual(queued.to, session.peer.meteorId)) {
        if (store.outbox.markDelivered(record.id)) {
          this.#counts.messagesOut++;
          store.counters.add(PLUGIN, { messagesOut: 1, bytesOut: queued.body.length });
          events.emit("p2p:delivered", { id: record.id, to: formatMeteorId(queued.to) });
        }
      }
    }
    this.#maybeRekey(channel);
  }

  #maybeRekey(channel: Channel): void {
    if (channel.session.rekeyDue()) {
      channel.session.rekey().catch((err) => this.#debug("rekey", err));
    }
  }

  #flushLater(hex: string): void {
    this.#flush(hex).catch((err) => this.#debug("delivery", err));
  }

  /** Sends every pending outbox entry for `hex` not yet sent on the current channel. */
  #flush(hex: string): Promise<void> {
    const running = this.#flushing.get(hex);
    if (running) return running.then(() => this.#flush(hex));
    const run = this.#deliver(hex).finally(() => this.#flushing.delete(hex));
    this.#flushing.set(hex, run);
    return run;
  }

  async #deliver(hex: string): Promise<void> {
    const { outbox } = this.#deps.store;
    const meteorId = fromHex(hex);
    if (outbox.pending(meteorId, 1).length === 0) return;
    let channel: Channel;
    try {
      channel = await this.#channelTo(hex);
    } catch (err) {
      this.#wait(hex, err);
      throw err;
    }
    this.#waiting.delete(hex);
    const sent = this.#peers.get(hex)?.sent.get(channel) ?? new Set<string>();
    for (const message of outbox.pending(meteorId, FLUSH_BATCH)) {
      if (sent.has(message.id) || channel.session.closed || this.#stopped.signal.aborted) continue;
      outbox.recordAttempt(message.id);
      const text = new TextDecoder().decode(message.body);
      channel.session.send(
        encodeRecord({ type: "message", id: message.id, sentAt: message.createdAt, text }),
      );
      sent.add(message.id);
      this.#maybeRekey(channel);
      await channel.framed.drained();
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

/** The {@link WaitingReason} for a failed attempt to open a channel to `who`. */
function waitingReason(err: unknown, who: string): WaitingReason {
  if (isMeteorError(err, "E_NO_ADDRESS")) {
    return {
      code: err.code,
      message: `no known address for ${who}: add its identity document ('meteor id' on ` +
        "their side) or a bootstrap address, or wait for it to connect",
    };
  }
  if (isMeteorError(err) && err.code !== "E_UNREACHABLE") {
    return { code: err.code, message: `cannot open a session with ${who}: ${err.message}` };
  }
  return {
    code: "E_UNREACHABLE",
    message: `cannot connect to ${who} at its known addresses (offline, or its addresses ` +
      "changed: add its new identity document); retrying",
  };
}

/** Node's errno names as a listen failure's reason. */
const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: "address in use",
  EADDRNOTAVAIL: "address not available on this machine",
  EACCES: "permission denied",
};

/**
 * libp2p reports listen failures as one multi-line message with stack
 * lines (UnsupportedListenAddressesError); this is its first failed address
 * and reason as one line, "Cannot listen on <addr>: address in use" (E_IO).
 * Other errors pass through.
 */
function listenError(err: unknown): unknown {
  if ((err as Error | null)?.name !== "UnsupportedListenAddressesError") return err;
  const failed = /^\s*(\/\S+): (.*)$/m.exec((err as Error).message);
  if (failed === null) {
    return new MeteorError("E_IO", "Cannot listen: a configured address failed", { cause: err });
  }
  const [, address, detail] = failed;
  const errno = Object.keys(LISTEN_REASONS).find((name) => detail.includes(name));
  const reason = errno === undefined ? detail.replace(/^\w*Error: /, "") : LISTEN_REASONS[errno];
  return new MeteorError("E_IO", `Cannot listen on ${address}: ${reason}`, { cause: err });
}

function sameBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  return a !== null && constantTimeEqual(a, b);
}

/** The listen addresses an identity document can carry (docs/identity.md bounds). */
function documentAddresses(libp2p: Libp2p): string[] {
  return libp2p.getMultiaddrs().map(String).filter((a) => a.length <= 256)
    .slice(0, MAX_DOC_ADDRESSES);
}

/** Adds a session's counters to the node's (GET /v1/stats). */
function addSessionStats(counts: Record<string, number>, stats: SessionStats): void {
  counts.framesIn += stats.framesIn;
  counts.framesOut += stats.framesOut;
  counts.rekeys += stats.rekeys;
  for (const [code, n] of Object.entries(stats.rejected)) {
    counts[`rejected.${code}`] = (counts[`rejected.${code}`] ?? 0) + n;
  }
}
