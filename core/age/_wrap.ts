/**
 * Sealing a file key in a stanza body with ChaCha20-Poly1305 and a zero
 * nonce, as the X25519 and scrypt recipient types do (age spec).
 *
 * @module
 */
import { isMeteorError, MeteorError } from "../errors.ts";
import { open, seal } from "../crypto/aead.ts";

/** A wrapped file key: 16 bytes and a 16-byte tag. */
export const WRAPPED_KEY_LENGTH = 32;
const ZERO_NONCE = new Uint8Array(12);

/** Seals the file key under a 32-byte wrap key. */
export function sealFileKey(key: Uint8Array, fileKey: Uint8Array): Uint8Array {
  return seal(key, ZERO_NONCE, fileKey);
}

/**
 * Throws MeteorError E_HEADER_INVALID unless the body is exactly 32 bytes:
 * checked before any decryption, against partitioning oracles (age spec).
 */
export function checkWrappedKey(body: Uint8Array, type: string): void {
  if (body.length !== WRAPPED_KEY_LENGTH) {
    throw new MeteorError("E_HEADER_INVALID", `Cannot unwrap ${type} stanza: body is not 32 bytes`);
  }
}

/** Opens a checked 32-byte body; null when the tag does not verify. */
export function openFileKey(key: Uint8Array, body: Uint8Array): Uint8Array | null {
  try {
    return open(key, ZERO_NONCE, body);
  } catch (err) {
    if (isMeteorError(err, "E_DECRYPT_FAILED")) return null;
    throw err;
  }
}
