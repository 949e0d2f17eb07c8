/**
 * The session key schedule (docs/protocol.md §3.2, §3.4, §4, §6): every key
 * comes from HKDF-SHA-256 with a distinct "meteor ..." label.
 *
 * @module
 */
import { concat, utf8 } from "../../../core/bytes.ts";
import { hkdfSha256, sha256 } from "../../../core/crypto/hash.ts";

/** The protocol name hashed into the first HKDF salt (docs/protocol.md §3). */
export const PROTOCOL_NAME = "Meteor-Session-v1 X-Wing ML-DSA-65+Ed25519 ChaCha20-Poly1305 SHA-256";

const SALT0 = sha256(utf8(PROTOCOL_NAME));
const EMPTY = new Uint8Array(0);
/** §4's info, encoded once: the ratchet runs once per frame. */
const RATCHET_INFO = utf8("meteor ratchet");

/** §3.2: HS = HKDF(ss, SALT0, "meteor hs" || th2, 32). */
export function handshakeSecret(sharedSecret: Uint8Array, th2: Uint8Array): Uint8Array {
  return hkdfSha256(sharedSecret, SALT0, concat(utf8("meteor hs"), th2), 32);
}

/** §3.2: derive(label, context) = HKDF(secret, "", "meteor " || label || context, 32). */
export function derive(secret: Uint8Array, label: string, context: Uint8Array): Uint8Array {
  return hkdfSha256(secret, EMPTY, concat(utf8(`meteor ${label}`), context), 32);
}

/** The two chain keys of an epoch (§3.4, §6). */
export interface ChainKeys {
  /** Initiator to responder. */
  i2r: Uint8Array;
  /** Responder to initiator. */
  r2i: Uint8Array;
}

/** §3.4: ck_ir and ck_ri from a root key and ctx = id_i || id_r. */
export function chainKeys(root: Uint8Array, ctx: Uint8Array): ChainKeys {
  return { i2r: derive(root, "chain i2r", ctx), r2i: derive(root, "chain r2i", ctx) };
}

/** §6: root_{e+1} = HKDF(ss', root_e, "meteor rekey" || u32(e+1) || H(epk || ct'), 32). */
export function rekeyRoot(
  sharedSecret: Uint8Array,
  root: Uint8Array,
  nextEpoch: number,
  publicKey: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array {
  const epoch = new Uint8Array(4);
  new DataView(epoch.buffer).setUint32(0, nextEpoch);
  const info = concat(utf8("meteor rekey"), epoch, sha256(concat(publicKey, ciphertext)));
  return hkdfSha256(sharedSecret, root, info, 32);
}

/**
 * §4, the symmetric-key ratchet step (Double Ratchet §2.2 KDF_CK):
 * mk || ck' = HKDF(ck, "", "meteor ratchet", 64). Returns the two halves of
 * one fresh 64-byte array (no copy is left behind); the caller wipes both.
 */
export function ratchetStep(chainKey: Uint8Array): { messageKey: Uint8Array; next: Uint8Array } {
  const out = hkdfSha256(chainKey, EMPTY, RATCHET_INFO, 64);
  return { messageKey: out.subarray(0, 32), next: out.subarray(32) };
}
