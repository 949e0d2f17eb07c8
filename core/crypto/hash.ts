/**
 * Hash functions and key derivation on native node:crypto (loaded on first use): SHA-256,
 * SHA3-256 and SHAKE256 (FIPS 202), HMAC-SHA-256 (RFC 2104) and
 * HKDF-SHA-256 (RFC 5869). All synchronous, Uint8Array in and out; inputs are
 * never modified and outputs are fresh arrays.
 *
 * @module
 */
import { nodeCrypto } from "./_node_crypto.ts";
import { checkBytes } from "../bytes.ts";

/** SHA-256 output length in bytes. */
const HASH_LENGTH = 32;
/** HKDF-SHA-256 output is at most 255 hash lengths (RFC 5869 §2.3). */
const HKDF_MAX_LENGTH = 255 * HASH_LENGTH;

/**
 * A node Buffer as a plain Uint8Array that owns its memory, leaving no copy
 * behind: a Buffer that owns its whole ArrayBuffer (digest() gives one) is
 * taken over without a copy; any other is copied and wiped (a MAC or a
 * derived key must not stay in memory the caller cannot wipe).
 */
function own(buffer: Uint8Array): Uint8Array {
  if (buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength) {
    return new Uint8Array(buffer.buffer as ArrayBuffer);
  }
  const out = new Uint8Array(buffer);
  buffer.fill(0);
  return out;
}

/**
 * SHA-256 (FIPS 180-4) of `data`.
 *
 * @example
 * ```ts
 * import { sha256 } from "./hash.ts";
 * sha256(new TextEncoder().encode("abc")).length; // 32
 * ```
 */
export function sha256(data: Uint8Array): Uint8Array {
  checkBytes("data", data);
  return own(nodeCrypto().createHash("sha256").update(data).digest());
}

/**
 * SHA3-256 (FIPS 202) of `data`.
 *
 * @example
 * ```ts
 * import { sha3_256 } from "./hash.ts";
 * sha3_256(new Uint8Array(0)).length; // 32
 * ```
 */
export function sha3_256(data: Uint8Array): Uint8Array {
  checkBytes("data", data);
  return own(nodeCrypto().createHash("sha3-256").update(data).digest());
}

/**
 * SHAKE256 (FIPS 202) of `data`, `outLength` bytes long.
 *
 * @example
 * ```ts
 * import { shake256 } from "./hash.ts";
 * shake256(new Uint8Array(32), 96).length; // 96
 * ```
 */
export function shake256(data: Uint8Array, outLength: number): Uint8Array {
  checkBytes("data", data);
  if (!Number.isSafeInteger(outLength) || outLength < 0) {
    throw new RangeError(`outLength must be a non-negative integer, got ${outLength}`);
  }
  if (outLength === 0) return new Uint8Array(0);
  return own(
    nodeCrypto().createHash("shake256", { outputLength: outLength }).update(data).digest(),
  );
}

/**
 * HMAC-SHA-256 (RFC 2104) of `data` under `key`.
 *
 * @example
 * ```ts
 * import { hmacSha256 } from "./hash.ts";
 * hmacSha256(new Uint8Array(32), new Uint8Array(0)).length; // 32
 * ```
 */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkBytes("key", key);
  checkBytes("data", data);
  return own(nodeCrypto().createHmac("sha256", key).update(data).digest());
}

/**
 * HKDF-SHA-256 (RFC 5869): extract with `salt`, then expand `info` to
 * `length` bytes (at most 8160).
 *
 * @example
 * ```ts
 * import { hkdfSha256 } from "./hash.ts";
 * const utf8 = (s: string) => new TextEncoder().encode(s);
 * hkdfSha256(new Uint8Array(32), utf8("salt"), utf8("label"), 32).length; // 32
 * ```
 */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  checkBytes("ikm", ikm);
  checkBytes("salt", salt);
  checkBytes("info", info);
  checkHkdfLength(length);
  return new Uint8Array(nodeCrypto().hkdfSync("sha256", ikm, salt, info, length));
}

/**
 * HKDF-Extract with SHA-256 (RFC 5869 §2.2): the 32-byte PRK
 * HMAC-SHA-256(salt, ikm). An empty salt acts as 32 zero bytes, as the RFC says.
 *
 * @example
 * ```ts
 * import { hkdfExtractSha256 } from "./hash.ts";
 * hkdfExtractSha256(new Uint8Array(0), new Uint8Array(32)).length; // 32
 * ```
 */
export function hkdfExtractSha256(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  // HMAC pads its key with zeros (RFC 2104 §2), so "" and 32 zero bytes give the same PRK.
  return hmacSha256(salt, ikm);
}

/**
 * HKDF-Expand with SHA-256 (RFC 5869 §2.3): `length` bytes (1 to 8160) of
 * T(1) || T(2) || ... where T(i) = HMAC-SHA-256(prk, T(i-1) || info || i).
 *
 * @example
 * ```ts
 * import { hkdfExpandSha256 } from "./hash.ts";
 * hkdfExpandSha256(new Uint8Array(32), new Uint8Array(0), 12).length; // 12
 * ```
 */
export function hkdfExpandSha256(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  checkBytes("prk", prk);
  checkBytes("info", info);
  checkHkdfLength(length);
  if (prk.length < HASH_LENGTH) {
    throw new RangeError(`prk must be at least ${HASH_LENGTH} bytes, got ${prk.length}`);
  }
  const out = new Uint8Array(length);
  const counter = new Uint8Array(1);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 0; i * HASH_LENGTH < length; i++) {
    counter[0] = i + 1;
    const block = own(
      nodeCrypto().createHmac("sha256", prk).update(previous).update(info).update(counter).digest(),
    );
    out.set(block.subarray(0, Math.min(HASH_LENGTH, length - i * HASH_LENGTH)), i * HASH_LENGTH);
    previous.fill(0);
    previous = block;
  }
  previous.fill(0);
  return out;
}

function checkHkdfLength(length: number): void {
  if (!Number.isSafeInteger(length) || length < 1 || length > HKDF_MAX_LENGTH) {
    throw new RangeError(`length must be 1 to ${HKDF_MAX_LENGTH}, got ${length}`);
  }
}
