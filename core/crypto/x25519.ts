/**
 * X25519 (RFC 7748 §5) on Deno's native WebCrypto, for raw 32-byte scalars
 * and u-coordinates: the Diffie-Hellman function of age's X25519 recipients
 * and of X-Wing.
 *
 * @module
 */
import { checkLength } from "../bytes.ts";
import { pkcs8PrivateKey } from "./_pkcs8.ts";
import { subtle } from "./_webcrypto.ts";

/** X25519 scalar, u-coordinate and output length in bytes (RFC 7748 §5). */
export const X25519_LENGTH = 32;

const ALGORITHM = { name: "X25519" };
/** The base point u = 9 (RFC 7748 §4.1). */
const BASE_POINT = new Uint8Array(X25519_LENGTH);
BASE_POINT[0] = 9;

/**
 * X25519(scalar, u). Resolves to null when the result is all zero (u is of
 * low order, RFC 7748 §6.1): WebCrypto refuses that output, and so do callers.
 * Throws RangeError unless both are 32 bytes.
 *
 * @example
 * ```ts
 * import { x25519, x25519Base } from "./x25519.ts";
 * const a = crypto.getRandomValues(new Uint8Array(32));
 * const b = crypto.getRandomValues(new Uint8Array(32));
 * const ab = await x25519(a, await x25519Base(b));
 * const ba = await x25519(b, await x25519Base(a));
 * // ab and ba are the same 32-byte shared secret
 * ```
 */
export async function x25519(scalar: Uint8Array, u: Uint8Array): Promise<Uint8Array | null> {
  checkLength("scalar", scalar, X25519_LENGTH);
  checkLength("u", u, X25519_LENGTH);
  const pkcs8 = pkcs8PrivateKey("X25519", scalar);
  try {
    const [privateKey, publicKey] = await Promise.all([
      subtle.importKey("pkcs8", pkcs8, ALGORITHM, false, ["deriveBits"]),
      subtle.importKey("raw", u, ALGORITHM, false, []),
    ]);
    const bits = await subtle.deriveBits(
      { name: "X25519", public: publicKey },
      privateKey,
      256,
    ).catch((err) => {
      if (err instanceof DOMException && err.name === "OperationError") return null;
      throw err;
    });
    return bits === null ? null : new Uint8Array(bits);
  } finally {
    pkcs8.fill(0);
  }
}

/**
 * X25519(scalar, 9): the public key of a scalar (RFC 7748 §6.1).
 *
 * @example
 * ```ts
 * import { x25519Base } from "./x25519.ts";
 * const publicKey = await x25519Base(crypto.getRandomValues(new Uint8Array(32)));
 * publicKey.length; // 32
 * ```
 */
export async function x25519Base(scalar: Uint8Array): Promise<Uint8Array> {
  const pub = await x25519(scalar, BASE_POINT);
  // The base point has prime order, so a clamped scalar never yields zero.
  if (pub === null) throw new Error("unreachable: X25519 of the base point was zero");
  return pub;
}
