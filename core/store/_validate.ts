/**
 * Input checks shared by the store's tables. Everything that reaches SQL
 * passes one of these first; a failure is a MeteorError the API maps to 400
 * (E_MALFORMED) or 413 (E_TOO_LARGE).
 *
 * @module
 */
import { MeteorError } from "../errors.ts";

/**
 * MeteorID length in bytes (docs/identity.md; METEOR_ID_LENGTH in
 * core/identity/meteor_id.ts, not imported: the store would load the hashes
 * and the signature code for one constant).
 */
const METEOR_ID_LENGTH = 32;

/** The largest message body stored, in bytes. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** The largest page a list of the inbox or the outbox returns. */
export const MAX_PAGE = 1000;

/** The largest identity document stored, in bytes. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;

/** Contact names: a letter or digit, then letters, digits, space, dot, underscore or dash. */
const CONTACT_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u;

/** Message ids: 1 to 64 URL-safe characters (a UUID fits). */
const MESSAGE_ID = /^[A-Za-z0-9_-]{1,64}$/;

const utf8 = new TextDecoder("utf-8", { fatal: true });

function malformed(action: string, state: string): MeteorError {
  return new MeteorError("E_MALFORMED", `Cannot ${action}: ${state}`);
}

/** Checks a contact name. */
export function checkName(action: string, name: unknown): string {
  if (typeof name !== "string" || !CONTACT_NAME.test(name)) {
    throw malformed(action, "a contact name is 1 to 64 letters, digits, space, . _ or -");
  }
  return name;
}

/** Checks a 32-byte MeteorID and returns a copy. */
export function checkMeteorId(action: string, id: unknown): Uint8Array {
  if (!(id instanceof Uint8Array) || id.length !== METEOR_ID_LENGTH) {
    throw malformed(action, `a MeteorID is ${METEOR_ID_LENGTH} bytes`);
  }
  return id.slice();
}

/** Checks a message id. */
export function checkMessageId(action: string, id: unknown): string {
  if (typeof id !== "string" || !MESSAGE_ID.test(id)) {
    throw malformed(action, "a message id is 1 to 64 characters A-Z a-z 0-9 _ -");
  }
  return id;
}

/** Checks a byte payload against a size bound and returns a copy. */
export function checkBytes(action: string, what: string, bytes: unknown, max: number): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw malformed(action, `${what} must be bytes`);
  if (bytes.length > max) {
    throw new MeteorError("E_TOO_LARGE", `Cannot ${action}: ${what} is over ${max} bytes`);
  }
  return bytes.slice();
}

/** The kinds of message body. */
export type BodyKind = "text" | "bytes";

/** Checks a body kind, and that a "text" body is valid UTF-8. */
export function checkKind(action: string, kind: unknown, body: Uint8Array): BodyKind {
  if (kind !== "text" && kind !== "bytes") {
    throw malformed(action, 'kind must be "text" or "bytes"');
  }
  if (kind === "text") {
    try {
      utf8.decode(body);
    } catch {
      throw malformed(action, "a text body must be valid UTF-8");
    }
  }
  return kind;
}

/** Checks a message body (a copy of at most {@link MAX_MESSAGE_BYTES}) and its kind. */
export function checkMessageBody(
  action: string,
  kind: unknown,
  body: unknown,
): { kind: BodyKind; body: Uint8Array } {
  const copy = checkBytes(action, "message body", body, MAX_MESSAGE_BYTES);
  return { kind: checkKind(action, kind, copy), body: copy };
}

/** Checks a non-negative safe integer (counts, sequence numbers, times). */
export function checkCount(action: string, what: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw malformed(action, `${what} must be a non-negative integer`);
  }
  return value as number;
}

/** Checks a page size: 1 to {@link MAX_PAGE}. */
export function checkLimit(action: string, limit: unknown): number {
  const n = checkCount(action, "limit", limit);
  if (n === 0 || n > MAX_PAGE) throw malformed(action, `limit must be 1 to ${MAX_PAGE}`);
  return n;
}

/** Decodes a stored text body. */
export function decodeText(body: Uint8Array): string {
  return utf8.decode(body);
}
