/**
 * The X-Wing hybrid KEM (draft-connolly-cfrg-xwing-kem §5): ML-KEM-768
 * and X25519 combined with SHA3-256. The private key is a 32-byte seed.
 * ML-KEM-768 and X25519 run on Deno's native WebCrypto; only deterministic
 * encapsulation from an explicit `eseed` (for test vectors) uses
 * @noble/post-quantum's ML-KEM, since WebCrypto cannot take the coins.
 *
 * @module
 */
import { checkLength, concat, wipe } from "../bytes.ts";
import { MeteorError } from "../errors.ts";
import { lazyImport } from "../lazy_import.ts";
import { sha3_256, shake256 } from "./hash.ts";
import {
  checkMlKem768PublicKey,
  MLKEM768_CIPHERTEXT_LENGTH,
  MLKEM768_PUBLIC_KEY_LENGTH,
  MLKEM768_SEED_LENGTH,
  mlkem768Decapsulate,
  mlkem768Encapsulate,
  mlkem768PublicKey,
} from "./mlkem.ts";
import { x25519, X25519_LENGTH, x25519Base } from "./x25519.ts";

/** X-Wing private key (seed) length in bytes. */
export const XWING_SEED_LENGTH = 32;
/** X-Wing encapsulation randomness (eseed) length in bytes. */
export const XWING_ESEED_LENGTH = 64;
/** X-Wing public key length in bytes: pk_M (1184) || pk_X (32). */
export const XWING_PUBLIC_KEY_LENGTH = 1216;
/** X-Wing ciphertext length in bytes: ct_M (1088) || ct_X (32). */
export const XWING_CIPHERTEXT_LENGTH = 1120;
/** X-Wing shared secret length in bytes. */
export const XWING_SHARED_SECRET_LENGTH = 32;

/** XWingLabel, the ASCII bytes of `\.//^\` (draft §5.3). */
const XWING_LABEL = new Uint8Array([0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c]);

/** The X-Wing shared secret and the ciphertext that carries it. */
export interface XWingEncapsulation {
  /** 32-byte shared secret. */
  sharedSecret: Uint8Array;
  /** 1120-byte ciphertext for the holder of the private key. */
  ciphertext: Uint8Array;
}

/**
 * expandDecapsulationKey (draft §5.2): SHAKE256(seed, 96) gives the ML-KEM-768
 * seed d||z (64 bytes) and the X25519 scalar (32 bytes).
 */
function expand(seed: Uint8Array): { mlkemSeed: Uint8Array; x25519Scalar: Uint8Array } {
  checkLength("seed", seed, XWING_SEED_LENGTH);
  const expanded = shake256(seed, MLKEM768_SEED_LENGTH + X25519_LENGTH);
  return {
    mlkemSeed: expanded.subarray(0, MLKEM768_SEED_LENGTH),
    x25519Scalar: expanded.subarray(MLKEM768_SEED_LENGTH),
  };
}

/** Combiner (draft §5.3): SHA3-256(ss_M || ss_X || ct_X || pk_X || XWingLabel). */
function combine(
  ssM: Uint8Array,
  ssX: Uint8Array,
  ctX: Uint8Array,
  pkX: Uint8Array,
): Uint8Array {
  const input = concat(ssM, ssX, ctX, pkX, XWING_LABEL);
  try {
    return sha3_256(input);
  } finally {
    wipe(input);
  }
}

/**
 * Throws unless `publicKey` is a usable X-Wing public key: TypeError/RangeError
 * for a wrong type or length, MeteorError `E_BAD_KEY` when its ML-KEM part fails
 * the FIPS 203 §7.2 modulus check. Call it when importing a recipient.
 *
 * @example
 * ```ts
 * import { checkXWingPublicKey, xwingPublicKey } from "./xwing.ts";
 * checkXWingPublicKey(await xwingPublicKey(new Uint8Array(32))); // no error
 * ```
 */
export function checkXWingPublicKey(publicKey: Uint8Array): void {
  checkLength("publicKey", publicKey, XWING_PUBLIC_KEY_LENGTH);
  checkMlKem768PublicKey(publicKey.subarray(0, MLKEM768_PUBLIC_KEY_LENGTH));
}

/**
 * The 1216-byte X-Wing public key pk_M || pk_X of a 32-byte seed (draft §5.2).
 *
 * @example
 * ```ts
 * import { xwingPublicKey } from "./xwing.ts";
 * const seed = crypto.getRandomValues(new Uint8Array(32));
 * (await xwingPublicKey(seed)).length; // 1216
 * ```
 */
export async function xwingPublicKey(seed: Uint8Array): Promise<Uint8Array> {
  const { mlkemSeed, x25519Scalar } = expand(seed);
  try {
    const [pkM, pkX] = await Promise.all([
      mlkem768PublicKey(mlkemSeed),
      x25519Base(x25519Scalar),
    ]);
    return concat(pkM, pkX);
  } finally {
    wipe(mlkemSeed, x25519Scalar);
  }
}

/**
 * Encapsulates a fresh shared secret to an X-Wing public key (draft §5.4).
 * With `eseed` (64 bytes: ML-KEM coins || X25519 ephemeral scalar) the result is
 * deterministic, for test vectors only; leave it out otherwise. Throws MeteorError
 * `E_BAD_KEY` when the ML-KEM part fails the FIPS 203 §7.2 check or the X25519
 * part is a low-order point.
 *
 * @example
 * ```ts
 * import { xwingDecapsulate, xwingEncapsulate, xwingPublicKey } from "./xwing.ts";
 * const seed = crypto.getRandomValues(new Uint8Array(32));
 * const { sharedSecret, ciphertext } = await xwingEncapsulate(await xwingPublicKey(seed));
 * const again = await xwingDecapsulate(seed, ciphertext); // equals sharedSecret
 * ```
 */
export async function xwingEncapsulate(
  publicKey: Uint8Array,
  eseed?: Uint8Array,
): Promise<XWingEncapsulation> {
  checkXWingPublicKey(publicKey);
  if (eseed !== undefined) checkLength("eseed", eseed, XWING_ESEED_LENGTH);
  const pkM = publicKey.subarray(0, MLKEM768_PUBLIC_KEY_LENGTH);
  const pkX = publicKey.subarray(MLKEM768_PUBLIC_KEY_LENGTH);
  const ekX = eseed === undefined
    ? crypto.getRandomValues(new Uint8Array(X25519_LENGTH))
    : eseed.slice(MLKEM768_SEED_LENGTH / 2);
  let ssM: Uint8Array | undefined;
  let ssX: Uint8Array | null = null;
  try {
    const [mlkem, ctX, shared] = await Promise.all([
      eseed === undefined
        ? mlkem768Encapsulate(pkM)
        : encapsulateDeterministic(pkM, eseed.subarray(0, 32)),
      x25519Base(ekX),
      x25519(ekX, pkX),
    ]);
    ssM = mlkem.sharedSecret;
    ssX = shared;
    if (ssX === null) {
      throw new MeteorError(
        "E_BAD_KEY",
        "Cannot encapsulate to X-Wing public key: its X25519 part is a low-order point",
      );
    }
    return {
      sharedSecret: combine(ssM, ssX, ctX, pkX),
      ciphertext: concat(mlkem.ciphertext, ctX),
    };
  } finally {
    wipe(ekX, ssM, ssX ?? undefined);
  }
}

/**
 * ML-KEM.Encaps_internal with explicit coins m (FIPS 203 §6.2), via noble,
 * imported here only and through lazyImport: the CLI's start-up does not
 * load it (Deno would load a literal `import()`'s graph at start-up).
 */
async function encapsulateDeterministic(
  pkM: Uint8Array,
  m: Uint8Array,
): Promise<{ sharedSecret: Uint8Array; ciphertext: Uint8Array }> {
  const { ml_kem768 } = await lazyImport<typeof import("@noble/post-quantum/ml-kem.js")>(
    new URL(import.meta.resolve("@noble/post-quantum/ml-kem.js")),
  );
  const { sharedSecret, cipherText } = ml_kem768.encapsulate(pkM, m);
  return { sharedSecret, ciphertext: cipherText };
}

/**
 * Decapsulates a 1120-byte X-Wing ciphertext with a 32-byte seed (draft §5.5).
 * A ciphertext whose ML-KEM part was altered yields an unrelated secret (implicit
 * rejection), not an error. Throws MeteorError `E_MALFORMED` when the X25519 part
 * is a low-order point (the X25519 shared secret would be all zero).
 *
 * @example
 * ```ts
 * import { xwingDecapsulate, xwingEncapsulate, xwingPublicKey } from "./xwing.ts";
 * const seed = crypto.getRandomValues(new Uint8Array(32));
 * const { ciphertext } = await xwingEncapsulate(await xwingPublicKey(seed));
 * (await xwingDecapsulate(seed, ciphertext)).length; // 32
 * ```
 */
export async function xwingDecapsulate(
  seed: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  checkLength("ciphertext", ciphertext, XWING_CIPHERTEXT_LENGTH);
  const { mlkemSeed, x25519Scalar } = expand(seed);
  const ctM = ciphertext.subarray(0, MLKEM768_CIPHERTEXT_LENGTH);
  const ctX = ciphertext.subarray(MLKEM768_CIPHERTEXT_LENGTH);
  let ssM: Uint8Array | undefined;
  let ssX: Uint8Array | null = null;
  try {
    const [mlkem, pkX, shared] = await Promise.all([
      mlkem768Decapsulate(mlkemSeed, ctM),
      x25519Base(x25519Scalar),
      x25519(x25519Scalar, ctX),
    ]);
    ssM = mlkem;
    ssX = shared;
    if (ssX === null) {
      throw new MeteorError(
        "E_MALFORMED",
        "Cannot decapsulate X-Wing ciphertext: its X25519 part is a low-order point",
      );
    }
    return combine(ssM, ssX, ctX, pkX);
  } finally {
    wipe(mlkemSeed, x25519Scalar, ssM, ssX ?? undefined);
  }
}
