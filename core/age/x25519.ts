/**
 * The X25519 recipient type (age spec, "The X25519 recipient type"):
 * recipients `age1...`, identities `AGE-SECRET-KEY-1...`, stanzas
 * `-> X25519 <ephemeral share>` whose body is the file key sealed under
 * HKDF-SHA-256(shared secret, share || recipient, "age-encryption.org/v1/X25519").
 *
 * @module
 */
import { checkLength, concat, utf8, wipe } from "../bytes.ts";
import { MeteorError } from "../errors.ts";
import { x25519, x25519Base } from "../crypto/x25519.ts";
import { hkdfSha256 } from "../crypto/hash.ts";
import { bech32DecodeKey, bech32Encode } from "./bech32.ts";
import { decodeBase64NoPad, encodeBase64NoPad } from "./_base64.ts";
import { checkWrappedKey, openFileKey, sealFileKey } from "./_wrap.ts";
import type { Identity, Recipient, Stanza } from "./stanza.ts";

/** The Bech32 human-readable part of X25519 recipients. */
export const X25519_RECIPIENT_HRP = "age";
/** The Bech32 human-readable part of X25519 identities (upper case). */
export const X25519_IDENTITY_HRP = "AGE-SECRET-KEY-";
const STANZA_TYPE = "X25519";
const LABEL = utf8("age-encryption.org/v1/X25519");
const KEY_LENGTH = 32;

function wrapKey(shared: Uint8Array, share: Uint8Array, recipient: Uint8Array): Uint8Array {
  return hkdfSha256(shared, concat(share, recipient), LABEL, 32);
}

/** An X25519 recipient: a 32-byte Curve25519 public key. */
export class X25519Recipient implements Recipient {
  /** The 32-byte public key. */
  readonly publicKey: Uint8Array;

  /** Wraps a 32-byte public key (copied). */
  constructor(publicKey: Uint8Array) {
    checkLength("publicKey", publicKey, KEY_LENGTH);
    this.publicKey = publicKey.slice();
  }

  /**
   * Parses `age1...`; throws MeteorError E_BAD_RECIPIENT.
   *
   * @example
   * ```ts
   * import { X25519Recipient } from "./x25519.ts";
   * X25519Recipient.parse("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
   * ```
   */
  static parse(text: string): X25519Recipient {
    const decoded = bech32DecodeKey(text, X25519_RECIPIENT_HRP, KEY_LENGTH);
    if (decoded === null) {
      throw new MeteorError("E_BAD_RECIPIENT", "Cannot parse X25519 recipient: not age1...");
    }
    return new X25519Recipient(decoded);
  }

  /** The `age1...` encoding. */
  toString(): string {
    return bech32Encode(X25519_RECIPIENT_HRP, this.publicKey);
  }

  /** One `X25519` stanza with a fresh ephemeral share (age spec, "X25519 recipient stanza"). */
  async wrap(fileKey: Uint8Array): Promise<Stanza[]> {
    const ephemeral = crypto.getRandomValues(new Uint8Array(KEY_LENGTH));
    let shared: Uint8Array | null = null;
    let key: Uint8Array | undefined;
    try {
      const share = await x25519Base(ephemeral);
      shared = await x25519(ephemeral, this.publicKey);
      if (shared === null) {
        throw new MeteorError("E_BAD_KEY", "Cannot wrap to X25519 recipient: low-order public key");
      }
      key = wrapKey(shared, share, this.publicKey);
      return [{ args: [STANZA_TYPE, encodeBase64NoPad(share)], body: sealFileKey(key, fileKey) }];
    } finally {
      wipe(ephemeral, shared ?? undefined, key);
    }
  }
}

/**
 * An X25519 identity: a 32-byte secret scalar. `dispose()` (or `using`)
 * wipes the secret; the identity cannot be used after that.
 */
export class X25519Identity implements Identity, Disposable {
  #secret: Uint8Array;
  #publicKey: Uint8Array;
  #disposed = false;

  private constructor(secret: Uint8Array, publicKey: Uint8Array) {
    this.#secret = secret;
    this.#publicKey = publicKey;
  }

  /** The identity of a 32-byte secret scalar (copied). */
  static async fromSecret(secret: Uint8Array): Promise<X25519Identity> {
    checkLength("secret", secret, KEY_LENGTH);
    const own = secret.slice();
    return new X25519Identity(own, await x25519Base(own));
  }

  /** A fresh random identity. */
  static generate(): Promise<X25519Identity> {
    const secret = crypto.getRandomValues(new Uint8Array(KEY_LENGTH));
    return X25519Identity.fromSecret(secret).finally(() => wipe(secret));
  }

  /** Parses `AGE-SECRET-KEY-1...` (upper case); throws MeteorError E_MALFORMED. */
  static async parse(text: string): Promise<X25519Identity> {
    const decoded = bech32DecodeKey(text, X25519_IDENTITY_HRP, KEY_LENGTH);
    if (decoded === null) {
      throw new MeteorError("E_MALFORMED", "Cannot parse X25519 identity: not AGE-SECRET-KEY-1...");
    }
    try {
      return await X25519Identity.fromSecret(decoded);
    } finally {
      wipe(decoded);
    }
  }

  /** The `AGE-SECRET-KEY-1...` encoding (a secret: never log it). */
  toString(): string {
    return bech32Encode(X25519_IDENTITY_HRP, this.#live(), true);
  }

  /** Wipes the secret; every later use throws TypeError. */
  dispose(): void {
    this.#disposed = true;
    wipe(this.#secret);
  }

  /** Same as {@link dispose} (for `using`). */
  [Symbol.dispose](): void {
    this.dispose();
  }

  #live(): Uint8Array {
    if (this.#disposed) throw new TypeError("Cannot use identity: it was disposed");
    return this.#secret;
  }

  /** The matching recipient. */
  recipient(): X25519Recipient {
    this.#live();
    return new X25519Recipient(this.#publicKey);
  }

  /**
   * Tries every `X25519` stanza; a malformed one (argument count, share not
   * canonical base64 of 32 bytes, body not 32 bytes, all-zero shared secret)
   * throws MeteorError E_HEADER_INVALID (age spec, "X25519 recipient stanza").
   */
  async unwrap(stanzas: readonly Stanza[]): Promise<Uint8Array | null> {
    for (const stanza of stanzas) {
      if (stanza.args[0] !== STANZA_TYPE) continue;
      const share = stanza.args.length === 2 ? decodeBase64NoPad(stanza.args[1]) : null;
      if (share === null || share.length !== KEY_LENGTH) invalidStanza("bad share");
      checkWrappedKey(stanza.body, STANZA_TYPE);
      const shared = await x25519(this.#live(), share);
      if (shared === null) invalidStanza("low-order share");
      const key = wrapKey(shared, share, this.#publicKey);
      try {
        const fileKey = openFileKey(key, stanza.body);
        if (fileKey !== null) return fileKey;
      } finally {
        wipe(shared, key);
      }
    }
    return null;
  }
}

function invalidStanza(state: string): never {
  throw new MeteorError("E_HEADER_INVALID", `Cannot unwrap X25519 stanza: ${state}`);
}
