/**
 * Hybrid signatures: ML-DSA-65 (FIPS 204) and Ed25519 (RFC 8032) over the
 * same bytes, both from 32-byte seeds, both through native WebCrypto. A hybrid
 * signature is valid only when both component signatures verify, so it stays
 * secure while either algorithm does.
 *
 * Domain separation: Deno's ML-DSA refuses a FIPS 204 context string, so the
 * context travels inside the signed bytes instead. Both algorithms sign
 *
 *     M' = "meteor/v1/hybrid-sig" || 0x00 || len(context) (1 byte) || context || message
 *
 * (see {@link hybridSignedBytes}), in the spirit of the composite-signature
 * prefix of draft-ietf-lamps-pq-composite-sigs §4. ML-DSA itself then signs M'
 * with an empty FIPS 204 context (§5.2, M'' = 0 || 0 || M').
 *
 * Signature layout: ML-DSA-65 signature (3309 bytes) || Ed25519 signature (64 bytes).
 *
 * @module
 */
import { checkLength, concat, utf8, wipe } from "../bytes.ts";
import { MeteorError } from "../errors.ts";
import { pkcs8PrivateKey } from "./_pkcs8.ts";
import { subtle } from "./_webcrypto.ts";

/** Length of an Ed25519 private key seed (RFC 8032 §5.1.5). */
export const ED25519_SEED_LENGTH = 32;
/** Length of an Ed25519 public key. */
export const ED25519_PUBLIC_KEY_LENGTH = 32;
/** Length of an Ed25519 signature. */
export const ED25519_SIGNATURE_LENGTH = 64;
/** Length of an ML-DSA-65 key generation seed ξ (FIPS 204 Algorithm 6). */
export const MLDSA65_SEED_LENGTH = 32;
/** Length of an ML-DSA-65 public key (FIPS 204 Table 2). */
export const MLDSA65_PUBLIC_KEY_LENGTH = 1952;
/** Length of an ML-DSA-65 signature (FIPS 204 Table 2). */
export const MLDSA65_SIGNATURE_LENGTH = 3309;
/** Length of a hybrid signature: ML-DSA-65 signature then Ed25519 signature. */
export const HYBRID_SIGNATURE_LENGTH: number = MLDSA65_SIGNATURE_LENGTH + ED25519_SIGNATURE_LENGTH;

/** The fixed prefix of every hybrid signed message (followed by a zero byte). */
const HYBRID_PREFIX = utf8("meteor/v1/hybrid-sig");

const ED25519 = { name: "Ed25519" };
const MLDSA65 = { name: "ML-DSA-65" };

/** The two secret seeds of a hybrid signer. Wipe them with `fill(0)` when done. */
export interface SigningSeeds {
  /** Ed25519 private key seed, 32 bytes. */
  ed25519: Uint8Array;
  /** ML-DSA-65 key generation seed ξ, 32 bytes. */
  mldsa65: Uint8Array;
}

/** The two public keys of a hybrid signer. */
export interface SigningPublicKeys {
  /** Ed25519 public key, 32 bytes. */
  ed25519: Uint8Array;
  /** ML-DSA-65 public key, 1952 bytes. */
  mldsa65: Uint8Array;
}

async function importEd25519Seed(seed: Uint8Array): Promise<CryptoKey> {
  checkLength("ed25519 seed", seed, ED25519_SEED_LENGTH);
  const pkcs8 = pkcs8PrivateKey("Ed25519", seed);
  try {
    return await subtle.importKey("pkcs8", pkcs8, ED25519, false, ["sign"]);
  } finally {
    wipe(pkcs8);
  }
}

async function importMlDsaSeed(seed: Uint8Array): Promise<CryptoKey> {
  checkLength("ml-dsa-65 seed", seed, MLDSA65_SEED_LENGTH);
  // FIPS 204 Algorithm 6 ML-DSA.KeyGen_internal(ξ); "raw-seed" is WebCrypto's name for ξ.
  const copy = seed.slice();
  try {
    return await subtle.importKey("raw-seed", copy, MLDSA65, false, ["sign"]);
  } finally {
    wipe(copy);
  }
}

async function exportPublic(privateKey: CryptoKey, format: "raw" | "raw-public") {
  const publicKey = await subtle.getPublicKey(privateKey, ["verify"]);
  return new Uint8Array(await subtle.exportKey(format, publicKey));
}

/**
 * Imports `publicKey` and verifies; an unparseable public key or signature is
 * just an invalid signature (false).
 */
async function verifyWith(
  algorithm: typeof ED25519 | typeof MLDSA65,
  format: "raw" | "raw-public",
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  return await verifyWithKey(
    algorithm,
    await importVerifyKey(algorithm, format, publicKey),
    message,
    signature,
  );
}

/** The verification key of `publicKey`; undefined when it does not parse. */
async function importVerifyKey(
  algorithm: typeof ED25519 | typeof MLDSA65,
  format: "raw" | "raw-public",
  publicKey: Uint8Array,
): Promise<CryptoKey | undefined> {
  try {
    return await subtle.importKey(format, publicKey.slice(), algorithm, false, ["verify"]);
  } catch {
    return undefined;
  }
}

/** Verifies with an imported key; a missing key or unparseable signature is invalid (false). */
async function verifyWithKey(
  algorithm: typeof ED25519 | typeof MLDSA65,
  key: CryptoKey | undefined,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (key === undefined) return false;
  try {
    return await subtle.verify(algorithm, key, signature, message);
  } catch {
    return false;
  }
}

/**
 * The Ed25519 public key of a 32-byte seed.
 *
 * @example
 * ```ts
 * import { ed25519PublicKey } from "./sign.ts";
 * const pk = await ed25519PublicKey(new Uint8Array(32));
 * pk.length; // 32
 * ```
 */
export async function ed25519PublicKey(seed: Uint8Array): Promise<Uint8Array> {
  return await exportPublic(await importEd25519Seed(seed), "raw");
}

/**
 * The ML-DSA-65 public key of a 32-byte seed ξ (FIPS 204 Algorithm 6).
 *
 * @example
 * ```ts
 * import { mldsa65PublicKey } from "./sign.ts";
 * const pk = await mldsa65PublicKey(new Uint8Array(32));
 * pk.length; // 1952
 * ```
 */
export async function mldsa65PublicKey(seed: Uint8Array): Promise<Uint8Array> {
  return await exportPublic(await importMlDsaSeed(seed), "raw-public");
}

/**
 * An Ed25519 signature (RFC 8032 §5.1.6) of `message` with a 32-byte seed.
 *
 * @example
 * ```ts
 * import { ed25519PublicKey, ed25519Sign, ed25519Verify } from "./sign.ts";
 * const seed = new Uint8Array(32).fill(1);
 * const message = new TextEncoder().encode("hello");
 * const signature = await ed25519Sign(seed, message);
 * await ed25519Verify(await ed25519PublicKey(seed), message, signature); // true
 * ```
 */
export async function ed25519Sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const key = await importEd25519Seed(seed);
  return new Uint8Array(await subtle.sign(ED25519, key, message));
}

/**
 * Whether `signature` is a valid Ed25519 signature (RFC 8032 §5.1.7) of
 * `message` under `publicKey`; false also for an unparseable key or signature.
 *
 * @example
 * ```ts
 * import { ed25519Verify } from "./sign.ts";
 * await ed25519Verify(new Uint8Array(32), new Uint8Array(0), new Uint8Array(64)); // false
 * ```
 */
export async function ed25519Verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  return await verifyWith(ED25519, "raw", publicKey, message, signature);
}

/**
 * An ML-DSA-65 signature (FIPS 204 Algorithm 2, empty context) of `message`
 * with a 32-byte seed ξ. Signing is hedged (randomised, FIPS 204 §3.4).
 *
 * @example
 * ```ts
 * import { mldsa65PublicKey, mldsa65Sign, mldsa65Verify } from "./sign.ts";
 * const seed = new Uint8Array(32).fill(2);
 * const message = new TextEncoder().encode("hello");
 * const signature = await mldsa65Sign(seed, message); // 3309 bytes
 * await mldsa65Verify(await mldsa65PublicKey(seed), message, signature); // true
 * ```
 */
export async function mldsa65Sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const key = await importMlDsaSeed(seed);
  return new Uint8Array(await subtle.sign(MLDSA65, key, message));
}

/**
 * Whether `signature` is a valid ML-DSA-65 signature (FIPS 204 Algorithm 3,
 * empty context) of `message` under `publicKey`; false also for an
 * unparseable key or signature.
 *
 * @example
 * ```ts
 * import { mldsa65Verify } from "./sign.ts";
 * await mldsa65Verify(new Uint8Array(1952), new Uint8Array(0), new Uint8Array(3309)); // false
 * ```
 */
export async function mldsa65Verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  return await verifyWith(MLDSA65, "raw-public", publicKey, message, signature);
}

/** Both public keys of a pair of signing seeds. */
export async function signingPublicKeys(seeds: SigningSeeds): Promise<SigningPublicKeys> {
  const [ed25519, mldsa65] = await Promise.all([
    ed25519PublicKey(seeds.ed25519),
    mldsa65PublicKey(seeds.mldsa65),
  ]);
  return { ed25519, mldsa65 };
}

/**
 * The bytes both algorithms sign: the hybrid prefix, a zero byte, the context
 * length (one byte), the context (ASCII, 1 to 255 characters) and the message.
 * Exported so another implementation can check its encoding.
 */
export function hybridSignedBytes(context: string, message: Uint8Array): Uint8Array {
  if (!/^[\x20-\x7e]{1,255}$/.test(context)) {
    throw new RangeError("context must be 1 to 255 printable ASCII characters");
  }
  if (!(message instanceof Uint8Array)) throw new TypeError("message must be a Uint8Array");
  return concat(HYBRID_PREFIX, new Uint8Array([0, context.length]), utf8(context), message);
}

/**
 * Signs `message` under `context` with both keys; returns the 3373-byte hybrid
 * signature (ML-DSA-65 signature || Ed25519 signature). ML-DSA signing is
 * hedged (randomised, FIPS 204 §3.4), so two signatures of one message differ.
 *
 * @example
 * ```ts
 * import { hybridSign, hybridVerify, signingPublicKeys } from "./sign.ts";
 * const seeds = { ed25519: new Uint8Array(32).fill(1), mldsa65: new Uint8Array(32).fill(2) };
 * const message = new TextEncoder().encode("hello");
 * const signature = await hybridSign(seeds, "example/v1", message);
 * await hybridVerify(await signingPublicKeys(seeds), "example/v1", message, signature);
 * ```
 */
export async function hybridSign(
  seeds: SigningSeeds,
  context: string,
  message: Uint8Array,
): Promise<Uint8Array> {
  const signed = hybridSignedBytes(context, message);
  const [edSig, mlSig] = await Promise.all([
    ed25519Sign(seeds.ed25519, signed),
    mldsa65Sign(seeds.mldsa65, signed),
  ]);
  return concat(mlSig, edSig);
}

/**
 * Something that hybrid-signs for one identity without handing out its keys:
 * the capability plugins and the handshake receive instead of key seeds.
 */
export interface HybridSigner {
  /** Signs `message` under `context`, as {@link hybridSign} does. */
  sign(context: string, message: Uint8Array): Promise<Uint8Array>;
}

/**
 * A {@link HybridSigner} over `seeds`, which it reads at each signature
 * (shared, not copied: wiping the seeds disables it).
 *
 * @example
 * ```ts
 * import { seedSigner } from "./sign.ts";
 * const signer = seedSigner({ ed25519: new Uint8Array(32), mldsa65: new Uint8Array(32) });
 * await signer.sign("example/v1", new Uint8Array([1, 2, 3]));
 * ```
 */
export function seedSigner(seeds: SigningSeeds): HybridSigner {
  return { sign: (context, message) => hybridSign(seeds, context, message) };
}

/** Verifies hybrid signatures of one pair of public keys, imported once. */
export interface HybridVerifier {
  /**
   * Resolves when `signature` is a valid hybrid signature of `message` under
   * `context`, as {@link hybridVerify} does; throws E_BAD_SIGNATURE otherwise.
   */
  verify(context: string, message: Uint8Array, signature: Uint8Array): Promise<void>;
}

/**
 * A {@link HybridVerifier} for `publicKeys`: both keys are imported once, so
 * a caller that checks many signatures of one signer (a pubsub author) does
 * not import them for each. A key that does not parse makes every signature
 * invalid, as in {@link hybridVerify}.
 *
 * @example
 * ```ts
 * import { hybridSign, hybridVerifier, signingPublicKeys } from "./sign.ts";
 * const seeds = { ed25519: new Uint8Array(32).fill(1), mldsa65: new Uint8Array(32).fill(2) };
 * const message = new TextEncoder().encode("hello");
 * const signature = await hybridSign(seeds, "example/v1", message);
 * const verifier = await hybridVerifier(await signingPublicKeys(seeds));
 * await verifier.verify("example/v1", message, signature);
 * ```
 */
export async function hybridVerifier(publicKeys: SigningPublicKeys): Promise<HybridVerifier> {
  checkLength("ed25519 public key", publicKeys.ed25519, ED25519_PUBLIC_KEY_LENGTH);
  checkLength("ml-dsa-65 public key", publicKeys.mldsa65, MLDSA65_PUBLIC_KEY_LENGTH);
  const [mlKey, edKey] = await Promise.all([
    importVerifyKey(MLDSA65, "raw-public", publicKeys.mldsa65),
    importVerifyKey(ED25519, "raw", publicKeys.ed25519),
  ]);
  return {
    async verify(context, message, signature) {
      const signed = hybridSignedBytes(context, message);
      let valid = false;
      if (signature instanceof Uint8Array && signature.length === HYBRID_SIGNATURE_LENGTH) {
        // Both are always checked: no early exit that would tell which one failed.
        const [mlOk, edOk] = await Promise.all([
          verifyWithKey(MLDSA65, mlKey, signed, signature.slice(0, MLDSA65_SIGNATURE_LENGTH)),
          verifyWithKey(ED25519, edKey, signed, signature.slice(MLDSA65_SIGNATURE_LENGTH)),
        ]);
        valid = mlOk && edOk;
      }
      if (!valid) throw new MeteorError("E_BAD_SIGNATURE", "Cannot verify signature: invalid");
    },
  };
}

/**
 * Verifies a hybrid signature; resolves when both ML-DSA-65 and Ed25519
 * verify, and otherwise throws E_BAD_SIGNATURE without saying which failed.
 *
 * @throws {MeteorError} E_BAD_SIGNATURE
 */
export async function hybridVerify(
  publicKeys: SigningPublicKeys,
  context: string,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<void> {
  await (await hybridVerifier(publicKeys)).verify(context, message, signature);
}
