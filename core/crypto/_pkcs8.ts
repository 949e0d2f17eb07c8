/**
 * RFC 8410 §7 PKCS#8 encoding of a raw 32-byte X25519 or Ed25519 private key,
 * the only private-key format WebCrypto imports for these curves. Private to
 * core/crypto.
 *
 * @module
 */
import { concat } from "../bytes.ts";

/** RFC 8410 §3: the last arc of id-X25519 (1.3.101.110) and id-Ed25519 (1.3.101.112). */
const OID_LAST_ARC = { X25519: 0x6e, Ed25519: 0x70 } as const;

/**
 * The PKCS#8 OneAsymmetricKey (RFC 5958) holding `key`, a 32-byte X25519 scalar
 * or Ed25519 seed whose length the caller has checked. The result contains the
 * secret: wipe it once imported.
 */
export function pkcs8PrivateKey(
  algorithm: keyof typeof OID_LAST_ARC,
  key: Uint8Array,
): Uint8Array<ArrayBuffer> {
  // deno-fmt-ignore
  const prefix = new Uint8Array([
    0x30, 0x2e,                         // SEQUENCE, 46 bytes
    0x02, 0x01, 0x00,                   //   INTEGER version 0
    0x30, 0x05,                         //   SEQUENCE AlgorithmIdentifier, 5 bytes
    0x06, 0x03, 0x2b, 0x65, OID_LAST_ARC[algorithm], // OID 1.3.101.x
    0x04, 0x22,                         //   OCTET STRING privateKey, 34 bytes
    0x04, 0x20,                         //     OCTET STRING CurvePrivateKey, 32 bytes
  ]);
  return concat(prefix, key);
}
