/**
 * Everything a node needs, from one 32-byte seed (docs/identity.md §2): three
 * 32-byte key seeds by HKDF-SHA-256 (RFC 5869) with distinct labels, their
 * public keys, the libp2p PeerId and the MeteorID. The same seed gives the
 * same keys and IDs on any machine.
 *
 * @module
 */
import { checkLength, utf8, wipe } from "../bytes.ts";
import { hkdfSha256 } from "../crypto/hash.ts";
import { ed25519PublicKey, mldsa65PublicKey } from "../crypto/sign.ts";
import { xwingPublicKey } from "../crypto/xwing.ts";
import { meteorIdOf, type PublicKeyBundle } from "./meteor_id.ts";
import { peerIdOf } from "./peer_id.ts";

/** Length of the node seed, the whole identity. */
export const SEED_LENGTH = 32;

/**
 * The HKDF `info` labels, one per key. Changing one changes every ID: they are
 * part of the format (docs/identity.md §2).
 */
export const DERIVATION_LABELS = {
  ed25519: "meteor/v1/ed25519",
  xwing: "meteor/v1/xwing",
  mldsa65: "meteor/v1/ml-dsa-65",
} as const;

/**
 * The secret key seeds derived from the node seed, 32 bytes each. This is the
 * only secret material in {@link NodeKeys}: wipe it with {@link wipeNodeKeys}.
 * Its `ed25519` and `mldsa65` fields make it a `SigningSeeds` for
 * `hybridSign` (core/crypto/sign.ts); `xwing` is the X-Wing decapsulation key.
 */
export interface NodeSeeds {
  /** Ed25519 private key seed (RFC 8032), also the libp2p key. */
  ed25519: Uint8Array;
  /** X-Wing private key seed (draft-connolly-cfrg-xwing-kem §5.2). */
  xwing: Uint8Array;
  /** ML-DSA-65 key generation seed ξ (FIPS 204 Algorithm 6). */
  mldsa65: Uint8Array;
}

/** A node's keys and identifiers, derived from its seed by {@link deriveKeys}. */
export interface NodeKeys {
  /** Secret: the three key seeds. Wipe with {@link wipeNodeKeys} when done. */
  seeds: NodeSeeds;
  /** The public keys (the bundle the MeteorID hashes). */
  publicKeys: PublicKeyBundle;
  /** The libp2p PeerId of the Ed25519 key ("12D3KooW..."). */
  peerId: string;
  /** The 32-byte MeteorID: SHA3-256 of the canonical public key bundle. */
  meteorId: Uint8Array;
}

/** An empty HKDF salt: the seed is already uniformly random (RFC 5869 §3.1). */
const NO_SALT = new Uint8Array(0);

/**
 * The three key seeds of a node seed: HKDF-SHA-256(ikm = seed, salt = empty,
 * info = label, L = 32) for each label of {@link DERIVATION_LABELS}.
 * Independent labels give independent keys. The caller owns (and wipes) both
 * the input and the result.
 */
export function deriveSeeds(seed: Uint8Array): NodeSeeds {
  checkLength("seed", seed, SEED_LENGTH);
  const derive = (label: string) => hkdfSha256(seed, NO_SALT, utf8(label), 32);
  return {
    ed25519: derive(DERIVATION_LABELS.ed25519),
    xwing: derive(DERIVATION_LABELS.xwing),
    mldsa65: derive(DERIVATION_LABELS.mldsa65),
  };
}

/**
 * Derives every key and identifier of a node from its 32-byte seed. The
 * seed is not kept (the caller wipes it); the result holds only the derived
 * seeds as secrets.
 *
 * @example
 * ```ts
 * import { deriveKeys, formatMeteorId, wipeNodeKeys } from "./mod.ts";
 * const keys = await deriveKeys(crypto.getRandomValues(new Uint8Array(32)));
 * try {
 *   console.log(formatMeteorId(keys.meteorId), keys.peerId);
 * } finally {
 *   wipeNodeKeys(keys);
 * }
 * ```
 */
export async function deriveKeys(seed: Uint8Array): Promise<NodeKeys> {
  const seeds = deriveSeeds(seed);
  try {
    const [ed25519, xwing, mldsa65] = await Promise.all([
      ed25519PublicKey(seeds.ed25519),
      xwingPublicKey(seeds.xwing),
      mldsa65PublicKey(seeds.mldsa65),
    ]);
    const publicKeys = { ed25519, xwing, mldsa65 };
    return { seeds, publicKeys, peerId: peerIdOf(ed25519), meteorId: meteorIdOf(publicKeys) };
  } catch (err) {
    wipe(seeds.ed25519, seeds.xwing, seeds.mldsa65);
    throw err;
  }
}

/** Overwrites the secret seeds in `keys` with zeros; the public parts stay usable. */
export function wipeNodeKeys(keys: NodeKeys): void {
  wipe(keys.seeds.ed25519, keys.seeds.xwing, keys.seeds.mldsa65);
}
