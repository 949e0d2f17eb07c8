/**
 * ChaCha20-Poly1305 AEAD (RFC 8439 §2.8) on native node:crypto (loaded on first use). `seal`
 * returns ciphertext||tag; `open` authenticates before it returns anything and
 * fails with one error whatever went wrong.
 *
 * @module
 */
import { nodeCrypto } from "./_node_crypto.ts";
import { checkBytes, checkLength, concat, wipe } from "../bytes.ts";
import { MeteorError } from "../errors.ts";

/** ChaCha20-Poly1305 key length in bytes (RFC 8439 §2.8). */
export const AEAD_KEY_LENGTH = 32;
/** ChaCha20-Poly1305 nonce length in bytes (RFC 8439 §2.8). */
export const AEAD_NONCE_LENGTH = 12;
/** Poly1305 tag length in bytes (RFC 8439 §2.8). */
export const AEAD_TAG_LENGTH = 16;

const ALGORITHM = "chacha20-poly1305";
const EMPTY = new Uint8Array(0);

/**
 * Encrypts and authenticates `plaintext` (and authenticates `aad`) with a
 * 32-byte key and 12-byte nonce. Returns a new array: ciphertext || 16-byte tag.
 * A nonce must never be reused with the same key.
 *
 * @example
 * ```ts
 * import { open, seal } from "./aead.ts";
 * const key = crypto.getRandomValues(new Uint8Array(32));
 * const nonce = new Uint8Array(12);
 * const sealed = seal(key, nonce, new TextEncoder().encode("hi"));
 * new TextDecoder().decode(open(key, nonce, sealed)); // "hi"
 * ```
 */
export function seal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array = EMPTY,
): Uint8Array {
  // sealInto() checks every argument, in the order of the signature.
  const length = plaintext instanceof Uint8Array ? plaintext.length : 0;
  const out = new Uint8Array(length + AEAD_TAG_LENGTH);
  sealInto(out, key, nonce, plaintext, aad);
  return out;
}

/**
 * Seals like {@link seal}, writing ciphertext || tag into `out`, which must be
 * exactly 16 bytes longer than `plaintext`: a batch can place its results in
 * one buffer, and whoever joins them then needs no copy.
 *
 * @example
 * ```ts
 * import { seal, sealInto } from "./aead.ts";
 * const key = new Uint8Array(32);
 * const nonce = new Uint8Array(12);
 * const out = new Uint8Array(2 + 16);
 * sealInto(out, key, nonce, Uint8Array.of(1, 2));
 * out; // the same bytes as seal(key, nonce, Uint8Array.of(1, 2))
 * ```
 */
export function sealInto(
  out: Uint8Array,
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array = EMPTY,
): void {
  checkLength("key", key, AEAD_KEY_LENGTH);
  checkLength("nonce", nonce, AEAD_NONCE_LENGTH);
  checkBytes("plaintext", plaintext);
  checkBytes("aad", aad);
  checkLength("out", out, plaintext.length + AEAD_TAG_LENGTH);
  const cipher = nodeCrypto().createCipheriv(ALGORITHM, key, nonce, {
    authTagLength: AEAD_TAG_LENGTH,
  });
  if (aad.length > 0) cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const body = cipher.update(plaintext);
  out.set(body, 0);
  release(body);
  // A stream cipher emits nothing at final(); any bytes would precede the tag.
  const tail = cipher.final();
  out.set(tail, body.length);
  out.set(cipher.getAuthTag(), plaintext.length);
}

/**
 * Verifies and decrypts `sealed` (ciphertext || tag) made by {@link seal}.
 * Throws MeteorError `E_DECRYPT_FAILED` when the input is shorter than a tag,
 * was tampered with, or the key, nonce or aad differ; no plaintext is released
 * unless the tag verifies.
 *
 * @example
 * ```ts
 * import { open, seal } from "./aead.ts";
 * const key = new Uint8Array(32);
 * const nonce = new Uint8Array(12);
 * open(key, nonce, seal(key, nonce, new Uint8Array(0))).length; // 0
 * ```
 */
export function open(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array = EMPTY,
): Uint8Array {
  checkLength("key", key, AEAD_KEY_LENGTH);
  checkLength("nonce", nonce, AEAD_NONCE_LENGTH);
  checkBytes("sealed", sealed);
  checkBytes("aad", aad);
  if (sealed.length < AEAD_TAG_LENGTH) throw decryptFailed();
  const length = sealed.length - AEAD_TAG_LENGTH;
  const decipher = nodeCrypto().createDecipheriv(ALGORITHM, key, nonce, {
    authTagLength: AEAD_TAG_LENGTH,
  });
  decipher.setAuthTag(sealed.subarray(length));
  if (aad.length > 0) decipher.setAAD(aad, { plaintextLength: length });
  let body: Uint8Array | undefined;
  let tail: Uint8Array;
  try {
    body = decipher.update(sealed.subarray(0, length));
    // RFC 8439 §2.8: the tag is checked here; plaintext is released only if it matches.
    tail = decipher.final();
  } catch {
    wipe(body);
    throw decryptFailed();
  }
  // A stream cipher emits nothing at final(): the plaintext is `body`, handed over without a copy
  // when it owns its whole buffer (a pooled Buffer would share its buffer with other data).
  if (tail.length === 0 && body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) {
    return new Uint8Array(body.buffer);
  }
  const out = concat(body, tail);
  wipe(body, tail);
  return out;
}

/**
 * Verifies `sealed` (ciphertext || tag) like {@link open} and writes the
 * plaintext into `out`, which must be exactly 16 bytes shorter than `sealed`:
 * a batch can place its plaintexts in one buffer it reuses. Returns false,
 * with `out` untouched, when the tag does not verify (no plaintext is
 * released); misuse (lengths) throws as {@link open} does.
 *
 * @example
 * ```ts
 * import { openInto, seal } from "./aead.ts";
 * const key = new Uint8Array(32);
 * const nonce = new Uint8Array(12);
 * const out = new Uint8Array(2);
 * openInto(out, key, nonce, seal(key, nonce, Uint8Array.of(1, 2))); // true; out is [1, 2]
 * ```
 */
export function openInto(
  out: Uint8Array,
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array = EMPTY,
): boolean {
  checkLength("key", key, AEAD_KEY_LENGTH);
  checkLength("nonce", nonce, AEAD_NONCE_LENGTH);
  checkBytes("sealed", sealed);
  checkBytes("aad", aad);
  if (sealed.length < AEAD_TAG_LENGTH) return false;
  const length = sealed.length - AEAD_TAG_LENGTH;
  checkLength("out", out, length);
  const decipher = nodeCrypto().createDecipheriv(ALGORITHM, key, nonce, {
    authTagLength: AEAD_TAG_LENGTH,
  });
  decipher.setAuthTag(sealed.subarray(length));
  if (aad.length > 0) decipher.setAAD(aad, { plaintextLength: length });
  let body: Uint8Array | undefined;
  try {
    body = decipher.update(sealed.subarray(0, length));
    // RFC 8439 §2.8: the tag is checked here; `out` is written only if it matches.
    decipher.final();
  } catch {
    wipe(body);
    return false;
  }
  out.set(body);
  // The native fill: Buffer's own fill() is many times slower on 64 KiB chunks.
  Uint8Array.prototype.fill.call(body, 0);
  release(body);
  return true;
}

/**
 * Frees the Buffer that Deno's `Cipheriv.update()` allocated for its output
 * (one per call: Node's API has no output argument) once it was copied out,
 * by detaching its ArrayBuffer (`transfer(0)`, ES2024). Left to the garbage
 * collector, V8 lets about 64 MiB of them pile up before it collects, and
 * each new one is fresh memory the kernel must map in: freed at once, the
 * next call reuses the same warm memory (docs/benchmarks.md, "Files"). Only
 * a Buffer that owns its whole ArrayBuffer is freed (a pooled one shares it).
 */
function release(body: Uint8Array): void {
  const buffer = body.buffer;
  if (
    buffer instanceof ArrayBuffer && body.byteOffset === 0 &&
    body.byteLength === buffer.byteLength
  ) buffer.transfer(0);
}

function decryptFailed(): MeteorError {
  return new MeteorError("E_DECRYPT_FAILED", "Cannot open ciphertext: authentication failed");
}
