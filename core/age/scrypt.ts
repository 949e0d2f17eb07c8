/**
 * The scrypt recipient type (age spec, "The scrypt recipient type"): the file
 * key sealed under scrypt(N = 2^logN, r = 8, p = 1) of a passphrase with the
 * salt "age-encryption.org/v1/scrypt" || 16 random bytes. An scrypt stanza
 * must be the only stanza of its header. scrypt is node:crypto's (RFC 7914).
 *
 * @module
 */
import { nodeCrypto } from "../crypto/_node_crypto.ts";
import { concat, utf8, wipe } from "../bytes.ts";
import { MeteorError } from "../errors.ts";
import { decodeBase64NoPad, encodeBase64NoPad } from "./_base64.ts";
import { checkWrappedKey, openFileKey, sealFileKey } from "./_wrap.ts";
import type { Identity, Recipient, Stanza } from "./stanza.ts";

/** The stanza type, which is also the first argument. */
export const SCRYPT_STANZA_TYPE = "scrypt";
/** The work factor (log2 N) used when encrypting unless chosen: age's default. */
export const DEFAULT_SCRYPT_LOG_N = 18;
/** The highest work factor accepted when decrypting unless chosen (1 GiB of memory). */
export const MAX_SCRYPT_LOG_N = 20;
const LABEL = "age-encryption.org/v1/scrypt";
const SALT_LENGTH = 16;
const R = 8;

function deriveKey(passphrase: Uint8Array, salt: Uint8Array, logN: number): Promise<Uint8Array> {
  const N = 2 ** logN;
  const fullSalt = concat(utf8(LABEL), salt);
  return new Promise((resolve, reject) => {
    // RFC 7914 §2: memory is about 128 * N * r bytes; allow it explicitly.
    nodeCrypto().scrypt(
      passphrase,
      fullSalt,
      32,
      { N, r: R, p: 1, maxmem: 256 * N * R },
      (err, key) => {
        if (err) reject(err);
        else resolve(new Uint8Array(key));
        key?.fill(0);
      },
    );
  });
}

function checkLogN(logN: number, name: string): void {
  if (!Number.isSafeInteger(logN) || logN < 1 || logN > 30) {
    throw new RangeError(`${name} must be an integer from 1 to 30, got ${logN}`);
  }
}

/** Fails a use of a disposed passphrase recipient or identity. */
function live(passphrase: Uint8Array | null): Uint8Array {
  if (passphrase === null) throw new TypeError("Cannot use passphrase: it was disposed");
  return passphrase;
}

/**
 * Encrypts to a passphrase. `dispose()` (or `using`) wipes the passphrase
 * bytes; the recipient cannot be used after that.
 */
export class ScryptRecipient implements Recipient, Disposable {
  #passphrase: Uint8Array | null;
  #logN: number;

  /** A passphrase recipient with work factor 2^`logN` (default {@link DEFAULT_SCRYPT_LOG_N}). */
  constructor(passphrase: string, logN = DEFAULT_SCRYPT_LOG_N) {
    if (passphrase.length === 0) throw new TypeError("passphrase must not be empty");
    checkLogN(logN, "logN");
    this.#passphrase = utf8(passphrase);
    this.#logN = logN;
  }

  /** One `scrypt` stanza with a fresh salt (age spec, "scrypt recipient stanza"). */
  async wrap(fileKey: Uint8Array): Promise<Stanza[]> {
    const salt = crypto.getRandomValues(new Uint8Array(SALT_LENGTH));
    const key = await deriveKey(live(this.#passphrase), salt, this.#logN);
    try {
      return [{
        args: [SCRYPT_STANZA_TYPE, encodeBase64NoPad(salt), String(this.#logN)],
        body: sealFileKey(key, fileKey),
      }];
    } finally {
      wipe(key);
    }
  }

  /** Wipes the passphrase bytes; every later use throws TypeError. */
  dispose(): void {
    wipe(this.#passphrase ?? undefined);
    this.#passphrase = null;
  }

  /** Same as {@link dispose} (for `using`). */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Decrypts with a passphrase. `dispose()` (or `using`) wipes the passphrase
 * bytes; the identity cannot be used after that.
 */
export class ScryptIdentity implements Identity, Disposable {
  #passphrase: Uint8Array | null;
  #maxLogN: number;

  /** A passphrase identity refusing work factors above 2^`maxLogN` (default {@link MAX_SCRYPT_LOG_N}). */
  constructor(passphrase: string, maxLogN = MAX_SCRYPT_LOG_N) {
    checkLogN(maxLogN, "maxLogN");
    this.#passphrase = utf8(passphrase);
    this.#maxLogN = maxLogN;
  }

  /**
   * Unwraps the `scrypt` stanza. Throws MeteorError E_HEADER_INVALID when it
   * is not alone, has other than three arguments, a salt that is not canonical
   * base64 of 16 bytes, a work factor not written `^[1-9][0-9]*$` or above
   * the limit, or a body that is not 32 bytes.
   */
  async unwrap(stanzas: readonly Stanza[]): Promise<Uint8Array | null> {
    const stanza = stanzas.find((s) => s.args[0] === SCRYPT_STANZA_TYPE);
    if (stanza === undefined) return null;
    if (stanzas.length !== 1) invalid("it is not the only stanza");
    if (stanza.args.length !== 3) invalid("wrong number of arguments");
    const salt = decodeBase64NoPad(stanza.args[1]);
    if (salt === null || salt.length !== SALT_LENGTH) invalid("bad salt");
    const factor = stanza.args[2];
    if (!/^[1-9][0-9]*$/.test(factor)) invalid("bad work factor");
    const logN = Number(factor);
    if (logN > this.#maxLogN) invalid("work factor too high");
    checkWrappedKey(stanza.body, SCRYPT_STANZA_TYPE);
    const key = await deriveKey(live(this.#passphrase), salt, logN);
    try {
      return openFileKey(key, stanza.body);
    } finally {
      wipe(key);
    }
  }

  /** Wipes the passphrase bytes; every later use throws TypeError. */
  dispose(): void {
    wipe(this.#passphrase ?? undefined);
    this.#passphrase = null;
  }

  /** Same as {@link dispose} (for `using`). */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

function invalid(state: string): never {
  throw new MeteorError("E_HEADER_INVALID", `Cannot unwrap scrypt stanza: ${state}`);
}
