/**
 * The identity directory (docs/protocol.md §8): which MeteorID each libp2p
 * PeerId belongs to, learnt from the identity lookup, from sessions and from
 * contacts' documents; the PeerId to dial for a MeteorID; and resolvers that
 * turn a MeteorID into a verified identity document (contacts and looked-up
 * peers built in, others such as the DHT added by plugins).
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
import { formatMeteorId, parseDocument, parseMeteorId } from "../../core/identity/mod.ts";
import type { PeerSummary } from "../../core/plugin.ts";
import type { Contacts } from "../../core/store/mod.ts";
import { BoundedMap } from "./_bounded.ts";
import { FramedStream } from "./_framing.ts";
import { HANDSHAKE_TIMEOUT_MS, ID_PROTOCOL } from "./channel.ts";
import type { LocalDocument } from "./local.ts";
import type { LocalIdentity, PeerIdentity, VerifyDocument } from "./session/mod.ts";

/** A connected peer, as GET /v1/peers shows it. */
export type PeerInfo = PeerSummary;

/** How many PeerId to MeteorID records the directory keeps (least recently learnt go first). */
export const MAX_KNOWN_PEERS = 4096;

/**
 * Finds the identity document of a MeteorID somewhere (a contact, the DHT):
 * resolves to the encoded document, unverified, or null when it has none.
 */
export interface IdentityResolver {
  /** Names the resolver in logs and results ("contacts", "peers", "dht"). */
  readonly name: string;
  /** The document of `meteorId`, or null. */
  resolve(meteorId: Uint8Array, options: { signal: AbortSignal }): Promise<Uint8Array | null>;
}

/** A verified identity and the resolver that found it. */
export interface Resolved {
  /** The verified peer. */
  peer: PeerIdentity;
  /** The resolver's name. */
  via: string;
}

/** What a {@link PeerDirectory} uses. */
export interface PeerDirectoryComponents {
  /** The libp2p host: connections, peer store, the lookup protocol. */
  libp2p: Libp2p;
  /** The node's contacts and their documents. */
  contacts: Contacts;
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
 * const peers = new PeerDirectory({ libp2p, contacts, verify, local, identified, debug });
 * const peerId = await peers.find(toHex(meteorId));
 * ```
 */
export class PeerDirectory {
  readonly #components: PeerDirectoryComponents;
  /** Hex MeteorIDs learned for PeerIds (identity lookup, sessions), bounded. */
  readonly #meteorIds = new BoundedMap<string, string>(MAX_KNOWN_PEERS);
  /** Verified documents fetched by lookup, by hex MeteorID, bounded. */
  readonly #documents = new BoundedMap<string, Uint8Array>(MAX_KNOWN_PEERS);
  readonly #resolvers: IdentityResolver[];

  /** A directory that knows no peer yet, resolving through contacts and looked-up peers. */
  constructor(components: PeerDirectoryComponents) {
    this.#components = components;
    this.#resolvers = [
      {
        name: "contacts",
        resolve: (id) => Promise.resolve(components.contacts.byId(id)?.document ?? null),
      },
      { name: "peers", resolve: (id) => Promise.resolve(this.#documents.get(toHex(id)) ?? null) },
    ];
  }

  /** This node for a handshake or lookup (its current signed document). */
  current(): Promise<LocalIdentity> {
    return this.#components.local.current();
  }

  /** Verifies an encoded identity document. */
  verify(document: Uint8Array): Promise<PeerIdentity> {
    return this.#components.verify(document);
  }

  /** Adds a resolver, consulted after the ones before it; returns what removes it. */
  addResolver(resolver: IdentityResolver): () => void {
    this.#resolvers.push(resolver);
    return () => {
      const at = this.#resolvers.indexOf(resolver);
      if (at !== -1) this.#resolvers.splice(at, 1);
    };
  }

  /**
   * The verified identity of `meteorId`: the first resolver, in order, whose
   * document verifies as that MeteorID's (one that does not is skipped).
   *
   * @throws {MeteorError} E_NOT_FOUND when none has it; E_TIMEOUT when `signal` fires first
   */
  async resolve(meteorId: Uint8Array, signal = AbortSignal.timeout(30_000)): Promise<Resolved> {
    for (const resolver of [...this.#resolvers]) {
      if (signal.aborted) break;
      const document = await resolver.resolve(meteorId, { signal }).catch((err) => {
        this.#components.debug(`resolver ${resolver.name}`, err);
        return null;
      });
      if (document === null) continue;
      try {
        const peer = await this.#components.verify(document);
        if (constantTimeEqual(peer.meteorId, meteorId)) return { peer, via: resolver.name };
      } catch (err) {
        this.#components.debug(`resolver ${resolver.name} document`, err);
      }
    }
    if (signal.aborted) {
      throw new MeteorError("E_TIMEOUT", `Cannot resolve ${formatMeteorId(meteorId)}: timed out`);
    }
    throw new MeteorError(
      "E_NOT_FOUND",
      `Cannot resolve ${formatMeteorId(meteorId)}: no resolver has its identity document`,
    );
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
          contact: id ? this.#components.contacts.byId(id)?.name ?? null : null,
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
    const { contacts, debug } = this.#components;
    const text = (detail as { meteorId?: unknown } | null)?.meteorId;
    if (typeof text !== "string") return;
    const contact = contacts.byId(parseMeteorId(text));
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
    const { libp2p, contacts, verify, identified } = this.#components;
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
    this.#documents.set(toHex(peer.meteorId), document);
    const contact = contacts.byId(peer.meteorId);
    if (contact && replaces(document, contact.document)) {
      contacts.setDocument(peer.meteorId, document);
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
    if (!peerId) {
      const found = await this.resolve(fromHex(hex)).catch(() => null);
      if (found) peerId = peerIdFromString((await this.remember(found.peer.document)).peerId);
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
    const name = this.#components.contacts.byId(id)?.name;
    return name === undefined ? formatMeteorId(id) : `"${name}" (${formatMeteorId(id)})`;
  }

  /** Whether the peer store holds an address for `peerId`. */
  async #dialable(peerId: PeerId): Promise<boolean> {
    const peer = await this.#components.libp2p.peerStore.get(peerId).catch(() => undefined);
    return (peer?.addresses.length ?? 0) > 0;
  }
}

/**
 * §8: a fetched document (verified, of the same MeteorID) replaces the
 * stored one only when its sequence number is higher; a stored document that
 * no longer parses is replaced.
 */
function replaces(fetched: Uint8Array, stored: Uint8Array | null): boolean {
  if (stored === null) return true;
  let storedSequence: number;
  try {
    storedSequence = parseDocument(stored).sequence;
  } catch {
    return true;
  }
  return parseDocument(fetched).sequence > storedSequence;
}
