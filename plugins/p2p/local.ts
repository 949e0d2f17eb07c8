/**
 * This node's identity document as handshakes and lookups present it
 * (docs/protocol.md §3, §8), re-signed once a day so that it never reaches
 * its expiry (docs/identity.md) while the node runs. It signs through the
 * node's capabilities: no key seed passes through here.
 *
 * @module
 */
import type { Libp2p } from "libp2p";
import type { HybridSigner } from "../../core/crypto/sign.ts";
import { encodeDocument } from "../../core/identity/mod.ts";
import type { DocumentSigner } from "../../core/plugin.ts";
import type { LocalIdentity } from "./session/mod.ts";

/** Identity documents carry at most this many addresses (docs/identity.md). */
const MAX_DOC_ADDRESSES = 16;
/** How often the node re-signs its identity document, in ms. */
const DOCUMENT_REFRESH_MS = 24 * 60 * 60 * 1000;

/** The listen addresses an identity document can carry (docs/identity.md bounds). */
function documentAddresses(libp2p: Libp2p): string[] {
  return libp2p.getMultiaddrs().map(String).filter((a) => a.length <= 256)
    .slice(0, MAX_DOC_ADDRESSES);
}

/** What a {@link LocalDocument} signs with. */
export interface LocalDocumentComponents {
  /** This node's MeteorID. */
  meteorId: Uint8Array;
  /** Signs the node's documents. */
  documents: DocumentSigner;
  /** Signs handshakes under the session labels. */
  signer: HybridSigner;
}

/**
 * This node's signed identity document, naming the host's listen addresses.
 *
 * @example
 * ```ts ignore
 * const local = await LocalDocument.create({ meteorId, documents, signer }, libp2p);
 * const { document } = await local.current();
 * ```
 */
export class LocalDocument {
  readonly #components: LocalDocumentComponents;
  readonly #libp2p: Libp2p;
  #local: LocalIdentity;
  #issuedAt = Date.now();

  private constructor(components: LocalDocumentComponents, libp2p: Libp2p, local: LocalIdentity) {
    this.#components = components;
    this.#libp2p = libp2p;
    this.#local = local;
  }

  /** Signs a first document for the started host `libp2p`. */
  static async create(components: LocalDocumentComponents, libp2p: Libp2p): Promise<LocalDocument> {
    return new LocalDocument(components, libp2p, await LocalDocument.#sign(components, libp2p));
  }

  static async #sign(components: LocalDocumentComponents, libp2p: Libp2p): Promise<LocalIdentity> {
    const { meteorId, documents, signer } = components;
    const document = encodeDocument(await documents.sign({ addresses: documentAddresses(libp2p) }));
    return { meteorId, document, signer };
  }

  /** This node for a handshake or lookup, re-signed when a day has passed. */
  async current(): Promise<LocalIdentity> {
    if (Date.now() - this.#issuedAt >= DOCUMENT_REFRESH_MS) {
      this.#issuedAt = Date.now();
      this.#local = await LocalDocument.#sign(this.#components, this.#libp2p);
    }
    return this.#local;
  }
}
