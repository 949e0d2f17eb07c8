/**
 * Encrypting to age recipients (age spec, "Encrypted file format"): a fresh
 * 16-byte file key wrapped by every recipient, the header with its MAC, a
 * fresh payload nonce, and the STREAM payload; optionally ASCII-armored.
 * Streams run in constant memory whatever the size.
 *
 * @module
 */
import { concat, fromUtf8, utf8, wipe } from "../bytes.ts";
import { MeteorError } from "../errors.ts";
import { armorEncoder } from "./armor.ts";
import { encodeHeader } from "./header.ts";
import { prepend, readAll, streamOf } from "./_io.ts";
import { HYBRID_STANZA_TYPE } from "./mlkem768x25519.ts";
import { SCRYPT_STANZA_TYPE } from "./scrypt.ts";
import { FILE_KEY_LENGTH, type Recipient, type Stanza } from "./stanza.ts";
import { PAYLOAD_NONCE_LENGTH, payloadKey, sealChunks, type StreamOptions } from "./stream.ts";

/** Options for encryption. */
export interface EncryptOptions extends StreamOptions {
  /** Wrap the output in the ASCII armor (default false). */
  armor?: boolean;
}

/**
 * The recipient rules of age, checked on the wrapped stanzas: an scrypt
 * stanza must be alone (age spec, "The scrypt recipient type"), and
 * post-quantum (mlkem768x25519) and classical stanzas are never mixed, since
 * the file key would then be only as safe as the classical one (age >= 1.3
 * refuses the same: its hybrid recipient carries the "postquantum" label and
 * Encrypt requires every recipient's labels to be equal).
 *
 * @throws {MeteorError} E_BAD_RECIPIENT
 */
function checkRecipientMix(stanzas: readonly Stanza[]): void {
  if (stanzas.length > 1 && stanzas.some((s) => s.args[0] === SCRYPT_STANZA_TYPE)) {
    throw new MeteorError(
      "E_BAD_RECIPIENT",
      "Cannot encrypt: a passphrase cannot be combined with other recipients",
    );
  }
  const postQuantum = stanzas.filter((s) => s.args[0] === HYBRID_STANZA_TYPE).length;
  if (postQuantum > 0 && postQuantum < stanzas.length) {
    throw new MeteorError(
      "E_BAD_RECIPIENT",
      "Cannot encrypt: post-quantum and classical recipients cannot be mixed " +
        "(the file would only be classically secure)",
    );
  }
}

/**
 * Encrypts a stream to `recipients`. Resolves once every recipient wrapped the
 * file key, to the stream of the encrypted file. Throws TypeError with no
 * recipients, and MeteorError E_BAD_RECIPIENT when a passphrase (scrypt)
 * recipient is mixed with others, or post-quantum (mlkem768x25519) recipients
 * with classical ones (as age >= 1.3 refuses: the file would only be
 * classically secure).
 *
 * @example
 * ```ts
 * import { encryptStream, X25519Identity } from "./mod.ts";
 * const identity = await X25519Identity.generate();
 * const file = await encryptStream(ReadableStream.from([new Uint8Array(5)]), [identity.recipient()]);
 * ```
 */
export async function encryptStream(
  plaintext: ReadableStream<Uint8Array>,
  recipients: readonly Recipient[],
  options: EncryptOptions = {},
): Promise<ReadableStream<Uint8Array>> {
  let start: FileStart | undefined;
  try {
    start = await startFile(recipients);
    const file = prepend(start.head, sealChunks(start.key, plaintext, options));
    return options.armor ? file.pipeThrough(armorEncoder()) : file;
  } catch (err) {
    await plaintext.cancel(err).catch(() => {});
    throw err;
  } finally {
    wipe(start?.key);
  }
}

/** The start of an encrypted file: its header and payload nonce, and the payload key. */
export interface FileStart {
  /** The header (with its MAC) followed by the payload nonce. */
  head: Uint8Array;
  /** The 32-byte payload key (the caller wipes it). */
  key: Uint8Array;
}

/**
 * Wraps a fresh file key for every recipient and returns the file's header
 * and payload nonce with the payload key; the errors are those of
 * {@link encryptStream}. The file key is wiped before it returns.
 */
export async function startFile(recipients: readonly Recipient[]): Promise<FileStart> {
  if (recipients.length === 0) throw new TypeError("Cannot encrypt: no recipients");
  const fileKey = crypto.getRandomValues(new Uint8Array(FILE_KEY_LENGTH));
  try {
    const stanzas: Stanza[] = (await Promise.all(recipients.map((r) => r.wrap(fileKey)))).flat();
    checkRecipientMix(stanzas);
    const nonce = crypto.getRandomValues(new Uint8Array(PAYLOAD_NONCE_LENGTH));
    return { head: concat(encodeHeader(stanzas, fileKey), nonce), key: payloadKey(fileKey, nonce) };
  } finally {
    wipe(fileKey);
  }
}

/** Encrypts bytes to `recipients`; see {@link encryptStream}. */
export async function encrypt(
  plaintext: Uint8Array,
  recipients: readonly Recipient[],
  options: EncryptOptions = {},
): Promise<Uint8Array> {
  return await readAll(await encryptStream(streamOf(plaintext), recipients, options));
}

/**
 * Encrypts a string to `recipients` as an armored age file (the prototype's
 * `encrypt_string`).
 *
 * @example
 * ```ts
 * import { decryptString, encryptString, HybridIdentity } from "./mod.ts";
 * const me = HybridIdentity.generate();
 * const text = await encryptString("hello", [await me.recipient()]);
 * await decryptString(text, [me]); // "hello"
 * ```
 */
export async function encryptString(
  text: string,
  recipients: readonly Recipient[],
  options: Omit<EncryptOptions, "armor"> = {},
): Promise<string> {
  return fromUtf8(await encrypt(utf8(text), recipients, { ...options, armor: true }));
}
