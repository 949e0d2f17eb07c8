/**
 * This node's identity document as handshakes and lookups present it
 * (docs/protocol.md §3, §8), re-signed once a day so that it never reaches
 * its expiry (docs/identity.md) while the node runs.
 *
 * @module
 */
import type { Libp2p } from "libp2p";
import type { NodeKeys } from "../../core/identity/mod.ts";
import { type LocalIdentity, localIdentity } from "./session/mod.ts";

/** Identity documents carry at most this many addresses (docs/identity.md). */
const MAX_DOC_ADDRESSES = 16;
/** How often the node re-signs its identity document, in ms. */
const DOCUMENT_REFRESH_MS = 24 * 60 * 60 * 1000;

/** The listen addresses an identity document can carry (docs/identity.md bounds). */
function documentAddresses(libp2p: Libp2p): string[] {
  return libp2p.getMultiaddrs().map(String).filter((a) => a.length <= 256)
    .slice(0, MAX_DOC_ADDRESSES);
}

/**
 * This node's signed identity document, naming the host's listen addresses.
 *
 * @example
 * ```ts ignore
 * const local = await LocalDocument.create(keys, libp2p);
 * const { document } = await local.current();
 * ```
 */
export class LocalDocument {
  readonly #keys: NodeKeys;
  readonly #libp2p: Libp2p;
  #local: LocalIdentity;
  #issuedAt = Date.now();

  private constructor(keys: NodeKeys, libp2p: Libp2p, local: LocalIdentity) {
    this.#keys = keys;
    this.#libp2p = libp2p;
    this.#local = local;
  }

  /** Signs a first document for the started host `libp2p`. */
  static async create(keys: NodeKeys, libp2p: Libp2p): Promise<LocalDocument> {
    return new LocalDocument(keys, libp2p, await localIdentity(keys, documentAddresses(libp2p)));
  }

  /** This node for a handshake or lookup, re-signed when a day has passed. */
  async current(): Promise<LocalIdentity> {
    if (Date.now() - this.#issuedAt >= DOCUMENT_REFRESH_MS) {
      this.#issuedAt = Date.now();
      this.#local = await localIdentity(this.#keys, documentAddresses(this.#libp2p));
    }
    return this.#local;
  }
}
