/**
 * Turns what a user gives to "add a contact" into a MeteorID and, when it
 * was an identity document, the verified document bytes. Shared by the API
 * (POST /v1/contacts) and `meteor contacts add`.
 *
 * @module
 */
import {
  DOCUMENT_TEXT_PREFIX,
  encodeDocument,
  parseMeteorId,
  readDocument,
} from "./identity/mod.ts";

/** A resolved contact identifier. */
export interface ContactIdentity {
  /** The 32-byte MeteorID. */
  meteorId: Uint8Array;
  /** The encoded, verified identity document, or null when only the ID was given. */
  document: Uint8Array | null;
}

/**
 * Resolves a MeteorID in text form ("meteor1...") or an identity document in
 * text form ("meteor-doc:..."). A document is verified (signatures, ID match,
 * expiry) before it is accepted.
 *
 * @throws {MeteorError} E_BAD_ID for a bad ID; the codes of readDocument for a bad document
 *
 * @example
 * ```ts ignore
 * const { meteorId, document } = await resolveContactIdentity("meteor1...");
 * ```
 */
export async function resolveContactIdentity(
  text: string,
  now?: number,
): Promise<ContactIdentity> {
  if (typeof text !== "string") throw new TypeError("text must be a string");
  const trimmed = text.trim();
  if (trimmed.startsWith(DOCUMENT_TEXT_PREFIX)) {
    const doc = await readDocument(trimmed, { now });
    return { meteorId: doc.meteorId, document: encodeDocument(doc) };
  }
  return { meteorId: parseMeteorId(trimmed), document: null };
}
