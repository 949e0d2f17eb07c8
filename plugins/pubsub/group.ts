/**
 * Private topics (docs/pubsub.md §4): the body of a private envelope is
 * sealed under the topic's epoch key, and the owner hands each member that
 * key sealed to the member's X-Wing key (HPKE, RFC 9180) in a key grant.
 * Pure functions on bytes; who holds which key is the store's business.
 *
 * @module
 */
import { concat, utf8 } from "../../core/bytes.ts";
import {
  AEAD_KEY_LENGTH,
  AEAD_NONCE_LENGTH,
  hkdfSha256,
  hpkeSeal,
  open,
  seal,
  XWING_CIPHERTEXT_LENGTH,
} from "../../core/crypto/mod.ts";
import { MeteorError } from "../../core/errors.ts";
import type { Decryptor } from "../../core/plugin.ts";
import { checkTopic } from "./envelope.ts";

/** The HKDF info of a message key (docs/pubsub.md §4.3). */
const BODY_INFO = utf8("meteor/v1/pubsub-body");
/** The HPKE info of a key grant (docs/pubsub.md §4.2). */
const GRANT_INFO = utf8("meteor/v1/pubsub-topic-key");
/** "MTPK": the first four bytes of a key grant. */
const GRANT_MAGIC = utf8("MTPK");
/** The grant version. */
const GRANT_VERSION = 1;
/** The sealed key: 32 bytes and the 16-byte tag. */
const SEALED_KEY_LENGTH = AEAD_KEY_LENGTH + 16;
/** Each body is sealed under its own key, so the AEAD nonce is fixed (docs/pubsub.md §4.3). */
const ZERO_NONCE = new Uint8Array(AEAD_NONCE_LENGTH);

/** A topic key of one epoch, as a grant carries it. */
export interface TopicKey {
  /** The private topic. */
  topic: string;
  /** The key's epoch: 1 at creation, one more at each rotation. */
  epoch: number;
  /** The 32-byte epoch key. */
  key: Uint8Array;
}

/** The key of one message: HKDF-SHA-256(epoch key, salt = envelope nonce). */
function messageKey(epochKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  return hkdfSha256(epochKey, nonce, BODY_INFO, AEAD_KEY_LENGTH);
}

/** Seals a private body: ChaCha20-Poly1305 under the message key, `aad` the bound header. */
export function sealBody(
  epochKey: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  const key = messageKey(epochKey, nonce);
  try {
    return seal(key, ZERO_NONCE, plaintext, aad);
  } finally {
    key.fill(0);
  }
}

/** Opens a private body; E_DECRYPT_FAILED when it does not authenticate. */
export function openBody(
  epochKey: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array {
  const key = messageKey(epochKey, nonce);
  try {
    return open(key, ZERO_NONCE, ciphertext, aad);
  } finally {
    key.fill(0);
  }
}

/** "MTPK" || version || u16 topic length || topic || u32 epoch: the grant's header and HPKE aad. */
function grantHeader(topic: string, epoch: number): Uint8Array {
  const name = utf8(checkTopic(topic));
  const head = new Uint8Array(7);
  head.set(GRANT_MAGIC);
  head[4] = GRANT_VERSION;
  new DataView(head.buffer).setUint16(5, name.length);
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, epoch);
  return concat(head, name, tail);
}

/** A key grant for the member whose X-Wing public key is `xwing` (docs/pubsub.md §4.2). */
export async function sealGrant(xwing: Uint8Array, key: TopicKey): Promise<Uint8Array> {
  const header = grantHeader(key.topic, key.epoch);
  const { enc, ciphertext } = await hpkeSeal(xwing, GRANT_INFO, header, key.key);
  return concat(header, enc, ciphertext);
}

/**
 * Opens a key grant sealed to this node. E_MALFORMED for a bad layout,
 * E_DECRYPT_FAILED when it was not sealed to this node or was changed.
 */
export async function openGrant(decryptor: Decryptor, grant: Uint8Array): Promise<TopicKey> {
  const bad = () => new MeteorError("E_MALFORMED", "Cannot read topic key grant: malformed");
  if (grant.length < 7 + 1 + 4 + XWING_CIPHERTEXT_LENGTH + SEALED_KEY_LENGTH) throw bad();
  for (let i = 0; i < 4; i++) if (grant[i] !== GRANT_MAGIC[i]) throw bad();
  if (grant[4] !== GRANT_VERSION) throw bad();
  const view = new DataView(grant.buffer, grant.byteOffset, grant.byteLength);
  const nameLength = view.getUint16(5);
  const headerLength = 7 + nameLength + 4;
  if (grant.length !== headerLength + XWING_CIPHERTEXT_LENGTH + SEALED_KEY_LENGTH) throw bad();
  let topic: string;
  try {
    topic = checkTopic(
      new TextDecoder("utf-8", { fatal: true }).decode(grant.subarray(7, 7 + nameLength)),
    );
  } catch {
    throw bad();
  }
  const epoch = view.getUint32(7 + nameLength);
  if (epoch === 0) throw bad();
  const header = grant.slice(0, headerLength);
  const enc = grant.slice(headerLength, headerLength + XWING_CIPHERTEXT_LENGTH);
  const sealed = grant.slice(headerLength + XWING_CIPHERTEXT_LENGTH);
  return { topic, epoch, key: await decryptor.open(enc, GRANT_INFO, header, sealed) };
}
