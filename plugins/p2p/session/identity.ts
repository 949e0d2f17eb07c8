/**
 * Binds the handshake to Meteor identities (core/identity): the local
 * identity from a node's keys and document, and the verifier of a peer's
 * document (docs/protocol.md §3).
 *
 * @module
 */
import {
  createDocument,
  encodeDocument,
  type IdentityDocument,
  type NodeKeys,
  readDocument,
} from "../../../core/identity/mod.ts";
import { seedSigner } from "../../../core/crypto/sign.ts";
import type { LocalIdentity, PeerIdentity, VerifyDocument } from "./handshake.ts";

/** The peer a verified document describes. */
export function peerFromDocument(doc: IdentityDocument, encoded: Uint8Array): PeerIdentity {
  return {
    meteorId: doc.meteorId,
    signingKeys: { ed25519: doc.publicKeys.ed25519, mldsa65: doc.publicKeys.mldsa65 },
    peerId: doc.peerId,
    addresses: [...doc.addresses],
    document: encoded,
  };
}

/**
 * A {@link VerifyDocument} backed by core/identity `readDocument`: size-bounded
 * parsing, both signatures, the ID hash, the PeerId and the expiry.
 *
 * @example
 * ```ts
 * import { documentVerifier } from "./identity.ts";
 * const verify = documentVerifier();
 * // await verify(encodedDocument) resolves to the peer or throws a MeteorError
 * ```
 */
export function documentVerifier(now?: () => number): VerifyDocument {
  return async (document) => {
    const doc = await readDocument(document, { now: now?.() });
    return peerFromDocument(doc, document);
  };
}

/**
 * The handshake's view of this node: its MeteorID, a freshly signed document
 * carrying `addresses`, and a signer over its keys' seeds (shared, not copied).
 */
export async function localIdentity(
  keys: NodeKeys,
  addresses: string[] = [],
): Promise<LocalIdentity> {
  const document = encodeDocument(await createDocument(keys, { addresses }));
  return { meteorId: keys.meteorId, document, signer: seedSigner(keys.seeds) };
}
