/**
 * Identity documents (docs/identity.md §4): a node's signed, self-certifying
 * statement of its public keys, PeerId, addresses, a sequence number and a
 * validity period. Anyone holding only the 32-byte MeteorID can check a
 * document fetched from an untrusted place: the keys must hash to the ID and
 * both signatures (ML-DSA-65 and Ed25519) must verify.
 *
 * Encoding (version 1, all integers big-endian, no optional parts, so every
 * document has exactly one encoding):
 *
 *     magic "MTRD" (4) | version = 1 (1) | MeteorID (32)
 *     ed25519 public key (32) | X-Wing public key (1216) | ML-DSA-65 public key (1952)
 *     PeerId length (1) | PeerId, ASCII (1..128)
 *     sequence (8) | issuedAt, Unix ms (8) | expiresAt, Unix ms (8)
 *     address count (1, 0..16) | per address: length (2, 1..256) | multiaddr text, ASCII
 *     hybrid signature (3373) over all preceding bytes, context "meteor/v1/identity-document"
 *
 * @module
 */
import { concat, constantTimeEqual, fromBase64, toBase64, utf8 } from "../bytes.ts";
import { MeteorError } from "../errors.ts";
import {
  ED25519_PUBLIC_KEY_LENGTH,
  HYBRID_SIGNATURE_LENGTH,
  type HybridSigner,
  hybridVerify,
  MLDSA65_PUBLIC_KEY_LENGTH,
  seedSigner,
} from "../crypto/sign.ts";
import { checkXWingPublicKey, XWING_PUBLIC_KEY_LENGTH } from "../crypto/xwing.ts";
import { ByteReader, ByteWriter } from "./_binary.ts";
import type { NodeKeys } from "./derive.ts";
import { computeMeteorId, METEOR_ID_LENGTH, type PublicKeyBundle } from "./meteor_id.ts";
import { peerIdOf } from "./peer_id.ts";

/** The four bytes every encoded document starts with. */
export const DOCUMENT_MAGIC = "MTRD";
/** The document format version this code writes and reads. */
export const DOCUMENT_VERSION = 1;
/** The hybrid signature context of identity documents (core/crypto/sign.ts). */
export const DOCUMENT_SIGNATURE_CONTEXT = "meteor/v1/identity-document";
/** The largest encoded document accepted, in bytes. */
export const MAX_DOCUMENT_BYTES = 16 * 1024;
/** The most addresses a document may list. */
export const MAX_ADDRESSES = 16;
/** The longest address (multiaddr text), in bytes. */
export const MAX_ADDRESS_LENGTH = 256;
/** The longest PeerId text, in bytes. */
export const MAX_PEER_ID_LENGTH = 128;
/** How long a new document is valid unless told otherwise: 30 days. */
export const DEFAULT_DOCUMENT_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;
/** The longest validity a document may state, expiresAt - issuedAt: 365 days (docs/identity.md §4). */
export const MAX_DOCUMENT_LIFETIME_MS = 365 * 24 * 60 * 60 * 1000;
/** How far in the future a verified document's issuedAt may be: 5 minutes (docs/identity.md §4.3). */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
/** The prefix of a document's text form; standard base64 of the bytes follows. */
export const DOCUMENT_TEXT_PREFIX = "meteor-doc:";
/** The longest document text accepted (whitespace included), in characters. */
export const MAX_DOCUMENT_TEXT_LENGTH: number = 2 * MAX_DOCUMENT_BYTES + 1024;

/** A parsed or freshly created identity document. */
export interface IdentityDocument {
  /** Format version, 1. */
  version: number;
  /** The MeteorID the document claims: SHA3-256 of `publicKeys`' canonical bundle. */
  meteorId: Uint8Array;
  /** The node's public keys. */
  publicKeys: PublicKeyBundle;
  /** The libp2p PeerId of `publicKeys.ed25519`. */
  peerId: string;
  /** Multiaddrs where the node listens (text form, e.g. "/ip4/192.0.2.1/tcp/4001"). */
  addresses: string[];
  /** Grows with every new document of one node; the highest valid one wins. */
  sequence: number;
  /** When the document was issued, Unix milliseconds. */
  issuedAt: number;
  /** When the document stops being valid, Unix milliseconds. */
  expiresAt: number;
  /** Hybrid signature (ML-DSA-65 || Ed25519) over the encoding of every field above. */
  signature: Uint8Array;
}

/** Fields a node chooses when it issues a document; see {@link createDocument}. */
export interface DocumentFields {
  /** Listen multiaddrs; default none. */
  addresses?: string[];
  /** Sequence number; default `issuedAt`, which grows without stored state. */
  sequence?: number;
  /** Issue time, Unix ms; default now. */
  issuedAt?: number;
  /** Expiry, Unix ms; default `issuedAt` + {@link DEFAULT_DOCUMENT_LIFETIME_MS}. */
  expiresAt?: number;
}

/** Options of {@link verifyDocument}. */
export interface VerifyOptions {
  /** The time to check expiry against, Unix ms; default now. */
  now?: number;
  /** The MeteorID the caller expects (a contact's); a document for another ID is refused. */
  expectedId?: Uint8Array;
}

const malformed = (why: string) =>
  new MeteorError("E_MALFORMED", `Cannot parse identity document: ${why}`);
const tooLarge = (why: string) =>
  new MeteorError("E_TOO_LARGE", `Cannot parse identity document: ${why}`);

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

function checkTime(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw malformed(`${name} must be a non-negative integer`);
  }
}

/** Checks every bound of the variable-length and numeric fields. */
function checkFields(doc: Omit<IdentityDocument, "signature">): void {
  if (doc.version !== DOCUMENT_VERSION) throw malformed(`unsupported version ${doc.version}`);
  if (doc.peerId.length > MAX_PEER_ID_LENGTH) throw tooLarge("PeerId too long");
  if (!PRINTABLE_ASCII.test(doc.peerId)) throw malformed("PeerId must be printable ASCII");
  if (doc.addresses.length > MAX_ADDRESSES) {
    throw tooLarge(`more than ${MAX_ADDRESSES} addresses`);
  }
  for (const address of doc.addresses) {
    if (address.length > MAX_ADDRESS_LENGTH) throw tooLarge("address too long");
    if (!PRINTABLE_ASCII.test(address) || !address.startsWith("/")) {
      throw malformed("an address must be multiaddr text in printable ASCII");
    }
  }
  checkTime("sequence", doc.sequence);
  checkTime("issuedAt", doc.issuedAt);
  checkTime("expiresAt", doc.expiresAt);
  if (doc.expiresAt <= doc.issuedAt) throw malformed("expiresAt must be after issuedAt");
  if (doc.expiresAt - doc.issuedAt > MAX_DOCUMENT_LIFETIME_MS) {
    throw malformed(`validity longer than ${MAX_DOCUMENT_LIFETIME_MS} ms`);
  }
}

/** The signed part of the encoding: everything but the signature. */
function encodeBody(doc: Omit<IdentityDocument, "signature">): Uint8Array {
  checkFields(doc);
  const w = new ByteWriter()
    .bytes(utf8(DOCUMENT_MAGIC))
    .u8(doc.version)
    .bytes(doc.meteorId)
    .bytes(doc.publicKeys.ed25519)
    .bytes(doc.publicKeys.xwing)
    .bytes(doc.publicKeys.mldsa65)
    .u8(doc.peerId.length)
    .bytes(utf8(doc.peerId))
    .u64(doc.sequence)
    .u64(doc.issuedAt)
    .u64(doc.expiresAt)
    .u8(doc.addresses.length);
  for (const address of doc.addresses) w.u16(address.length).bytes(utf8(address));
  return w.finish();
}

/**
 * Issues a signed identity document for `keys`, signed by `signer` (by
 * default one over `keys.seeds`; test vectors pass a deterministic one).
 *
 * @example
 * ```ts
 * import { createDocument, deriveKeys, verifyDocument } from "./mod.ts";
 * const keys = await deriveKeys(new Uint8Array(32));
 * const doc = await createDocument(keys, { addresses: ["/ip4/127.0.0.1/tcp/4001"] });
 * await verifyDocument(doc, { expectedId: keys.meteorId });
 * ```
 */
export async function createDocument(
  keys: NodeKeys,
  fields: DocumentFields = {},
  signer: HybridSigner = seedSigner(keys.seeds),
): Promise<IdentityDocument> {
  const issuedAt = fields.issuedAt ?? Date.now();
  const unsigned = {
    version: DOCUMENT_VERSION,
    meteorId: keys.meteorId.slice(),
    publicKeys: {
      ed25519: keys.publicKeys.ed25519.slice(),
      xwing: keys.publicKeys.xwing.slice(),
      mldsa65: keys.publicKeys.mldsa65.slice(),
    },
    peerId: keys.peerId,
    addresses: [...(fields.addresses ?? [])],
    sequence: fields.sequence ?? issuedAt,
    issuedAt,
    expiresAt: fields.expiresAt ?? issuedAt + DEFAULT_DOCUMENT_LIFETIME_MS,
  };
  const signature = await signer.sign(DOCUMENT_SIGNATURE_CONTEXT, encodeBody(unsigned));
  return { ...unsigned, signature };
}

/** The canonical bytes of a document (body || signature). */
export function encodeDocument(doc: IdentityDocument): Uint8Array {
  if (doc.signature.length !== HYBRID_SIGNATURE_LENGTH) throw malformed("bad signature length");
  return concat(encodeBody(doc), doc.signature);
}

/**
 * Parses the canonical bytes of a document, checking its structure and every
 * bound; it does not verify it (see {@link verifyDocument}).
 *
 * @throws {MeteorError} E_TOO_LARGE past a bound, E_MALFORMED otherwise
 */
export function parseDocument(bytes: Uint8Array): IdentityDocument {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("bytes must be a Uint8Array");
  if (bytes.length > MAX_DOCUMENT_BYTES) {
    throw tooLarge(`larger than ${MAX_DOCUMENT_BYTES} bytes`);
  }
  const r = new ByteReader(bytes, "identity document");
  const ascii = (length: number) => String.fromCharCode(...r.bytes(length));
  if (ascii(DOCUMENT_MAGIC.length) !== DOCUMENT_MAGIC) throw malformed("not an identity document");
  const version = r.u8();
  if (version !== DOCUMENT_VERSION) throw malformed(`unsupported version ${version}`);
  const meteorId = r.bytes(METEOR_ID_LENGTH);
  const publicKeys = {
    ed25519: r.bytes(ED25519_PUBLIC_KEY_LENGTH),
    xwing: r.bytes(XWING_PUBLIC_KEY_LENGTH),
    mldsa65: r.bytes(MLDSA65_PUBLIC_KEY_LENGTH),
  };
  const peerId = ascii(r.u8());
  const sequence = r.u64();
  const issuedAt = r.u64();
  const expiresAt = r.u64();
  const count = r.u8();
  if (count > MAX_ADDRESSES) throw tooLarge(`more than ${MAX_ADDRESSES} addresses`);
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.u16();
    if (length > MAX_ADDRESS_LENGTH) throw tooLarge("address too long");
    addresses.push(ascii(length));
  }
  const signature = r.bytes(HYBRID_SIGNATURE_LENGTH);
  r.end();
  const doc = {
    version,
    meteorId,
    publicKeys,
    peerId,
    addresses,
    sequence,
    issuedAt,
    expiresAt,
    signature,
  };
  checkFields(doc);
  return doc;
}

/**
 * Verifies a document: its keys hash to its MeteorID (and to `expectedId`
 * when given), its PeerId is that of its Ed25519 key, its X-Wing key is
 * valid, both signatures verify, it has not expired, and it was not issued
 * more than {@link MAX_CLOCK_SKEW_MS} after `now`.
 *
 * @throws {MeteorError} E_ID_MISMATCH, E_BAD_KEY, E_BAD_SIGNATURE, or E_EXPIRED
 *   (expired, or issued in the future)
 */
export async function verifyDocument(
  doc: IdentityDocument,
  options: VerifyOptions = {},
): Promise<void> {
  const body = encodeBody(doc);
  const idOk = constantTimeEqual(await computeMeteorId(doc.publicKeys), doc.meteorId) &&
    (options.expectedId === undefined || constantTimeEqual(options.expectedId, doc.meteorId)) &&
    peerIdOf(doc.publicKeys.ed25519) === doc.peerId;
  if (!idOk) {
    throw new MeteorError(
      "E_ID_MISMATCH",
      "Cannot verify identity document: its keys do not match the MeteorID",
    );
  }
  checkXWingPublicKey(doc.publicKeys.xwing);
  await hybridVerify(doc.publicKeys, DOCUMENT_SIGNATURE_CONTEXT, body, doc.signature);
  const now = options.now ?? Date.now();
  if (now >= doc.expiresAt) {
    throw new MeteorError("E_EXPIRED", "Cannot verify identity document: it has expired");
  }
  if (doc.issuedAt > now + MAX_CLOCK_SKEW_MS) {
    throw new MeteorError("E_EXPIRED", "Cannot verify identity document: it is not valid yet");
  }
}

/** The text form of a document for sharing: "meteor-doc:" + base64 of its bytes. */
export function formatDocument(doc: IdentityDocument): string {
  return DOCUMENT_TEXT_PREFIX + toBase64(encodeDocument(doc));
}

/**
 * Parses the text form of a document (whitespace anywhere is ignored, so a
 * wrapped copy works); does not verify it.
 *
 * @throws {MeteorError} E_TOO_LARGE past a bound, E_MALFORMED otherwise
 */
export function parseDocumentText(text: string): IdentityDocument {
  if (typeof text !== "string") throw new TypeError("text must be a string");
  if (text.length > MAX_DOCUMENT_TEXT_LENGTH) {
    throw tooLarge(`text longer than ${MAX_DOCUMENT_TEXT_LENGTH} characters`);
  }
  const compact = text.replace(/\s+/g, "");
  if (!compact.startsWith(DOCUMENT_TEXT_PREFIX)) {
    throw malformed(`text must start with "${DOCUMENT_TEXT_PREFIX}"`);
  }
  const b64 = compact.slice(DOCUMENT_TEXT_PREFIX.length);
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
    throw malformed("text is not base64");
  }
  return parseDocument(fromBase64(b64));
}

/**
 * Parses (bytes or text form) and verifies a document in one step.
 *
 * @throws {MeteorError} any code of {@link parseDocument} and {@link verifyDocument}
 */
export async function readDocument(
  input: Uint8Array | string,
  options: VerifyOptions = {},
): Promise<IdentityDocument> {
  const doc = typeof input === "string" ? parseDocumentText(input) : parseDocument(input);
  await verifyDocument(doc, options);
  return doc;
}
