/**
 * The libp2p side of a Meteor identity: the PeerId of the node's Ed25519 key
 * (libp2p peer-ids spec: identity multihash of the protobuf public key,
 * base58btc "12D3KooW...") and the libp2p private key object.
 *
 * @module
 */
import { generateKeyPairFromSeed, publicKeyFromRaw } from "@libp2p/crypto/keys";
import { peerIdFromPublicKey } from "@libp2p/peer-id";
import type { Ed25519PrivateKey } from "@libp2p/interface";
import { checkLength } from "../bytes.ts";
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SEED_LENGTH } from "../crypto/sign.ts";

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
  return peerIdFromPublicKey(publicKeyFromRaw(ed25519PublicKey)).toString();
}

/**
 * The libp2p private key for a node's Ed25519 seed (`NodeKeys.seeds.ed25519`),
 * to pass as libp2p's `privateKey` option. libp2p keeps its own copy of the
 * key, which cannot be wiped: create it once per node.
 */
export async function libp2pPrivateKey(ed25519Seed: Uint8Array): Promise<Ed25519PrivateKey> {
  checkLength("ed25519 seed", ed25519Seed, ED25519_SEED_LENGTH);
  return await generateKeyPairFromSeed("Ed25519", ed25519Seed.slice());
}
