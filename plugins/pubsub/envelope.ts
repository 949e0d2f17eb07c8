/**
 * The Meteor pubsub envelope (docs/pubsub.md §3): the bytes a message carries
 * as gossipsub `data`. It holds the author's public key bundle, so that any
 * node proves the author's MeteorID (SHA3-256 of the bundle) and checks the
 * hybrid ML-DSA-65 + Ed25519 signature without a lookup.
 *
 * @module
 */
import { concat, utf8 } from "../../core/bytes.ts";
import {
  ED25519_PUBLIC_KEY_LENGTH,
  HYBRID_SIGNATURE_LENGTH,
  type HybridSigner,
  type HybridVerifier,
  MLDSA65_PUBLIC_KEY_LENGTH,
  XWING_PUBLIC_KEY_LENGTH,
} from "../../core/crypto/mod.ts";
import { MeteorError } from "../../core/errors.ts";
import type { PublicKeyBundle } from "../../core/identity/mod.ts";

/** "MTPS": the first four bytes of every envelope. */
const MAGIC = utf8("MTPS");
/** The envelope version. */
export const ENVELOPE_VERSION = 1;
/** The signing label (docs/pubsub.md §3.2). */
export const MESSAGE_LABEL = "meteor/v1/pubsub-message";
/** The random nonce of each envelope, in bytes. */
export const NONCE_LENGTH = 16;
/** The author's bundle as carried: ed25519 (32) || xwing (1216) || ml-dsa-65 (1952). */
export const BUNDLE_LENGTH = ED25519_PUBLIC_KEY_LENGTH + XWING_PUBLIC_KEY_LENGTH +
  MLDSA65_PUBLIC_KEY_LENGTH;
/** Bytes before the body: magic, version, kind, timestamp, nonce, bundle, epoch, body length. */
export const HEADER_LENGTH = 4 + 1 + 1 + 8 + NONCE_LENGTH + BUNDLE_LENGTH + 4 + 4;
/** Everything an envelope adds to its body: the header and the signature (6611 bytes). */
export const ENVELOPE_OVERHEAD = HEADER_LENGTH + HYBRID_SIGNATURE_LENGTH;
/** The longest topic name, in UTF-8 bytes. */
export const MAX_TOPIC_BYTES = 255;

/** Kind byte: a public topic (body is UTF-8 text) or a private one (body is sealed). */
export type EnvelopeKind = "public" | "private";

/** The fields of an envelope, before signing. */
export interface EnvelopeFields {
  /** Public or private. */
  kind: EnvelopeKind;
  /** When the author wrote it, Unix ms. */
  timestamp: number;
  /** 16 random bytes, unique per envelope. */
  nonce: Uint8Array;
  /** The author's public keys. */
  author: PublicKeyBundle;
  /** The private topic's key epoch; 0 for a public topic. */
  epoch: number;
  /** UTF-8 text (public) or ciphertext || tag (private). */
  body: Uint8Array;
}

/** A parsed envelope, its signature not yet checked. */
export interface ParsedEnvelope extends EnvelopeFields {
  /** The header bytes, the AAD of a private body. */
  header: Uint8Array;
  /** The hybrid signature. */
  signature: Uint8Array;
}

/** A verified envelope. */
export interface Envelope extends ParsedEnvelope {
  /** The author's MeteorID: SHA3-256 of its bundle. */
  from: Uint8Array;
}

/** Checks a topic name: 1 to 255 UTF-8 bytes of printable text. E_MALFORMED otherwise. */
export function checkTopic(topic: unknown): string {
  if (
    typeof topic !== "string" || topic === "" || hasControl(topic) ||
    utf8(topic).length > MAX_TOPIC_BYTES
  ) {
    throw new MeteorError(
      "E_MALFORMED",
      `Cannot use topic: a topic is 1 to ${MAX_TOPIC_BYTES} bytes of printable text`,
    );
  }
  return topic;
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function malformed(): MeteorError {
  return new MeteorError("E_MALFORMED", "Cannot read pubsub envelope: malformed");
}

/** The fields of the header: everything but the body, whose length it records. */
export type HeaderFields = Omit<EnvelopeFields, "body"> & { bodyLength: number };

/** The header (docs/pubsub.md §3.1); the caller checked the field lengths. */
export function encodeHeader(fields: HeaderFields): Uint8Array {
  const fixed = new Uint8Array(14);
  const view = new DataView(fixed.buffer);
  fixed.set(MAGIC, 0);
  fixed[4] = ENVELOPE_VERSION;
  fixed[5] = fields.kind === "private" ? 1 : 0;
  view.setBigUint64(6, BigInt(fields.timestamp));
  const tail = new Uint8Array(8);
  new DataView(tail.buffer).setUint32(0, fields.epoch);
  new DataView(tail.buffer).setUint32(4, fields.bodyLength);
  const { ed25519, xwing, mldsa65 } = fields.author;
  return concat(fixed, fields.nonce, ed25519, xwing, mldsa65, tail);
}

/** u16 topic length || topic || header: the AAD of a private body (docs/pubsub.md §4.3). */
export function boundHeader(topic: string, header: Uint8Array): Uint8Array {
  const name = utf8(topic);
  return concat(new Uint8Array([name.length >> 8, name.length & 0xff]), name, header);
}

/** What the hybrid signature covers: u16 topic length || topic || header || body. */
function signedBytes(topic: string, header: Uint8Array, body: Uint8Array): Uint8Array {
  return concat(boundHeader(topic, header), body);
}

/**
 * Builds and signs an envelope for `topic` with `signer` (the author's node,
 * whose bundle is `fields.author`).
 */
export async function sealEnvelope(
  topic: string,
  fields: EnvelopeFields,
  signer: HybridSigner,
): Promise<Uint8Array> {
  checkTopic(topic);
  if (fields.nonce.length !== NONCE_LENGTH) throw new RangeError("nonce must be 16 bytes");
  if (!Number.isSafeInteger(fields.timestamp) || fields.timestamp < 0) {
    throw new RangeError("timestamp must be a non-negative integer");
  }
  if (!Number.isInteger(fields.epoch) || fields.epoch < 0 || fields.epoch > 0xffffffff) {
    throw new RangeError("epoch must be a u32");
  }
  const header = encodeHeader({ ...fields, bodyLength: fields.body.length });
  const signature = await signer.sign(MESSAGE_LABEL, signedBytes(topic, header, fields.body));
  return concat(header, fields.body, signature);
}

/**
 * Parses an envelope without checking its signature: E_MALFORMED when the
 * layout, version, kind or lengths are wrong. The fields are views of
 * `data`, not copies (a message is parsed on every hop).
 */
export function parseEnvelope(data: Uint8Array): ParsedEnvelope {
  if (data.length < ENVELOPE_OVERHEAD) throw malformed();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < MAGIC.length; i++) if (data[i] !== MAGIC[i]) throw malformed();
  if (data[4] !== ENVELOPE_VERSION || data[5] > 1) throw malformed();
  const timestamp = view.getBigUint64(6);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed();
  let at = 14;
  const take = (n: number) => data.subarray(at, at += n);
  const nonce = take(NONCE_LENGTH);
  const author = {
    ed25519: take(ED25519_PUBLIC_KEY_LENGTH),
    xwing: take(XWING_PUBLIC_KEY_LENGTH),
    mldsa65: take(MLDSA65_PUBLIC_KEY_LENGTH),
  };
  const epoch = view.getUint32(at);
  const bodyLength = view.getUint32(at + 4);
  at += 8;
  if (data.length !== HEADER_LENGTH + bodyLength + HYBRID_SIGNATURE_LENGTH) throw malformed();
  const kind: EnvelopeKind = data[5] === 1 ? "private" : "public";
  if (kind === "public" && epoch !== 0) throw malformed();
  return {
    kind,
    timestamp: Number(timestamp),
    nonce,
    author,
    epoch,
    header: data.subarray(0, HEADER_LENGTH),
    body: take(bodyLength),
    signature: take(HYBRID_SIGNATURE_LENGTH),
  };
}

/**
 * Verifies a parsed envelope's hybrid signature over `topic` with the
 * verifier of its author's bundle: resolves, or throws E_BAD_SIGNATURE
 * (saying nothing about which algorithm failed).
 */
export async function verifyEnvelope(
  topic: string,
  envelope: ParsedEnvelope,
  author: HybridVerifier,
): Promise<void> {
  await author.verify(
    MESSAGE_LABEL,
    signedBytes(topic, envelope.header, envelope.body),
    envelope.signature,
  );
}
