/**
 * The node's Ed25519 key as a libp2p private key object, for the one place
 * that builds the libp2p host (the `hostKey` component). Kept out of the
 * identity module's public API, and out of the CLI's offline commands: it
 * is the only identity code that loads @libp2p/crypto.
 *
 * @module
 */
import { generateKeyPairFromSeed } from "@libp2p/crypto/keys";
import type { Ed25519PrivateKey } from "@libp2p/interface";
import { checkLength } from "../bytes.ts";
import { ED25519_SEED_LENGTH } from "../crypto/sign.ts";

/**
 * The libp2p private key for a node's Ed25519 seed (`NodeKeys.seeds.ed25519`),
 * to pass as libp2p's `privateKey` option. libp2p keeps its own copy of the
 * key, which cannot be wiped: create it once per node.
 */
export async function libp2pPrivateKey(ed25519Seed: Uint8Array): Promise<Ed25519PrivateKey> {
  checkLength("ed25519 seed", ed25519Seed, ED25519_SEED_LENGTH);
  return await generateKeyPairFromSeed("Ed25519", ed25519Seed.slice());
}
