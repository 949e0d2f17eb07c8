/**
 * A node's open Meteor sessions, by peer (docs/protocol.md §2, §3, §6):
 * accepts inbound session streams, opens at most one channel at a time to a
 * peer on demand, pumps each channel's frames and rekeys it when due.
 *
 * @module
 */
import type { Connection, PeerId, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import type { Libp2p } from "libp2p";
import { fromHex, toHex } from "../../core/bytes.ts";
import { addSessionStats, countRejected } from "./_counts.ts";
import {
  acceptChannel,
  type Channel,
  HANDSHAKE_TIMEOUT_MS,
  initiateChannel,
  pumpChannel,
  SESSION_PROTOCOL,
} from "./channel.ts";
import type { P2PConfig } from "./config.ts";
import type { LocalDocument } from "./local.ts";
import type { PeerDirectory } from "./peers.ts";
import type { FrameSealer, Session, SessionOptions, VerifyDocument } from "./session/mod.ts";

/** How long close() waits for each session stream to close, in ms. */
const STOP_CLOSE_MS = 2000;

/** What {@link Channels} uses. */
export interface ChannelsComponents {
  /** The libp2p host, to dial session streams. */
  libp2p: Libp2p;
  /** Verifies the peer's identity document in handshakes. */
  verify: VerifyDocument;
  /** This node's document for handshakes. */
  local: LocalDocument;
  /** Finds the PeerId to dial and learns the peers of new sessions. */
  peers: PeerDirectory;
  /** The rekey thresholds. */
  config: P2PConfig;
  /** Seals an outbox flush's frames in one batch call when it says so (the node's cipher). */
  sealer?: FrameSealer;
  /** The node's counters (handshakes, failures and closed sessions' figures). */
  counts: Record<string, number>;
  /** Aborted when the node stops. */
  signal: AbortSignal;
  /** Handles one decrypted application record; a throw ends the session. */
  onData(session: Session, data: Uint8Array): void;
  /** Reports (and acts on) a failure with a peer. */
  peerError(peer: PeerId, where: string, err: unknown): void;
  /** Logs a failure nobody awaits. */
  debug(what: string, err: unknown): void;
}

/**
 * The open channels of a node, by hex MeteorID.
 *
 * @example
 * ```ts ignore
 * const channels = new Channels({ libp2p, verify, local, peers, config, ... });
 * const channel = await channels.to(toHex(meteorId));
 * ```
 */
export class Channels {
  readonly #components: ChannelsComponents;
  /** Open channels by hex MeteorID. */
  readonly #peers = new Map<string, Set<Channel>>();
  /** Channels being opened, by hex MeteorID. */
  readonly #opening = new Map<string, Promise<Channel>>();

  /** No channel open yet. */
  constructor(components: ChannelsComponents) {
    this.#components = components;
  }

  /**
   * Answers an inbound session stream: the channel once the handshake
   * succeeds, or undefined when it failed (counted and reported).
   */
  async accept(stream: Stream, connection: Connection): Promise<Channel | undefined> {
    const { verify, local, peerError } = this.#components;
    let channel: Channel;
    try {
      channel = await acceptChannel(stream, {
        local: await local.current(),
        verify,
        remotePeerId: connection.remotePeer.toString(),
        session: this.#sessionOptions(),
      });
    } catch (err) {
      this.#handshakeFailed(err);
      peerError(connection.remotePeer, "inbound handshake", err);
      return undefined;
    }
    this.#register(channel);
    return channel;
  }

  /** An open channel to `hex`, opening one when there is none. */
  to(hex: string): Promise<Channel> {
    for (const channel of this.#peers.get(hex) ?? []) {
      if (!channel.session.closed) return Promise.resolve(channel);
    }
    let opening = this.#opening.get(hex);
    if (!opening) {
      opening = this.#open(hex).finally(() => this.#opening.delete(hex));
      this.#opening.set(hex, opening);
    }
    return opening;
  }

  /** How many channels to `hex` are open. */
  sessions(hex: string): number {
    return this.#peers.get(hex)?.size ?? 0;
  }

  /** Adds the open sessions' figures to `counts`; returns how many are open. */
  addStats(counts: Record<string, number>): number {
    let sessions = 0;
    for (const channels of this.#peers.values()) {
      for (const channel of channels) {
        sessions++;
        addSessionStats(counts, channel.session.stats);
      }
    }
    return sessions;
  }

  /** Starts a rekey of every open channel that is due one (§6). */
  rekeyDue(): void {
    for (const channels of this.#peers.values()) {
      for (const channel of channels) this.maybeRekey(channel);
    }
  }

  /** Starts a rekey of `channel` when it is due one (§6). */
  maybeRekey(channel: Channel): void {
    if (channel.session.rekeyDue()) {
      channel.session.rekey().catch((err) => this.#components.debug("rekey", err));
    }
  }

  /** Closes every session and its stream, all at once, each within {@link STOP_CLOSE_MS}. */
  async close(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const channels of this.#peers.values()) {
      for (const channel of channels) {
        channel.session.close();
        closing.push(
          channel.framed.stream.close({ signal: AbortSignal.timeout(STOP_CLOSE_MS) })
            .catch(() => channel.framed.stream.abort(new Error("node stopping"))),
        );
      }
    }
    this.#peers.clear();
    await Promise.all(closing);
  }

  /** §3.5, §10: a failed handshake counts as one, and under its code. */
  #handshakeFailed(err: unknown): void {
    const { counts } = this.#components;
    counts.handshakeFailures++;
    countRejected(counts, err, "rejected.");
  }

  #sessionOptions(): SessionOptions {
    return {
      rekeyAfterMessages: this.#components.config.rekeyAfterMessages,
      rekeyAfterMs: this.#components.config.rekeyAfterMs,
      sealer: this.#components.sealer,
    };
  }

  async #open(hex: string): Promise<Channel> {
    const { libp2p, verify, local, peers, peerError } = this.#components;
    const meteorId = fromHex(hex);
    const peerId = await peers.find(hex);
    const stream = await libp2p.dialProtocol(peerId, SESSION_PROTOCOL, {
      signal: AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS),
    });
    let channel: Channel;
    try {
      channel = await initiateChannel(stream, {
        local: await local.current(),
        verify,
        remotePeerId: peerId.toString(),
        expectedId: meteorId,
        session: this.#sessionOptions(),
      });
    } catch (err) {
      this.#handshakeFailed(err);
      peerError(peerId, "outbound handshake", err);
      throw err;
    }
    this.#register(channel);
    return channel;
  }

  #register(channel: Channel): void {
    const { peers, counts, signal, onData, peerError } = this.#components;
    counts.handshakes++;
    const { session } = channel;
    const hex = toHex(session.peer.meteorId);
    peers.learn(session.peer.peerId, hex);
    let entry = this.#peers.get(hex);
    if (!entry) {
      entry = new Set();
      this.#peers.set(hex, entry);
    }
    entry.add(channel);
    const done = () => {
      if (entry.delete(channel)) addSessionStats(counts, session.stats);
      if (entry.size === 0 && this.#peers.get(hex) === entry) this.#peers.delete(hex);
    };
    pumpChannel(channel, (data) => {
      onData(session, data);
      this.maybeRekey(channel);
    })
      .then(done, (err) => {
        done();
        if (!signal.aborted) {
          peerError(peerIdFromString(session.peer.peerId), "session", err);
        }
      });
  }
}
