/**
 * The DHT record of a MeteorID (docs/dht.md §2, §3): its key, and the
 * validator and selector kad-dht runs on every record it stores, serves or
 * receives, so that only a document that verifies as the key's MeteorID's,
 * and is not older than the one already held, is ever kept or returned.
 *
 * @module
 */
import { constantTimeEqual } from "../../core/bytes.ts";
import { isMeteorError, MeteorError } from "../../core/errors.ts";
import {
  type IdentityDocument,
  MAX_DOCUMENT_BYTES,
  parseDocument,
  verifyDocument,
} from "../../core/identity/mod.ts";

/** The key namespace: kad-dht picks the validator and selector by the text between the first two slashes. */
export const RECORD_NAMESPACE = "meteor";
/** Every record key starts with these bytes, followed by the 32-byte MeteorID. */
export const RECORD_PREFIX: Uint8Array = new TextEncoder().encode(`/${RECORD_NAMESPACE}/id/`);
/** The length of a record key. */
export const RECORD_KEY_LENGTH = RECORD_PREFIX.length + 32;

/** The DHT key of `meteorId`: `"/meteor/id/" || meteorId` (43 bytes). */
export function recordKey(meteorId: Uint8Array): Uint8Array {
  if (meteorId.length !== 32) throw new RangeError("meteorId must be 32 bytes");
  const key = new Uint8Array(RECORD_KEY_LENGTH);
  key.set(RECORD_PREFIX);
  key.set(meteorId, RECORD_PREFIX.length);
  return key;
}

/** The MeteorID a record key names; E_MALFORMED for any other key. */
export function meteorIdOfKey(key: Uint8Array): Uint8Array {
  if (
    key.length !== RECORD_KEY_LENGTH ||
    !constantTimeEqual(key.subarray(0, RECORD_PREFIX.length), RECORD_PREFIX)
  ) {
    throw new MeteorError("E_MALFORMED", "Cannot accept DHT record: not a /meteor/id/ key");
  }
  return key.slice(RECORD_PREFIX.length);
}

/** What the validator consults: the record already held for a key, and where rejections are counted. */
export interface RecordChecks {
  /** The document this node holds for `key` (the record's value), or null. */
  stored(key: Uint8Array): Promise<Uint8Array | null>;
  /** Called with the error code of each record refused. */
  rejected(code: string): void;
  /** The clock, Unix ms; default Date.now. */
  now?(): number;
}

/** A kad-dht validator: throws when the record must not be kept or used. */
export type RecordValidator = (key: Uint8Array, value: Uint8Array) => Promise<void>;

/**
 * The validator of `/meteor/` records (docs/dht.md §3). Cheap checks come
 * before the signatures: the key, the size, the encoding, the MeteorID in
 * the document against the key, the sequence against the record held; then
 * the full verification of docs/identity.md §4.3.
 *
 * @example
 * ```ts ignore
 * kadDHT({ validators: { meteor: recordValidator(checks) }, selectors: { meteor: selectRecord } });
 * ```
 */
export function recordValidator(checks: RecordChecks): RecordValidator {
  return async (key, value) => {
    try {
      const meteorId = meteorIdOfKey(key);
      if (value.length > MAX_DOCUMENT_BYTES) {
        throw new MeteorError(
          "E_TOO_LARGE",
          `Cannot accept DHT record: over ${MAX_DOCUMENT_BYTES} bytes`,
        );
      }
      const doc = parseDocument(value);
      if (!constantTimeEqual(doc.meteorId, meteorId)) {
        throw new MeteorError(
          "E_ID_MISMATCH",
          "Cannot accept DHT record: the document is of another MeteorID",
        );
      }
      const now = checks.now?.() ?? Date.now();
      const held = heldDocument(await checks.stored(key), now);
      if (held && held.sequence > doc.sequence) {
        throw new MeteorError(
          "E_REPLAY",
          "Cannot accept DHT record: a document with a higher sequence is held",
        );
      }
      await verifyDocument(doc, { expectedId: meteorId, now });
    } catch (err) {
      const code = isMeteorError(err) ? err.code : "E_MALFORMED";
      checks.rejected(code);
      throw err;
    }
  };
}

/** The record held, when it still parses and has not expired (else it is no reason to refuse). */
function heldDocument(stored: Uint8Array | null, now: number): IdentityDocument | null {
  if (stored === null) return null;
  try {
    const doc = parseDocument(stored);
    return doc.expiresAt > now ? doc : null;
  } catch {
    return null;
  }
}

/**
 * The selector of `/meteor/` records: the index of the document with the
 * highest sequence (the first of equals). kad-dht passes only records that
 * passed the validator; one that does not parse is never chosen over one
 * that does.
 */
export function selectRecord(_key: Uint8Array, records: Uint8Array[]): number {
  let best = 0;
  let bestSequence = -1;
  records.forEach((record, i) => {
    let sequence: number;
    try {
      sequence = parseDocument(record).sequence;
    } catch {
      return;
    }
    if (sequence > bestSequence) {
      best = i;
      bestSequence = sequence;
    }
  });
  return best;
}
