/**
 * MeteorID: the self-certifying 32-byte identifier of a node, SHA3-256 (FIPS
 * 202) over its canonical public key bundle, and its text form.
 *
 * Text form (docs/identity.md §3): Bech32m (BIP-350) with the human-readable
 * part "meteor", e.g. `meteor1...` (65 characters). Bech32m's BCH checksum
 * detects every error that changes up to four characters, so a single typo
 * is always detected and never resolves to another valid ID. The canonical
 * form is lower case; an all-upper-case ID (QR alphanumeric mode) is accepted,
 * mixed case is not.
 *
 * @module
 */
import { bech32Decode, type Bech32Decoded, bech32Encode } from "../age/bech32.ts";
import { checkLength, concat, utf8 } from "../bytes.ts";
import { MeteorError } from "../errors.ts";
import { sha3_256 } from "../crypto/hash.ts";
import { ED25519_PUBLIC_KEY_LENGTH, MLDSA65_PUBLIC_KEY_LENGTH } from "../crypto/sign.ts";
import { XWING_PUBLIC_KEY_LENGTH } from "../crypto/xwing.ts";

/** Length of a MeteorID in bytes. */
export const METEOR_ID_LENGTH = 32;
/** The Bech32m human-readable part of a MeteorID text. */
export const METEOR_ID_HRP = "meteor";
/** Length of a MeteorID text: "meteor" + "1" + 52 data + 6 checksum characters. */
export const METEOR_ID_TEXT_LENGTH = 65;

/** Domain label that starts the canonical bundle, so the hash is used for nothing else. */
const BUNDLE_LABEL = utf8("meteor/v1/key-bundle");

/** The public keys a node's identity consists of. */
export interface PublicKeyBundle {
  /** Ed25519 public key, 32 bytes (also the libp2p PeerId key). */
  ed25519: Uint8Array;
  /** X-Wing public key, 1216 bytes (encryption to this node). */
  xwing: Uint8Array;
  /** ML-DSA-65 public key, 1952 bytes. */
  mldsa65: Uint8Array;
}

/**
 * The canonical public key bundle: "meteor/v1/key-bundle" || 0x00 || ed25519
 * (32) || xwing (1216) || ml-dsa-65 (1952). Every part has a fixed length,
 * so the encoding is unambiguous.
 */
export function encodePublicKeyBundle(keys: PublicKeyBundle): Uint8Array<ArrayBuffer> {
  checkLength("ed25519 public key", keys.ed25519, ED25519_PUBLIC_KEY_LENGTH);
  checkLength("x-wing public key", keys.xwing, XWING_PUBLIC_KEY_LENGTH);
  checkLength("ml-dsa-65 public key", keys.mldsa65, MLDSA65_PUBLIC_KEY_LENGTH);
  return concat(BUNDLE_LABEL, new Uint8Array([0]), keys.ed25519, keys.xwing, keys.mldsa65);
}

/**
 * The MeteorID of a public key bundle: SHA3-256 of {@link encodePublicKeyBundle}.
 *
 * @example
 * ```ts
 * import { deriveKeys, meteorIdOf } from "./mod.ts";
 * const keys = await deriveKeys(new Uint8Array(32));
 * meteorIdOf(keys.publicKeys).length; // 32
 * ```
 */
export function meteorIdOf(keys: PublicKeyBundle): Uint8Array {
  return sha3_256(encodePublicKeyBundle(keys));
}

/**
 * The same MeteorID as {@link meteorIdOf}, hashed by the runtime's native
 * WebCrypto SHA3-256 instead of node:crypto. Verifying a document needs no
 * other node:crypto call, and loading node:crypto costs a short-lived CLI
 * command (`meteor id`) 20 to 60 ms against 1 ms for this digest
 * (docs/benchmarks.md "CLI start-up").
 *
 * @example
 * ```ts
 * import { computeMeteorId, deriveKeys } from "./mod.ts";
 * const keys = await deriveKeys(new Uint8Array(32));
 * (await computeMeteorId(keys.publicKeys)).length; // 32
 * ```
 */
export async function computeMeteorId(keys: PublicKeyBundle): Promise<Uint8Array> {
  const bundle = encodePublicKeyBundle(keys);
  return new Uint8Array(await crypto.subtle.digest("SHA3-256", bundle));
}

/**
 * The text form of a 32-byte MeteorID (lower-case Bech32m, "meteor1...").
 *
 * @example
 * ```ts
 * import { formatMeteorId, parseMeteorId } from "./meteor_id.ts";
 * const text = formatMeteorId(new Uint8Array(32));
 * parseMeteorId(text).length; // 32
 * ```
 */
export function formatMeteorId(id: Uint8Array): string {
  checkLength("MeteorID", id, METEOR_ID_LENGTH);
  return bech32Encode(METEOR_ID_HRP, id, false, "bech32m");
}

/**
 * Parses a MeteorID text. Accepts only a well-formed ID: the "meteor" prefix,
 * exactly 65 characters, one case, a valid Bech32m checksum and zero padding
 * bits (so each ID has one text form up to case).
 *
 * @throws {MeteorError} E_BAD_ID
 */
export function parseMeteorId(text: string): Uint8Array {
  const bad = (why: string) => new MeteorError("E_BAD_ID", `Cannot parse MeteorID: ${why}`);
  if (typeof text !== "string") throw bad("not a string");
  if (text.length !== METEOR_ID_TEXT_LENGTH) {
    throw bad(`expected ${METEOR_ID_TEXT_LENGTH} characters, got ${text.length}`);
  }
  let decoded: Bech32Decoded;
  try {
    decoded = bech32Decode(text, "bech32m");
  } catch {
    throw bad("invalid characters, checksum or padding (a typo?)");
  }
  if (decoded.hrp.toLowerCase() !== METEOR_ID_HRP) throw bad(`prefix must be "${METEOR_ID_HRP}1"`);
  const id = decoded.data;
  if (id.length !== METEOR_ID_LENGTH) throw bad("wrong length");
  return id;
}

/**
 * Whether `text` is meant as a MeteorID (rather than a contact name or a
 * path): it starts with "meteor1" in any case, as the all-upper-case form of
 * a QR code does (docs/identity.md §3). Only a prefix test: the caller parses
 * it with {@link parseMeteorId}, which says what is wrong with a bad one.
 *
 * @example
 * ```ts
 * import { looksLikeMeteorId } from "./meteor_id.ts";
 * looksLikeMeteorId("METEOR1QQSR..."); // true
 * looksLikeMeteorId("alice"); // false
 * ```
 */
export function looksLikeMeteorId(text: string): boolean {
  const prefix = `${METEOR_ID_HRP}1`;
  return text.slice(0, prefix.length).toLowerCase() === prefix;
}
