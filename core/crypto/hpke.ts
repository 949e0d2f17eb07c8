/**
 * HPKE (RFC 9180) in base mode, single shot, for the one suite that age's
 * `mlkem768x25519` recipient uses (C2SP age spec): KEM X-Wing (0x647a,
 * draft-connolly-cfrg-xwing-kem §"Use in HPKE"), KDF HKDF-SHA256 (0x0001),
 * AEAD ChaCha20Poly1305 (0x0003). X-Wing's shared secret is HPKE's
 * `shared_secret` as is: X-Wing's own combiner already binds the ciphertext
 * and public key, so there is no DHKEM ExtractAndExpand step.
 *
 * @module
 */
import { checkBytes, concat, wipe } from "../bytes.ts";
import { open, seal } from "./aead.ts";
import { hkdfExpandSha256, hkdfExtractSha256 } from "./hash.ts";
import { xwingDecapsulate, xwingEncapsulate } from "./xwing.ts";

/** The HPKE KEM identifier of X-Wing (draft-connolly-cfrg-xwing-kem, IANA HPKE registry). */
export const HPKE_KEM_XWING = 0x647a;
/** The HPKE KDF identifier of HKDF-SHA256 (RFC 9180 §7.2). */
export const HPKE_KDF_HKDF_SHA256 = 0x0001;
/** The HPKE AEAD identifier of ChaCha20Poly1305 (RFC 9180 §7.3). */
export const HPKE_AEAD_CHACHA20POLY1305 = 0x0003;

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);
/** mode_base (RFC 9180 §5). */
const MODE_BASE = 0x00;
/** Nk and Nn of ChaCha20Poly1305 (RFC 9180 §7.3). */
const KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
/** "HPKE-v1" (RFC 9180 §4). */
const VERSION_LABEL = encoder.encode("HPKE-v1");
/** suite_id = "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2) (RFC 9180 §5.1). */
const SUITE_ID = concat(
  encoder.encode("HPKE"),
  i2osp2(HPKE_KEM_XWING),
  i2osp2(HPKE_KDF_HKDF_SHA256),
  i2osp2(HPKE_AEAD_CHACHA20POLY1305),
);

/** The HPKE encapsulated key and the sealed message. */
export interface HpkeSealed {
  /** The KEM encapsulation `enc` (1120 bytes, an X-Wing ciphertext). */
  enc: Uint8Array;
  /** The AEAD ciphertext || tag (16 bytes longer than the plaintext). */
  ciphertext: Uint8Array;
}

function i2osp2(value: number): Uint8Array {
  return new Uint8Array([value >> 8, value & 0xff]);
}

/** LabeledExtract (RFC 9180 §4). */
function labeledExtract(salt: Uint8Array, label: string, ikm: Uint8Array): Uint8Array {
  const labeledIkm = concat(VERSION_LABEL, SUITE_ID, encoder.encode(label), ikm);
  try {
    return hkdfExtractSha256(salt, labeledIkm);
  } finally {
    wipe(labeledIkm);
  }
}

/** LabeledExpand (RFC 9180 §4). */
function labeledExpand(prk: Uint8Array, label: string, info: Uint8Array, length: number) {
  const labeledInfo = concat(i2osp2(length), VERSION_LABEL, SUITE_ID, encoder.encode(label), info);
  return hkdfExpandSha256(prk, labeledInfo, length);
}

/**
 * KeySchedule for mode_base with the default empty PSK (RFC 9180 §5.1), and
 * the nonce of the first message: base_nonce XOR I2OSP(0, Nn) = base_nonce (§5.2).
 */
function keySchedule(sharedSecret: Uint8Array, info: Uint8Array) {
  const pskIdHash = labeledExtract(EMPTY, "psk_id_hash", EMPTY);
  const infoHash = labeledExtract(EMPTY, "info_hash", info);
  const context = concat(Uint8Array.of(MODE_BASE), pskIdHash, infoHash);
  const secret = labeledExtract(sharedSecret, "secret", EMPTY);
  try {
    return {
      key: labeledExpand(secret, "key", context, KEY_LENGTH),
      nonce: labeledExpand(secret, "base_nonce", context, NONCE_LENGTH),
    };
  } finally {
    wipe(secret);
  }
}

/**
 * Seals one message to an X-Wing public key: SetupBaseS then ContextS.Seal
 * with sequence number 0 (RFC 9180 §6.1). Throws MeteorError `E_BAD_KEY` for an
 * invalid public key, RangeError for a wrong length.
 *
 * @example
 * ```ts
 * import { hpkeOpen, hpkeSeal } from "./hpke.ts";
 * import { xwingPublicKey } from "./xwing.ts";
 * const seed = crypto.getRandomValues(new Uint8Array(32));
 * const info = new TextEncoder().encode("age-encryption.org/mlkem768x25519");
 * const fileKey = crypto.getRandomValues(new Uint8Array(16));
 * const { enc, ciphertext } = await hpkeSeal(await xwingPublicKey(seed), info, new Uint8Array(0), fileKey);
 * const opened = await hpkeOpen(seed, enc, info, new Uint8Array(0), ciphertext); // equals fileKey
 * ```
 */
export async function hpkeSeal(
  publicKey: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Promise<HpkeSealed> {
  checkBytes("info", info);
  const { sharedSecret, ciphertext: enc } = await xwingEncapsulate(publicKey);
  let schedule: { key: Uint8Array; nonce: Uint8Array } | undefined;
  try {
    schedule = keySchedule(sharedSecret, info);
    return { enc, ciphertext: seal(schedule.key, schedule.nonce, plaintext, aad) };
  } finally {
    wipe(sharedSecret, schedule?.key, schedule?.nonce);
  }
}

/**
 * Opens one message sealed by {@link hpkeSeal} with the recipient's 32-byte
 * X-Wing seed: SetupBaseR then ContextR.Open with sequence number 0 (RFC 9180
 * §6.1). Throws MeteorError `E_DECRYPT_FAILED` when the message does not
 * authenticate (wrong recipient, tampering, other info or aad), `E_MALFORMED`
 * when `enc` carries a low-order X25519 share, RangeError for a wrong length.
 *
 * @example
 * ```ts
 * import { hpkeOpen, hpkeSeal } from "./hpke.ts";
 * import { xwingPublicKey } from "./xwing.ts";
 * const seed = crypto.getRandomValues(new Uint8Array(32));
 * const none = new Uint8Array(0);
 * const sealed = await hpkeSeal(await xwingPublicKey(seed), none, none, new Uint8Array([1]));
 * (await hpkeOpen(seed, sealed.enc, none, none, sealed.ciphertext))[0]; // 1
 * ```
 */
export async function hpkeOpen(
  seed: Uint8Array,
  enc: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  checkBytes("info", info);
  const sharedSecret = await xwingDecapsulate(seed, enc);
  let schedule: { key: Uint8Array; nonce: Uint8Array } | undefined;
  try {
    schedule = keySchedule(sharedSecret, info);
    return open(schedule.key, schedule.nonce, ciphertext, aad);
  } finally {
    wipe(sharedSecret, schedule?.key, schedule?.nonce);
  }
}
