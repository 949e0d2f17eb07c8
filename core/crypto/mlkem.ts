/**
 * ML-KEM-768 (FIPS 203) on Deno's native WebCrypto, with the encapsulation
 * key check that the native import skips (FIPS 203 §7.2).
 *
 * @module
 */
import { checkLength } from "../bytes.ts";
import { MeteorError } from "../errors.ts";
import { subtle } from "./_webcrypto.ts";

/** ML-KEM-768 seed length d||z in bytes (FIPS 203 §7.1). */
export const MLKEM768_SEED_LENGTH = 64;
/** ML-KEM-768 encapsulation key length in bytes: 384k + 32 with k = 3 (FIPS 203 §8). */
export const MLKEM768_PUBLIC_KEY_LENGTH = 1184;
/** ML-KEM-768 ciphertext length in bytes (FIPS 203 §8). */
export const MLKEM768_CIPHERTEXT_LENGTH = 1088;
/** ML-KEM shared secret length in bytes (FIPS 203 §8). */
export const MLKEM_SHARED_SECRET_LENGTH = 32;

const ALGORITHM = { name: "ML-KEM-768" };
/** The ML-KEM modulus q (FIPS 203 §2.4). */
const Q = 3329;
/** Bytes of ByteEncode12(t̂): 384k for k = 3. */
const ENCODED_T_LENGTH = 1152;

/**
 * Whether `publicKey` passes the FIPS 203 §7.2 encapsulation key checks:
 * it is 1184 bytes long and every 12-bit coefficient of ByteDecode12(ek[0:1152])
 * is below q, i.e. ByteEncode12(ByteDecode12(ek)) = ek.
 *
 * @example
 * ```ts
 * import { isValidMlKem768PublicKey } from "./mlkem.ts";
 * isValidMlKem768PublicKey(new Uint8Array(1184)); // true
 * isValidMlKem768PublicKey(new Uint8Array(1184).fill(0xff)); // false
 * ```
 */
export function isValidMlKem768PublicKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array)) throw new TypeError("publicKey must be a Uint8Array");
  if (publicKey.length !== MLKEM768_PUBLIC_KEY_LENGTH) return false;
  let bad = 0;
  // ByteDecode12: every 3 bytes hold two little-endian 12-bit coefficients.
  for (let i = 0; i < ENCODED_T_LENGTH; i += 3) {
    const b0 = publicKey[i], b1 = publicKey[i + 1], b2 = publicKey[i + 2];
    const c0 = b0 | ((b1 & 0x0f) << 8);
    const c1 = (b1 >> 4) | (b2 << 4);
    // (q - 1 - c) is negative exactly when c >= q; collect sign bits without branching.
    bad |= (Q - 1 - c0) | (Q - 1 - c1);
  }
  return bad >= 0;
}

/**
 * Throws MeteorError `E_BAD_KEY` unless `publicKey` is a valid ML-KEM-768
 * encapsulation key (FIPS 203 §7.2; see {@link isValidMlKem768PublicKey}).
 */
export function checkMlKem768PublicKey(publicKey: Uint8Array): void {
  if (!isValidMlKem768PublicKey(publicKey)) {
    throw new MeteorError(
      "E_BAD_KEY",
      "Cannot use ML-KEM-768 encapsulation key: it fails the FIPS 203 §7.2 check",
    );
  }
}

/** Imports a 64-byte d||z seed as a native ML-KEM-768 decapsulation key. */
function importSeed(seed: Uint8Array): Promise<CryptoKey> {
  checkLength("seed", seed, MLKEM768_SEED_LENGTH);
  return subtle.importKey("raw-seed", seed, ALGORITHM, false, ["decapsulateBits"]);
}

/**
 * The ML-KEM-768 encapsulation key for a 64-byte seed d||z
 * (ML-KEM.KeyGen_internal, FIPS 203 §6.1).
 *
 * @example
 * ```ts
 * import { mlkem768PublicKey } from "./mlkem.ts";
 * (await mlkem768PublicKey(new Uint8Array(64))).length; // 1184
 * ```
 */
export async function mlkem768PublicKey(seed: Uint8Array): Promise<Uint8Array> {
  const key = await importSeed(seed);
  const pub = await subtle.getPublicKey(key, ["encapsulateBits"]);
  return new Uint8Array(await subtle.exportKey("raw-public", pub));
}

/**
 * Encapsulates to an ML-KEM-768 encapsulation key with fresh randomness
 * (FIPS 203 §7.2), after the modulus check (MeteorError `E_BAD_KEY`).
 *
 * @example
 * ```ts
 * import { mlkem768Encapsulate, mlkem768PublicKey } from "./mlkem.ts";
 * const pk = await mlkem768PublicKey(new Uint8Array(64));
 * (await mlkem768Encapsulate(pk)).ciphertext.length; // 1088
 * ```
 */
export async function mlkem768Encapsulate(
  publicKey: Uint8Array,
): Promise<{ sharedSecret: Uint8Array; ciphertext: Uint8Array }> {
  checkMlKem768PublicKey(publicKey);
  const key = await subtle.importKey("raw-public", publicKey, ALGORITHM, false, [
    "encapsulateBits",
  ]);
  const { sharedKey, ciphertext } = await subtle.encapsulateBits(ALGORITHM, key);
  return { sharedSecret: new Uint8Array(sharedKey), ciphertext: new Uint8Array(ciphertext) };
}

/**
 * Decapsulates a 1088-byte ciphertext with the key of a 64-byte seed d||z
 * (FIPS 203 §7.3). A ciphertext that does not match gives the implicit
 * rejection secret, never an error.
 *
 * @example
 * ```ts
 * import { mlkem768Decapsulate, mlkem768Encapsulate, mlkem768PublicKey } from "./mlkem.ts";
 * const seed = new Uint8Array(64);
 * const { ciphertext } = await mlkem768Encapsulate(await mlkem768PublicKey(seed));
 * (await mlkem768Decapsulate(seed, ciphertext)).length; // 32
 * ```
 */
export async function mlkem768Decapsulate(
  seed: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  checkLength("ciphertext", ciphertext, MLKEM768_CIPHERTEXT_LENGTH);
  const key = await importSeed(seed);
  return new Uint8Array(await subtle.decapsulateBits(ALGORITHM, key, ciphertext));
}
