/**
 * Contacts as users give and see them, shared by the API (/v1/contacts)
 * and `meteor contacts`: resolving what a user typed (a MeteorID or an
 * identity document) and the JSON view of a stored contact.
 *
 * @module
 */
import { constantTimeEqual } from "./bytes.ts";
import { MeteorError } from "./errors.ts";
import {
  DOCUMENT_TEXT_PREFIX,
  encodeDocument,
  formatMeteorId,
  looksLikeMeteorId,
  parseMeteorId,
  readDocument,
} from "./identity/mod.ts";
import type { Contact, Contacts } from "./store/mod.ts";

/** The JSON view of a contact (API responses and `--json` output). */
export interface ContactJson {
  /** The unique name. */
  name: string;
  /** The MeteorID in text form. */
  meteorId: string;
  /** Whether its identity document has been stored. */
  hasDocument: boolean;
  /** When it was added, Unix ms. */
  addedAt: number;
}

/** The JSON view of a stored contact. */
export function contactJson(contact: Contact): ContactJson {
  return {
    name: contact.name,
    meteorId: formatMeteorId(contact.meteorId),
    hasDocument: contact.document !== null,
    addedAt: contact.addedAt,
  };
}

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

/**
 * Refuses a contact whose MeteorID is the node's own: a node cannot open a
 * session to itself, so such a contact could only collect undeliverable mail.
 *
 * @throws {MeteorError} E_BAD_ID when `meteorId` equals `own`
 *
 * @example
 * ```ts ignore
 * refuseOwnId(contact.meteorId, node.keys.meteorId);
 * ```
 */
export function refuseOwnId(meteorId: Uint8Array, own: Uint8Array): void {
  if (constantTimeEqual(meteorId, own)) {
    throw new MeteorError(
      "E_BAD_ID",
      `Cannot add contact: ${formatMeteorId(own)} is this node's own MeteorID`,
    );
  }
}

/**
 * What a user typed for a peer, a contact name or a MeteorID in text form
 * (any case), as MeteorID bytes.
 *
 * @throws {MeteorError} E_NOT_FOUND for a name that is no contact, E_BAD_ID
 * for a malformed MeteorID; messages start "Cannot <action>"
 *
 * @example
 * ```ts ignore
 * const to = resolvePeerName(context.contacts, "alice", "send message");
 * ```
 */
export function resolvePeerName(contacts: Contacts, text: string, action: string): Uint8Array {
  if (looksLikeMeteorId(text)) return parseMeteorId(text);
  const contact = contacts.get(text);
  if (!contact) throw new MeteorError("E_NOT_FOUND", `Cannot ${action}: no contact "${text}"`);
  return contact.meteorId;
}
