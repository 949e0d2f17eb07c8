/**
 * Gossipsub message IDs (docs/pubsub.md §1): SHA-256 of the envelope when the
 * libp2p author (`from`) is the envelope's author, as in every message the
 * validator can accept; otherwise SHA-256 of `from` and the envelope, so that
 * a copy re-signed by another peer never shares the genuine message's ID and
 * cannot get the genuine one dropped as a duplicate before it arrives.
 *
 * @module
 */
import { concat } from "../../core/bytes.ts";
import { sha256 } from "../../core/crypto/mod.ts";

/** Where the author's Ed25519 key sits in an envelope (docs/pubsub.md §3.1). */
const AUTHOR_KEY_OFFSET = 30;
/** The bytes of an Ed25519 PeerId before its key: identity multihash of the protobuf key. */
const ED25519_PEER_ID_PREFIX = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20);
const PEER_ID_LENGTH = ED25519_PEER_ID_PREFIX.length + 32;

/** Whether PeerId bytes `from` are those of the Ed25519 key envelope `data` names as author. */
function isAuthor(from: Uint8Array, data: Uint8Array): boolean {
  if (from.length !== PEER_ID_LENGTH || data.length < AUTHOR_KEY_OFFSET + 32) return false;
  for (let i = 0; i < PEER_ID_LENGTH; i++) {
    const expected = i < ED25519_PEER_ID_PREFIX.length
      ? ED25519_PEER_ID_PREFIX[i]
      : data[AUTHOR_KEY_OFFSET + i - ED25519_PEER_ID_PREFIX.length];
    if (from[i] !== expected) return false;
  }
  return true;
}

/** Starts the hashed bytes of a copy from another sender: no envelope starts with it ("MTPS" does). */
const OTHER_SENDER = 0xff;

/**
 * The message ID of envelope `data` sent by the libp2p peer whose PeerId
 * bytes are `from` (undefined for an unsigned message): SHA-256(data) when
 * `from` is the envelope's author, else SHA-256(0xff || u16(len(from)) ||
 * from || data), whose input is never an envelope, so it never equals a
 * genuine message's ID.
 */
export function messageId(from: Uint8Array | undefined, data: Uint8Array): Uint8Array {
  if (from !== undefined && isAuthor(from, data)) return sha256(data);
  const sender = (from ?? new Uint8Array(0)).subarray(0, 0xffff);
  const head = Uint8Array.of(OTHER_SENDER, sender.length >> 8, sender.length & 0xff);
  return sha256(concat(head, sender, data));
}
