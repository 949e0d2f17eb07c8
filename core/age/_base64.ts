/**
 * The base64 of the age header (age spec, "Conventions"): RFC 4648 §4
 * alphabet without `=` padding. Encoders produce canonical base64 (RFC 4648
 * §3.5); decoders reject padding, other characters and non-canonical
 * trailing bits.
 *
 * @module
 */
import { fromBase64, toBase64 } from "../bytes.ts";

const BASE64_CHARS = /^[A-Za-z0-9+/]*$/;

/** Encodes bytes as unpadded canonical base64. */
export function encodeBase64NoPad(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/=+$/, "");
}

/** Decodes unpadded canonical base64; null when `text` is not exactly that. */
export function decodeBase64NoPad(text: string): Uint8Array | null {
  if (!BASE64_CHARS.test(text) || text.length % 4 === 1) return null;
  const bytes = fromBase64(text + "=".repeat((4 - (text.length % 4)) % 4));
  // Canonical: re-encoding gives the same text, so unused trailing bits are zero.
  return encodeBase64NoPad(bytes) === text ? bytes : null;
}

/** Decodes canonical padded base64 (the ASCII armor, RFC 7468 §3); null otherwise. */
export function decodeBase64Padded(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const bytes = fromBase64(text);
  return toBase64(bytes) === text ? bytes : null;
}
