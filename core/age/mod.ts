/**
 * The age v1 file format (C2SP age specification) with age 1.3's hybrid
 * post-quantum recipients: Meteor's format for files and sealed messages,
 * readable by any age >= 1.3 and able to read what they write.
 *
 * Recipient types: `mlkem768x25519` (X-Wing, `age1pq1...`), `X25519`
 * (`age1...`) and `scrypt` (passphrase). Multiple recipients, ASCII armor,
 * streaming in 64 KiB chunks in constant memory.
 *
 * @example
 * ```ts
 * import { decrypt, encrypt, HybridIdentity } from "./mod.ts";
 * const me = HybridIdentity.generate();
 * const file = await encrypt(new TextEncoder().encode("hi"), [await me.recipient()]);
 * new TextDecoder().decode(await decrypt(file, [me])); // "hi"
 * ```
 *
 * @module
 */
export * from "./stanza.ts";
export * from "./bech32.ts";
export {
  encodeHeader,
  encodeHeaderWithoutMac,
  type Header,
  headerMac,
  MAX_HEADER_SIZE,
  verifyHeaderMac,
  VERSION_LINE,
} from "./header.ts";
export {
  CHUNK_SIZE,
  chunkNonce,
  DEFAULT_WINDOW,
  PAYLOAD_NONCE_LENGTH,
  payloadKey,
  SEALED_CHUNK_SIZE,
  type StreamOptions,
} from "./stream.ts";
export type { AeadJob, BatchAead } from "../crypto/batch_types.ts";
export * from "./armor.ts";
export * from "./x25519.ts";
export * from "./scrypt.ts";
export * from "./mlkem768x25519.ts";
export * from "./keys.ts";
export { encrypt, type EncryptOptions, encryptStream, encryptString } from "./encrypt.ts";
export { decrypt, type DecryptOptions, decryptStream, decryptString } from "./decrypt.ts";
export * from "./file.ts";
export {
  type RunRequest,
  type RunResult,
  StreamPool,
  type StreamPoolOptions,
  type StreamPoolStats,
} from "./stream_pool.ts";
