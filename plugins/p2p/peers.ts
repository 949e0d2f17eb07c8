/**
 * Peer identity records (docs/protocol.md §8): which MeteorID each libp2p
 * PeerId belongs to, learnt from the identity lookup, from sessions and from
 * contacts' documents, and the PeerId to dial for a MeteorID.
 *
 * @module
 */
import type { PeerId, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import type { Libp2p } from "libp2p";
import { constantTimeEqual, fromHex, toHex } from "../../core/bytes.ts";
import { MeteorError } from "../../core/errors.ts";
import type { PeerEventDetail } from "../../core/events.ts";
import { formatMeteorId, parseMeteorId } from "../../core/identity/mod.ts";
import type { NodeStore } from "../../core/store/mod.ts";
import { FramedStream } from "./_framing.ts";
import { HANDSHAKE_TIMEOUT_MS, ID_PROTOCOL } from "./channel.ts";
import type { LocalDocument } from "./local.ts";
import type { PeerIdentity, VerifyDocument } from "./session/mod.ts";

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

/** What a {@link PeerDirectory} uses. */
export interface PeerDirectoryComponents {
  /** The libp2p host: connections, peer store, the lookup protocol. */
  libp2p: Libp2p;
  /** Node state: contacts and their documents. */
  store: NodeStore;
  /** Verifies identity documents. */
  verify: VerifyDocument;
  /** This node's document, served to lookups. */
  local: LocalDocument;
  /** Awaited once a lookup has identified a peer (to deliver what waits for it). */
  identified(meteorId: Uint8Array): Promise<void>;
  /** Logs a failure nobody awaits. */
  debug(what: string, err: unknown): void;
}

/**
 * The MeteorIDs of libp2p peers and the PeerIds to reach MeteorIDs at.
 *
 * @example
 * ```ts ignore
 * const peers = new PeerDirectory({ libp2p, store, verify, local, identified, debug });
 * const peerId = await peers.find(toHex(meteorId));
 * ```
 */
export class PeerDirectory {
  readonly #components: PeerDirectoryComponents;
  /** Hex MeteorIDs learned for PeerIds (identity lookup, sessions). */
  readonly #meteorIds = new Map<string, string>();

  /** A directory that knows no peer yet. */
  constructor(components: PeerDirectoryComponents) {
    this.#components = components;
  }

  /** Records that `peerId` belongs to the hex MeteorID `hex` (an open session). */
  learn(peerId: string, hex: string): void {
    this.#meteorIds.set(peerId, hex);
  }

  /** The connected peers; `sessions(hex)` counts the open sessions with a MeteorID. */
  connected(sessions: (hex: string) => number): PeerInfo[] {
    const byPeer = new Map<string, PeerInfo>();
    for (const connection of this.#components.libp2p.getConnections()) {
      const peerId = connection.remotePeer.toString();
      let info = byPeer.get(peerId);
      if (!info) {
        const hex = this.#meteorIds.get(peerId);
        const id = hex === undefined ? undefined : fromHex(hex);
        info = {
          peerId,
          meteorId: id ? formatMeteorId(id) : null,
          contact: id ? this.#components.store.contacts.byId(id)?.name ?? null : null,
          addresses: [],
          sessions: hex ? sessions(hex) : 0,
        };
        byPeer.set(peerId, info);
      }
      info.addresses.push(connection.remoteAddr.toString());
    }
    return [...byPeer.values()];
  }

  /** The detail of peer:connect and peer:disconnect: the PeerId and its MeteorID once known. */
  detail(peer: PeerId): PeerEventDetail {
    const peerId = peer.toString();
    const hex = this.#meteorIds.get(peerId);
    return { peerId, ...(hex ? { meteorId: formatMeteorId(fromHex(hex)) } : {}) };
  }

  /**
   * A new contact (the contact:add detail): learn its document's addresses,
   * or fetch its document from the peer when it is already connected under
   * that MeteorID (§8).
   */
  contactAdded(detail: unknown): void {
    const { store, debug } = this.#components;
    const text = (detail as { meteorId?: unknown } | null)?.meteorId;
    if (typeof text !== "string") return;
    const contact = store.contacts.byId(parseMeteorId(text));
    if (contact?.document) {
      this.remember(contact.document).catch((err) => debug("contact", err));
      return;
    }
    const hex = toHex(parseMeteorId(text));
    for (const [peerId, known] of this.#meteorIds) {
      if (known === hex) {
        this.lookup(peerIdFromString(peerId)).catch((err) => debug("contact", err));
      }
    }
  }

  /** Adds a stored contact document's addresses to the peer store. */
  async remember(document: Uint8Array): Promise<PeerIdentity> {
    const peer = await this.#components.verify(document);
    const peerId = peerIdFromString(peer.peerId);
    const multiaddrs = peer.addresses.flatMap((a) => {
      try {
        return [multiaddr(a)];
      } catch {
        return [];
      }
    });
    await this.#components.libp2p.peerStore.merge(peerId, { multiaddrs });
    this.#meteorIds.set(peer.peerId, toHex(peer.meteorId));
    return peer;
  }

  /** §8 identity lookup: fetch, verify and record the peer's document. */
  async lookup(peerId: PeerId): Promise<void> {
    const { libp2p, store, verify, identified } = this.#components;
    const stream = await libp2p.dialProtocol(peerId, ID_PROTOCOL, {
      signal: AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS),
    });
    const framed = new FramedStream(stream);
    const document = await framed.read(AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS));
    await stream.close().catch(() => {});
    if (document === null) throw new MeteorError("E_MALFORMED", "Cannot look up peer: no document");
    const peer = await verify(document);
    if (peer.peerId !== peerId.toString()) {
      throw new MeteorError("E_ID_MISMATCH", "Cannot look up peer: document of another PeerId");
    }
    this.#meteorIds.set(peer.peerId, toHex(peer.meteorId));
    const contact = store.contacts.byId(peer.meteorId);
    if (contact && !sameBytes(contact.document, document)) {
      store.contacts.setDocument(peer.meteorId, document);
    }
    await identified(peer.meteorId);
  }

  /** §8: answers an identity lookup stream with this node's document. */
  async serve(stream: Stream): Promise<void> {
    const framed = new FramedStream(stream);
    framed.write((await this.#components.local.current()).document);
    await stream.close().catch(() => {});
  }

  /**
   * The PeerId for a hex MeteorID (a peer we looked up, or a contact's
   * document) when we are connected to it or know an address to dial.
   *
   * @throws {MeteorError} E_NO_ADDRESS otherwise: a contact known by ID only
   * is reached once it connects to us (§8) or its document is added
   */
  async find(hex: string): Promise<PeerId> {
    let peerId: PeerId | undefined;
    for (const [known, id] of this.#meteorIds) {
      if (id === hex) {
        peerId = peerIdFromString(known);
        break;
      }
    }
    const contact = this.#components.store.contacts.byId(fromHex(hex));
    if (!peerId && contact?.document) {
      peerId = peerIdFromString((await this.remember(contact.document)).peerId);
    }
    if (
      peerId &&
      (this.#components.libp2p.getConnections(peerId).length > 0 || await this.#dialable(peerId))
    ) {
      return peerId;
    }
    throw new MeteorError(
      "E_NO_ADDRESS",
      `Cannot reach peer: no known address for ${this.who(hex)}`,
    );
  }

  /** A peer as messages name it: `"name" (meteor1...)`, or its MeteorID. */
  who(hex: string): string {
    const id = fromHex(hex);
    const name = this.#components.store.contacts.byId(id)?.name;
    return name === undefined ? formatMeteorId(id) : `"${name}" (${formatMeteorId(id)})`;
  }

  /** Whether the peer store holds an address for `peerId`. */
  async #dialable(peerId: PeerId): Promise<boolean> {
    const peer = await this.#components.libp2p.peerStore.get(peerId).catch(() => undefined);
    return (peer?.addresses.length ?? 0) > 0;
  }
}

function sameBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  return a !== null && constantTimeEqual(a, b);
}
