/**
 * The STREAM chunking of the age payload (age spec, "Payload"): chunk sizes
 * and the chunk nonce. Kept apart from stream.ts so the payload workers
 * (_stream_worker.ts) load only this and the AEAD.
 *
 * @module
 */
import { AEAD_TAG_LENGTH } from "../crypto/aead.ts";

/** Plaintext bytes per chunk (age spec: 64 KiB). */
export const CHUNK_SIZE = 64 * 1024;
/** Ciphertext bytes per full chunk. */
export const SEALED_CHUNK_SIZE: number = CHUNK_SIZE + AEAD_TAG_LENGTH;
/** The 12-byte chunk nonce: 11-byte big-endian counter, then 0x01 for the final chunk. */
export function chunkNonce(counter: number, last: boolean): Uint8Array {
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw new RangeError(`counter must be a non-negative safe integer, got ${counter}`);
  }
  const nonce = new Uint8Array(12);
  let c = counter;
  for (let i = 10; i >= 0 && c > 0; i--) {
    nonce[i] = c % 256;
    c = Math.floor(c / 256);
  }
  nonce[11] = last ? 1 : 0;
  return nonce;
}
