/**
 * The libp2p side of a Meteor identity: the PeerId of the node's Ed25519 key
 * (libp2p peer-ids spec: identity multihash of the protobuf public key,
 * base58btc "12D3KooW..."). The libp2p private key object is in
 * _libp2p_key.ts, which only the libp2p host's component needs.
 *
 * @module
 */
import { checkLength, concat } from "../bytes.ts";
import { base58Encode } from "./_base58.ts";
import { ED25519_PUBLIC_KEY_LENGTH } from "../crypto/sign.ts";

/**
 * What precedes the 32 key bytes in an Ed25519 PeerId (peer-ids spec): the
 * identity multihash header (code 0x00, length 36) and the protobuf
 * PublicKey header (field 1 KeyType = 1 Ed25519; field 2 Data, 32 bytes).
 * Written out here so that deriving a PeerId does not load @libp2p/crypto,
 * which only the node's libp2p host needs (the CLI's start-up time).
 */
const ED25519_PEER_ID_PREFIX = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20);

/**
 * The libp2p PeerId string of an Ed25519 public key.
 *
 * @example
 * ```ts
 * import { peerIdOf } from "./peer_id.ts";
 * import { ed25519PublicKey } from "../crypto/sign.ts";
 * peerIdOf(await ed25519PublicKey(new Uint8Array(32))).startsWith("12D3KooW"); // true
 * ```
 */
export function peerIdOf(ed25519PublicKey: Uint8Array): string {
  checkLength("ed25519 public key", ed25519PublicKey, ED25519_PUBLIC_KEY_LENGTH);
  return base58Encode(concat(ED25519_PEER_ID_PREFIX, ed25519PublicKey));
}
