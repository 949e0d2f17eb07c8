/**
 * `meteor selftest`: known-answer tests of every primitive Meteor uses, run on
 * this machine against embedded published vectors and against the independent
 * pure-JS implementations in @noble/*. A self-test is a list of named checks;
 * more checks (the GPU cipher, for one) are appended to {@link DEFAULT_CHECKS}
 * by whoever runs it: `selftest([...DEFAULT_CHECKS, gpuCheck])`.
 *
 * @module
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { ed25519, x25519 as nobleX25519 } from "@noble/curves/ed25519.js";
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js";
import { constantTimeEqual, utf8 } from "./bytes.ts";
import { open, seal } from "./crypto/aead.ts";
import { hkdfSha256, hmacSha256, sha256, sha3_256, shake256 } from "./crypto/hash.ts";
import { hpkeOpen, hpkeSeal, type HpkeSealed } from "./crypto/hpke.ts";
import {
  isValidMlKem768PublicKey,
  mlkem768Decapsulate,
  mlkem768Encapsulate,
  mlkem768PublicKey,
} from "./crypto/mlkem.ts";
import {
  xwingDecapsulate,
  xwingEncapsulate,
  type XWingEncapsulation,
  xwingPublicKey,
} from "./crypto/xwing.ts";
import {
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  mldsa65PublicKey,
  mldsa65Sign,
  mldsa65Verify,
} from "./crypto/sign.ts";
import { x25519 } from "./crypto/x25519.ts";
import {
  AEAD_VECTOR,
  ED25519_VECTORS,
  HASH_VECTORS,
  HPKE_AGE_VECTOR,
  X25519_VECTOR,
  XWING_VECTOR,
} from "./_selftest_vectors.ts";

/** One named known-answer check; `run` rejects when the check fails. */
export interface SelftestCheck {
  /** What is checked, with the spec it follows, e.g. "ChaCha20-Poly1305 (RFC 8439 §2.8.2)". */
  name: string;
  /**
   * Performs the check; resolves when it passes (optionally to a one-line detail,
   * such as the adapter used or "skipped: no WebGPU adapter"), rejects when it fails.
   */
  run(): Promise<void | string>;
}

/** The outcome of one check. */
export interface SelftestResult {
  /** The check's name. */
  name: string;
  /** Whether it passed. */
  ok: boolean;
  /** How long it took, in milliseconds. */
  ms: number;
  /** The detail a passing check resolved to, if any. */
  detail?: string;
  /** Why it failed (never secret material: the inputs are public vectors). */
  error?: string;
}

/** The outcome of a whole self-test. */
export interface SelftestReport {
  /** True when every check passed. */
  ok: boolean;
  /** One result per check, in order. */
  results: SelftestResult[];
}

/**
 * The implementations the default checks exercise: Meteor's native-backed
 * primitives. Tests replace one with a broken version to see the self-test fail.
 */
export interface SelftestPrimitives {
  /** SHA-256 (FIPS 180-4). */
  sha256(data: Uint8Array): Uint8Array;
  /** SHA3-256 (FIPS 202). */
  sha3_256(data: Uint8Array): Uint8Array;
  /** SHAKE256 (FIPS 202). */
  shake256(data: Uint8Array, outLength: number): Uint8Array;
  /** HMAC-SHA-256 (RFC 2104). */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-SHA-256 (RFC 5869). */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** ChaCha20-Poly1305 seal (RFC 8439). */
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 open (RFC 8439); throws on a bad tag. */
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array;
  /** X25519(scalar, u) (RFC 7748); null for an all-zero result. */
  x25519(scalar: Uint8Array, u: Uint8Array): Promise<Uint8Array | null>;
  /** Ed25519 public key of a 32-byte seed (RFC 8032). */
  ed25519PublicKey(seed: Uint8Array): Promise<Uint8Array>;
  /** Ed25519 signature (RFC 8032). */
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /** Ed25519 verification (RFC 8032). */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array): Promise<boolean>;
  /** ML-KEM-768 encapsulation key of a 64-byte seed (FIPS 203). */
  mlkem768PublicKey(seed: Uint8Array): Promise<Uint8Array>;
  /** ML-KEM-768 encapsulation (FIPS 203). */
  mlkem768Encapsulate(
    publicKey: Uint8Array,
  ): Promise<{ sharedSecret: Uint8Array; ciphertext: Uint8Array }>;
  /** ML-KEM-768 decapsulation (FIPS 203). */
  mlkem768Decapsulate(seed: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
  /** The FIPS 203 §7.2 encapsulation key check. */
  isValidMlKem768PublicKey(publicKey: Uint8Array): boolean;
  /** ML-DSA-65 public key of a 32-byte seed (FIPS 204). */
  mldsa65PublicKey(seed: Uint8Array): Promise<Uint8Array>;
  /** ML-DSA-65 signature with an empty context (FIPS 204). */
  mldsa65Sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /** ML-DSA-65 verification with an empty context (FIPS 204). */
  mldsa65Verify(publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array): Promise<boolean>;
  /** X-Wing public key of a 32-byte seed. */
  xwingPublicKey(seed: Uint8Array): Promise<Uint8Array>;
  /** X-Wing encapsulation, deterministic with `eseed`. */
  xwingEncapsulate(publicKey: Uint8Array, eseed?: Uint8Array): Promise<XWingEncapsulation>;
  /** X-Wing decapsulation. */
  xwingDecapsulate(seed: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
  /** HPKE single-shot seal to an X-Wing key (RFC 9180). */
  hpkeSeal(
    publicKey: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<HpkeSealed>;
  /** HPKE single-shot open with an X-Wing seed (RFC 9180). */
  hpkeOpen(
    seed: Uint8Array,
    enc: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array>;
}

/** Meteor's own primitives, as the node uses them (native WebCrypto and node:crypto). */
export const NATIVE_PRIMITIVES: SelftestPrimitives = {
  sha256,
  sha3_256,
  shake256,
  hmacSha256,
  hkdfSha256,
  seal,
  open,
  x25519,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  mlkem768PublicKey,
  mlkem768Encapsulate,
  mlkem768Decapsulate,
  isValidMlKem768PublicKey,
  mldsa65PublicKey,
  mldsa65Sign,
  mldsa65Verify,
  xwingPublicKey,
  xwingEncapsulate,
  xwingDecapsulate,
  hpkeSeal,
  hpkeOpen,
};

function expectEqual(what: string, actual: Uint8Array | null, expected: Uint8Array): void {
  if (actual === null || !constantTimeEqual(actual, expected)) {
    throw new Error(`${what}: wrong value`);
  }
}

function expect(what: string, condition: boolean): void {
  if (!condition) throw new Error(what);
}

async function expectRejects(what: string, run: () => unknown): Promise<void> {
  try {
    await run();
  } catch {
    return;
  }
  throw new Error(`${what}: accepted`);
}

const random = (length: number) => crypto.getRandomValues(new Uint8Array(length));

/**
 * The standard checks, run against `primitives` (Meteor's native ones unless
 * a test swaps some out).
 */
export function defaultChecks(
  primitives: Partial<SelftestPrimitives> = {},
): SelftestCheck[] {
  const p: SelftestPrimitives = { ...NATIVE_PRIMITIVES, ...primitives };
  return [
    {
      name: "SHA-256, SHA3-256, SHAKE256 (FIPS 180-4, FIPS 202)",
      run() {
        expectEqual("SHA-256", p.sha256(utf8("abc")), HASH_VECTORS.sha256Abc);
        expectEqual("SHA3-256", p.sha3_256(utf8("abc")), HASH_VECTORS.sha3_256Abc);
        expectEqual("SHAKE256", p.shake256(new Uint8Array(0), 32), HASH_VECTORS.shake256Empty32);
        return Promise.resolve();
      },
    },
    {
      name: "HMAC-SHA-256, HKDF-SHA-256 (RFC 4231, RFC 5869)",
      run() {
        const v = HASH_VECTORS;
        expectEqual("HMAC-SHA-256", p.hmacSha256(v.hmacKey, v.hmacData), v.hmac);
        expectEqual(
          "HKDF-SHA-256",
          p.hkdfSha256(v.hkdfIkm, v.hkdfSalt, v.hkdfInfo, v.hkdfOkm.length),
          v.hkdfOkm,
        );
        return Promise.resolve();
      },
    },
    {
      name: "ChaCha20-Poly1305 (RFC 8439 §2.8.2) native vs @noble/ciphers",
      async run() {
        const v = AEAD_VECTOR;
        expectEqual("seal", p.seal(v.key, v.nonce, v.plaintext, v.aad), v.sealed);
        expectEqual("open", p.open(v.key, v.nonce, v.sealed, v.aad), v.plaintext);
        const tampered = v.sealed.slice();
        tampered[0] ^= 1;
        await expectRejects("tampered ciphertext", () => p.open(v.key, v.nonce, tampered, v.aad));
        for (const length of [0, 1, 63, 64, 65, 1500]) {
          const key = random(32), nonce = random(12), aad = random(length % 17);
          const plaintext = random(length);
          const reference = chacha20poly1305(key, nonce, aad).encrypt(plaintext);
          expectEqual(`seal ${length} bytes`, p.seal(key, nonce, plaintext, aad), reference);
          expectEqual(`open ${length} bytes`, p.open(key, nonce, reference, aad), plaintext);
        }
      },
    },
    {
      name: "X25519 (RFC 7748 §6.1) native vs @noble/curves",
      async run() {
        const v = X25519_VECTOR;
        const base = new Uint8Array(32);
        base[0] = 9;
        expectEqual("Alice's public key", await p.x25519(v.alicePrivate, base), v.alicePublic);
        expectEqual("Bob's public key", await p.x25519(v.bobPrivate, base), v.bobPublic);
        expectEqual("shared secret", await p.x25519(v.alicePrivate, v.bobPublic), v.shared);
        expectEqual("shared secret", await p.x25519(v.bobPrivate, v.alicePublic), v.shared);
        const a = random(32), b = random(32);
        const bPublic = nobleX25519.getPublicKey(b);
        expectEqual("random", await p.x25519(a, bPublic), nobleX25519.getSharedSecret(a, bPublic));
      },
    },
    {
      name: "Ed25519 (RFC 8032 §7.1) native vs @noble/curves",
      async run() {
        for (const [i, v] of ED25519_VECTORS.entries()) {
          expectEqual(`TEST ${i + 1} public key`, await p.ed25519PublicKey(v.seed), v.publicKey);
          expectEqual(
            `TEST ${i + 1} signature`,
            await p.ed25519Sign(v.seed, v.message),
            v.signature,
          );
          expect(
            `TEST ${i + 1} verify`,
            await p.ed25519Verify(v.publicKey, v.message, v.signature),
          );
        }
        const seed = random(32), message = random(100);
        const publicKey = await p.ed25519PublicKey(seed);
        expectEqual("random public key", publicKey, ed25519.getPublicKey(seed));
        const signature = await p.ed25519Sign(seed, message);
        expectEqual("random signature", signature, ed25519.sign(message, seed));
        expect("noble verifies native", ed25519.verify(signature, message, publicKey));
        message[0] ^= 1;
        expect(
          "tampered message rejected",
          !(await p.ed25519Verify(publicKey, message, signature)),
        );
      },
    },
    {
      name: "ML-KEM-768 (FIPS 203) native vs @noble/post-quantum",
      async run() {
        const seed = random(64);
        const reference = ml_kem768.keygen(seed);
        const publicKey = await p.mlkem768PublicKey(seed);
        expectEqual("public key", publicKey, reference.publicKey);
        const ours = await p.mlkem768Encapsulate(publicKey);
        expectEqual(
          "noble decapsulates native",
          ml_kem768.decapsulate(ours.ciphertext, reference.secretKey),
          ours.sharedSecret,
        );
        const theirs = ml_kem768.encapsulate(publicKey);
        expectEqual(
          "native decapsulates noble",
          await p.mlkem768Decapsulate(seed, theirs.cipherText),
          theirs.sharedSecret,
        );
        // FIPS 203 §7.2: a coefficient equal to q = 3329 (0xd01) must be refused.
        const unreduced = publicKey.slice();
        unreduced[0] = 0x01;
        unreduced[1] = (unreduced[1] & 0xf0) | 0x0d;
        expect("modulus check refuses q", !p.isValidMlKem768PublicKey(unreduced));
        expect("modulus check accepts a real key", p.isValidMlKem768PublicKey(publicKey));
      },
    },
    {
      name: "ML-DSA-65 (FIPS 204) native vs @noble/post-quantum",
      async run() {
        const seed = random(32), message = random(64);
        const reference = ml_dsa65.keygen(seed);
        const publicKey = await p.mldsa65PublicKey(seed);
        expectEqual("public key", publicKey, reference.publicKey);
        const ours = await p.mldsa65Sign(seed, message);
        expect("noble verifies native", ml_dsa65.verify(ours, message, publicKey));
        const theirs = ml_dsa65.sign(message, reference.secretKey);
        expect("native verifies noble", await p.mldsa65Verify(publicKey, message, theirs));
        message[0] ^= 1;
        expect("tampered message rejected", !(await p.mldsa65Verify(publicKey, message, ours)));
      },
    },
    {
      name: "X-Wing (draft-connolly-cfrg-xwing-kem) vector and @noble/post-quantum",
      async run() {
        const v = XWING_VECTOR;
        const publicKey = await p.xwingPublicKey(v.seed);
        expectEqual("public key", sha3_256(publicKey), v.publicKeySha3);
        const { sharedSecret, ciphertext } = await p.xwingEncapsulate(publicKey, v.eseed);
        expectEqual("ciphertext", sha3_256(ciphertext), v.ciphertextSha3);
        expectEqual("encapsulated secret", sharedSecret, v.sharedSecret);
        expectEqual(
          "decapsulated secret",
          await p.xwingDecapsulate(v.seed, ciphertext),
          v.sharedSecret,
        );
        const seed = random(32);
        const fresh = await p.xwingEncapsulate(await p.xwingPublicKey(seed));
        expectEqual(
          "noble decapsulates native",
          ml_kem768_x25519.decapsulate(fresh.ciphertext, seed),
          fresh.sharedSecret,
        );
      },
    },
    {
      name: "HPKE X-Wing/HKDF-SHA256/ChaCha20Poly1305 (RFC 9180, CCTV age hybrid)",
      async run() {
        const v = HPKE_AGE_VECTOR;
        const none = new Uint8Array(0);
        expectEqual(
          "age file key",
          await p.hpkeOpen(v.seed, v.enc, v.info, none, v.body),
          v.fileKey,
        );
        const sealed = await p.hpkeSeal(await p.xwingPublicKey(v.seed), v.info, none, v.fileKey);
        expectEqual(
          "round trip",
          await p.hpkeOpen(v.seed, sealed.enc, v.info, none, sealed.ciphertext),
          v.fileKey,
        );
      },
    },
  ];
}

/** The standard checks on Meteor's native primitives. */
export const DEFAULT_CHECKS: readonly SelftestCheck[] = defaultChecks();

/**
 * Runs `checks` one after another and reports each with its time; never
 * throws for a failing check.
 *
 * @example
 * ```ts
 * import { selftest } from "./selftest.ts";
 * const report = await selftest();
 * console.log(report.ok, report.results.length);
 * ```
 */
export async function selftest(
  checks: readonly SelftestCheck[] = DEFAULT_CHECKS,
): Promise<SelftestReport> {
  const results: SelftestResult[] = [];
  for (const check of checks) {
    const start = performance.now();
    try {
      const detail = await check.run();
      const result: SelftestResult = { name: check.name, ok: true, ms: performance.now() - start };
      if (typeof detail === "string") result.detail = detail;
      results.push(result);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      results.push({ name: check.name, ok: false, ms: performance.now() - start, error });
    }
  }
  return { ok: results.every((r) => r.ok), results };
}
