/**
 * Decrypting age files (age spec): read and check the header, unwrap the
 * file key with the first identity that can, verify the header MAC, then
 * stream the payload. Each failure class has its own code: E_ARMOR_INVALID,
 * E_HEADER_INVALID, E_NO_MATCHING_IDENTITY, E_HEADER_MAC, and E_DECRYPT_FAILED
 * for the payload (which never says which check failed).
 *
 * @module
 */
import { concatAll, fromUtf8, utf8, wipe } from "../bytes.ts";
import { MeteorError } from "../errors.ts";
import { armorDecoder } from "./armor.ts";
import { MAX_HEADER_SIZE, readHeader, verifyHeaderMac } from "./header.ts";
import { ByteReader, prepend, readAll, streamOf } from "./_io.ts";
import { SCRYPT_STANZA_TYPE } from "./scrypt.ts";
import type { Identity } from "./stanza.ts";
import { openChunks, PAYLOAD_NONCE_LENGTH, payloadKey, type StreamOptions } from "./stream.ts";

/** Options for decryption. */
export interface DecryptOptions extends StreamOptions {
  /**
   * Whether the input is ASCII-armored: true, false, or "auto" (the default:
   * armored when it starts, after optional whitespace, with `-----BEGIN`).
   */
  armor?: boolean | "auto";
  /** The largest header accepted, in bytes (default {@link MAX_HEADER_SIZE}). */
  maxHeaderSize?: number;
}

/** Bytes looked at to detect the armor: leading whitespace allowance and "-----BEGIN". */
const DETECT_LENGTH = 1024 + 10;

/** Reads the first bytes of `input` to tell armor from binary; returns the rebuilt stream. */
async function detectArmor(
  input: ReadableStream<Uint8Array>,
): Promise<{ armored: boolean; stream: ReadableStream<Uint8Array> }> {
  const reader = input.getReader();
  const parts: Uint8Array[] = [];
  let length = 0;
  while (length < DETECT_LENGTH) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    length += value.length;
  }
  reader.releaseLock();
  const head = concatAll(parts);
  return { armored: looksArmored(head), stream: prepend(head, input) };
}

/**
 * Whether a file starting with `head` (at least its first 1,034 bytes, or
 * all of it) is ASCII-armored: `-----BEGIN` after optional whitespace.
 */
export function looksArmored(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head.subarray(0, DETECT_LENGTH)).trimStart();
  return text.startsWith("-----BEGIN");
}

/**
 * Decrypts an age file stream with `identities` (tried in order). Resolves,
 * once the header is verified, to the plaintext stream; that stream errors
 * with MeteorError E_DECRYPT_FAILED (or E_ARMOR_INVALID) if the rest of the
 * file is damaged, after releasing only verified plaintext. Rejects with
 * E_ARMOR_INVALID, E_HEADER_INVALID, E_NO_MATCHING_IDENTITY or E_HEADER_MAC.
 *
 * @example
 * ```ts
 * import { decryptStream, encrypt, X25519Identity } from "./mod.ts";
 * const me = await X25519Identity.generate();
 * const file = await encrypt(new Uint8Array(3), [me.recipient()]);
 * const plaintext = await decryptStream(ReadableStream.from([file]), [me]);
 * ```
 */
export async function decryptStream(
  file: ReadableStream<Uint8Array>,
  identities: readonly Identity[],
  options: DecryptOptions = {},
): Promise<ReadableStream<Uint8Array>> {
  if (identities.length === 0) throw new TypeError("Cannot decrypt: no identities");
  let input = file;
  let armored = options.armor ?? "auto";
  if (armored === "auto") ({ armored, stream: input } = await detectArmor(file));
  const reader = new ByteReader(armored ? input.pipeThrough(armorDecoder()) : input);
  let key: Uint8Array | undefined;
  try {
    key = await readFileStart(reader, identities, options.maxHeaderSize ?? MAX_HEADER_SIZE);
    return openChunks(key, reader, options);
  } catch (err) {
    await reader.cancel(err);
    throw err;
  } finally {
    wipe(key);
  }
}

/**
 * Reads the header and payload nonce from `reader`, unwraps the file key
 * with the first of `identities` that can and verifies the header MAC;
 * returns the payload key (the caller wipes it), with `reader` at the first
 * payload chunk. Rejects as {@link decryptStream} does; the file key is wiped.
 */
export async function readFileStart(
  reader: ByteReader,
  identities: readonly Identity[],
  maxHeaderSize: number = MAX_HEADER_SIZE,
): Promise<Uint8Array> {
  if (identities.length === 0) throw new TypeError("Cannot decrypt: no identities");
  let fileKey: Uint8Array | null = null;
  try {
    const header = await readHeader(reader, maxHeaderSize);
    const { stanzas } = header;
    // age spec, "scrypt recipient stanza": an scrypt stanza must be alone.
    if (stanzas.length > 1 && stanzas.some((s) => s.args[0] === SCRYPT_STANZA_TYPE)) {
      throw new MeteorError("E_HEADER_INVALID", "Cannot parse age header: scrypt stanza not alone");
    }
    for (const identity of identities) {
      fileKey = await identity.unwrap(stanzas);
      if (fileKey !== null) break;
    }
    if (fileKey === null) {
      throw new MeteorError(
        "E_NO_MATCHING_IDENTITY",
        "Cannot decrypt: no identity matches a recipient of this file",
      );
    }
    if (!verifyHeaderMac(fileKey, header)) {
      throw new MeteorError("E_HEADER_MAC", "Cannot decrypt: the header MAC does not verify");
    }
    const nonce = await reader.read(PAYLOAD_NONCE_LENGTH);
    if (nonce.length !== PAYLOAD_NONCE_LENGTH) {
      throw new MeteorError("E_HEADER_INVALID", "Cannot decrypt: the payload nonce is missing");
    }
    return payloadKey(fileKey, nonce);
  } finally {
    wipe(fileKey ?? undefined);
  }
}

/** Decrypts an age file held in memory; see {@link decryptStream}. */
export async function decrypt(
  file: Uint8Array,
  identities: readonly Identity[],
  options: DecryptOptions = {},
): Promise<Uint8Array> {
  return await readAll(await decryptStream(streamOf(file), identities, options));
}

/**
 * Decrypts an age file (armored or not) to a string (the prototype's
 * `decrypt_string`); throws TypeError when the plaintext is not UTF-8.
 */
export async function decryptString(
  file: string,
  identities: readonly Identity[],
  options: DecryptOptions = {},
): Promise<string> {
  return fromUtf8(await decrypt(utf8(file), identities, options));
}
