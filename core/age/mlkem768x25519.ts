/**
 * The hybrid post-quantum recipient type of age 1.3 (age spec, "The
 * MLKEM768-X25519 (i.e. X-Wing) hybrid post-quantum recipient type"):
 * recipients `age1pq1...` (the 1216-byte X-Wing public key), identities
 * `AGE-SECRET-KEY-PQ-1...` (the 32-byte X-Wing seed), stanzas
 * `-> mlkem768x25519 <enc>` whose body is the HPKE base-mode seal of the file
 * key (RFC 9180 §6.1, KEM X-Wing, HKDF-SHA256, ChaCha20Poly1305,
 * info "age-encryption.org/mlkem768x25519", empty aad).
 *
 * A Meteor node's X-Wing key is such an identity: its seed exports as
 * `AGE-SECRET-KEY-PQ-1...` and its public key as `age1pq1...`.
 *
 * @module
 */
import { checkLength, utf8, wipe } from "../bytes.ts";
import { isMeteorError, MeteorError } from "../errors.ts";
import { hpkeOpen, hpkeSeal } from "../crypto/hpke.ts";
import {
  checkXWingPublicKey,
  XWING_CIPHERTEXT_LENGTH,
  XWING_PUBLIC_KEY_LENGTH,
  XWING_SEED_LENGTH,
  xwingPublicKey,
} from "../crypto/xwing.ts";
import { bech32DecodeKey, bech32Encode } from "./bech32.ts";
import { decodeBase64NoPad, encodeBase64NoPad } from "./_base64.ts";
import { checkWrappedKey } from "./_wrap.ts";
import type { Identity, Recipient, Stanza } from "./stanza.ts";

/** The Bech32 human-readable part of hybrid recipients. */
export const HYBRID_RECIPIENT_HRP = "age1pq";
/** The Bech32 human-readable part of hybrid identities (upper case). */
export const HYBRID_IDENTITY_HRP = "AGE-SECRET-KEY-PQ-";
/** The stanza type, which is also the first argument. */
export const HYBRID_STANZA_TYPE = "mlkem768x25519";
const INFO = utf8("age-encryption.org/mlkem768x25519");
const EMPTY = new Uint8Array(0);

/** A hybrid recipient: an X-Wing public key. */
export class HybridRecipient implements Recipient {
  /** The 1216-byte X-Wing public key. */
  readonly publicKey: Uint8Array;

  /**
   * Wraps a 1216-byte X-Wing public key (copied); throws MeteorError E_BAD_KEY
   * when its ML-KEM part fails the FIPS 203 §7.2 modulus check.
   */
  constructor(publicKey: Uint8Array) {
    checkXWingPublicKey(publicKey);
    this.publicKey = publicKey.slice();
  }

  /** Parses `age1pq1...`; throws MeteorError E_BAD_RECIPIENT or E_BAD_KEY. */
  static parse(text: string): HybridRecipient {
    const key = bech32DecodeKey(text, HYBRID_RECIPIENT_HRP, XWING_PUBLIC_KEY_LENGTH);
    if (key === null) {
      throw new MeteorError("E_BAD_RECIPIENT", "Cannot parse hybrid recipient: not age1pq1...");
    }
    return new HybridRecipient(key);
  }

  /** The `age1pq1...` encoding. */
  toString(): string {
    return bech32Encode(HYBRID_RECIPIENT_HRP, this.publicKey);
  }

  /** One `mlkem768x25519` stanza (age spec, "mlkem768x25519 recipient stanza"). */
  async wrap(fileKey: Uint8Array): Promise<Stanza[]> {
    const { enc, ciphertext } = await hpkeSeal(this.publicKey, INFO, EMPTY, fileKey);
    return [{ args: [HYBRID_STANZA_TYPE, encodeBase64NoPad(enc)], body: ciphertext }];
  }
}

/**
 * A hybrid identity: a 32-byte X-Wing seed. `dispose()` (or `using`) wipes
 * the seed; the identity cannot be used after that.
 */
export class HybridIdentity implements Identity, Disposable {
  #seed: Uint8Array;
  #disposed = false;

  /** The identity of a 32-byte X-Wing seed (copied). */
  constructor(seed: Uint8Array) {
    checkLength("seed", seed, XWING_SEED_LENGTH);
    this.#seed = seed.slice();
  }

  /** A fresh random identity. */
  static generate(): HybridIdentity {
    const seed = crypto.getRandomValues(new Uint8Array(XWING_SEED_LENGTH));
    try {
      return new HybridIdentity(seed);
    } finally {
      wipe(seed);
    }
  }

  /** Parses `AGE-SECRET-KEY-PQ-1...` (upper case); throws MeteorError E_MALFORMED. */
  static parse(text: string): HybridIdentity {
    const seed = bech32DecodeKey(text, HYBRID_IDENTITY_HRP, XWING_SEED_LENGTH);
    if (seed === null) {
      throw new MeteorError(
        "E_MALFORMED",
        "Cannot parse hybrid identity: not AGE-SECRET-KEY-PQ-1...",
      );
    }
    try {
      return new HybridIdentity(seed);
    } finally {
      wipe(seed);
    }
  }

  /** The `AGE-SECRET-KEY-PQ-1...` encoding (a secret: never log it). */
  toString(): string {
    return bech32Encode(HYBRID_IDENTITY_HRP, this.#live(), true);
  }

  /** The matching recipient. */
  async recipient(): Promise<HybridRecipient> {
    return new HybridRecipient(await xwingPublicKey(this.#live()));
  }

  /** Wipes the seed; every later use throws TypeError. */
  dispose(): void {
    this.#disposed = true;
    wipe(this.#seed);
  }

  /** Same as {@link dispose} (for `using`). */
  [Symbol.dispose](): void {
    this.dispose();
  }

  #live(): Uint8Array {
    if (this.#disposed) throw new TypeError("Cannot use identity: it was disposed");
    return this.#seed;
  }

  /**
   * Tries every `mlkem768x25519` stanza; a malformed one (argument count, enc
   * not canonical base64 of 1120 bytes, body not 32 bytes, low-order X25519
   * part) throws MeteorError E_HEADER_INVALID.
   */
  async unwrap(stanzas: readonly Stanza[]): Promise<Uint8Array | null> {
    for (const stanza of stanzas) {
      if (stanza.args[0] !== HYBRID_STANZA_TYPE) continue;
      const enc = stanza.args.length === 2 ? decodeBase64NoPad(stanza.args[1]) : null;
      if (enc === null || enc.length !== XWING_CIPHERTEXT_LENGTH) invalid("bad enc");
      checkWrappedKey(stanza.body, HYBRID_STANZA_TYPE);
      try {
        return await hpkeOpen(this.#live(), enc, INFO, EMPTY, stanza.body);
      } catch (err) {
        if (isMeteorError(err, "E_DECRYPT_FAILED")) continue;
        if (isMeteorError(err, "E_MALFORMED")) invalid("low-order X25519 share");
        throw err;
      }
    }
    return null;
  }
}

function invalid(state: string): never {
  throw new MeteorError("E_HEADER_INVALID", `Cannot unwrap mlkem768x25519 stanza: ${state}`);
}
