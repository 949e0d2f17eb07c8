/**
 * Private topics (docs/pubsub.md §4): the body of a private envelope is
 * sealed under the topic's epoch key, and the owner hands each member that
 * key sealed to the member's X-Wing key (HPKE, RFC 9180) in a key grant.
 * Pure functions on bytes; who holds which key is the store's business.
 *
 * @module
 */
import { concat, toHex, utf8 } from "../../core/bytes.ts";
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
/** The grant version (2: the grant carries the group ID). */
const GRANT_VERSION = 2;
/** The random ID of a private topic, drawn by its owner, in bytes. */
export const GROUP_ID_LENGTH = 16;
/** What every private topic's gossipsub topic starts with; no topic name may (docs/pubsub.md §4.1). */
export const GROUP_TOPIC_PREFIX = "meteor-group/";
/** magic, version, group ID, u16 name length. */
const GRANT_FIXED_LENGTH = 4 + 1 + GROUP_ID_LENGTH + 2;
/** The sealed key: 32 bytes and the 16-byte tag. */
const SEALED_KEY_LENGTH = AEAD_KEY_LENGTH + 16;
/** Each body is sealed under its own key, so the AEAD nonce is fixed (docs/pubsub.md §4.3). */
const ZERO_NONCE = new Uint8Array(AEAD_NONCE_LENGTH);

/**
 * Checks a topic name a user gives (to publish on, or to create or name a
 * private topic): {@link checkTopic}'s rule, and not starting with
 * {@link GROUP_TOPIC_PREFIX}, so a name never collides with a private
 * topic's gossipsub topic. E_MALFORMED otherwise.
 */
export function checkTopicName(topic: unknown): string {
  if (checkTopic(topic).startsWith(GROUP_TOPIC_PREFIX)) {
    throw new MeteorError(
      "E_MALFORMED",
      `Cannot use topic: names starting with "${GROUP_TOPIC_PREFIX}" are private topics' gossip topics`,
    );
  }
  return topic as string;
}

/**
 * The gossipsub topic of the private topic whose ID is `id`: the prefix and
 * the ID in hex. It reveals neither the topic's name nor its owner, and two
 * private topics of one name never share it.
 */
export function groupTopic(id: Uint8Array): string {
  if (id.length !== GROUP_ID_LENGTH) throw new RangeError("group id must be 16 bytes");
  return GROUP_TOPIC_PREFIX + toHex(id);
}

/** A topic key of one epoch, as a grant carries it. */
export interface TopicKey {
  /** The private topic's name. */
  topic: string;
  /** The private topic's ID (its gossipsub topic is {@link groupTopic} of it). */
  id: Uint8Array;
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

/**
 * "MTPK" || version || group ID (16) || u16 name length || name || u32 epoch:
 * the grant's header and HPKE aad.
 */
function grantHeader(topic: string, id: Uint8Array, epoch: number): Uint8Array {
  const name = utf8(checkTopicName(topic));
  if (id.length !== GROUP_ID_LENGTH) throw new RangeError("group id must be 16 bytes");
  const head = new Uint8Array(GRANT_FIXED_LENGTH);
  head.set(GRANT_MAGIC);
  head[4] = GRANT_VERSION;
  head.set(id, 5);
  new DataView(head.buffer).setUint16(5 + GROUP_ID_LENGTH, name.length);
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, epoch);
  return concat(head, name, tail);
}

/** A key grant for the member whose X-Wing public key is `xwing` (docs/pubsub.md §4.2). */
export async function sealGrant(xwing: Uint8Array, key: TopicKey): Promise<Uint8Array> {
  const header = grantHeader(key.topic, key.id, key.epoch);
  const { enc, ciphertext } = await hpkeSeal(xwing, GRANT_INFO, header, key.key);
  return concat(header, enc, ciphertext);
}

/**
 * Opens a key grant sealed to this node. E_MALFORMED for a bad layout,
 * E_DECRYPT_FAILED when it was not sealed to this node or was changed.
 */
export async function openGrant(decryptor: Decryptor, grant: Uint8Array): Promise<TopicKey> {
  const bad = () => new MeteorError("E_MALFORMED", "Cannot read topic key grant: malformed");
  if (grant.length < GRANT_FIXED_LENGTH + 1 + 4 + XWING_CIPHERTEXT_LENGTH + SEALED_KEY_LENGTH) {
    throw bad();
  }
  for (let i = 0; i < 4; i++) if (grant[i] !== GRANT_MAGIC[i]) throw bad();
  if (grant[4] !== GRANT_VERSION) throw bad();
  const view = new DataView(grant.buffer, grant.byteOffset, grant.byteLength);
  const nameLength = view.getUint16(5 + GROUP_ID_LENGTH);
  const headerLength = GRANT_FIXED_LENGTH + nameLength + 4;
  if (grant.length !== headerLength + XWING_CIPHERTEXT_LENGTH + SEALED_KEY_LENGTH) throw bad();
  let topic: string;
  try {
    topic = checkTopicName(
      new TextDecoder("utf-8", { fatal: true }).decode(
        grant.subarray(GRANT_FIXED_LENGTH, GRANT_FIXED_LENGTH + nameLength),
      ),
    );
  } catch {
    throw bad();
  }
  const epoch = view.getUint32(GRANT_FIXED_LENGTH + nameLength);
  if (epoch === 0) throw bad();
  const header = grant.slice(0, headerLength);
  const enc = grant.slice(headerLength, headerLength + XWING_CIPHERTEXT_LENGTH);
  const sealed = grant.slice(headerLength + XWING_CIPHERTEXT_LENGTH);
  const key = await decryptor.open(enc, GRANT_INFO, header, sealed);
  return { topic, id: grant.slice(5, 5 + GROUP_ID_LENGTH), epoch, key };
}
