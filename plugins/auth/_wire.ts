/**
 * Reading the JSON fields of auth requests: hex and base64 byte strings of
 * an exact length, MeteorIDs, times. A missing, mistyped, truncated or
 * over-long field is E_MALFORMED naming it (E_BAD_ID for a MeteorID).
 *
 * @module
 */
import { fromBase64, fromHex, toHex } from "../../core/bytes.ts";
import { MeteorError } from "../../core/errors.ts";
import { parseMeteorId } from "../../core/identity/mod.ts";

/** A JSON object body. */
export type Body = Record<string, unknown>;

const bad = (action: string, field: string, expected: string) =>
  new MeteorError("E_MALFORMED", `Cannot ${action}: "${field}" must be ${expected}`);

/** Field `name` as `length` bytes of lower-case hex. */
export function hexField(body: Body, name: string, length: number, action: string): Uint8Array {
  const value = body[name];
  if (typeof value !== "string" || value.length !== 2 * length || !/^[0-9a-f]*$/.test(value)) {
    throw bad(action, name, `${length} bytes of lower-case hex`);
  }
  return fromHex(value);
}

/** Field `name` as standard base64 of at most `maxBytes` bytes (exactly, when `exact`). */
export function base64Field(
  body: Body,
  name: string,
  maxBytes: number,
  action: string,
  exact = false,
): Uint8Array {
  const value = body[name];
  const expected = exact ? `base64 of ${maxBytes} bytes` : `base64 of at most ${maxBytes} bytes`;
  if (
    typeof value !== "string" || value.length > 4 * Math.ceil(maxBytes / 3) ||
    value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)
  ) {
    throw bad(action, name, expected);
  }
  const bytes = fromBase64(value);
  if (exact && bytes.length !== maxBytes) throw bad(action, name, expected);
  return bytes;
}

/** Field `name` as a MeteorID text. */
export function meteorIdField(body: Body, name: string, action: string): Uint8Array {
  if (typeof body[name] !== "string") throw bad(action, name, "a MeteorID");
  return parseMeteorId(body[name] as string);
}

/** Field `name` as a string of at most `max` characters. */
export function stringField(body: Body, name: string, max: number, action: string): string {
  const value = body[name];
  if (typeof value !== "string" || value.length > max) {
    throw bad(action, name, `a string of at most ${max} characters`);
  }
  return value;
}

/** Field `name` as a non-negative safe integer. */
export function integerField(body: Body, name: string, action: string): number {
  const value = body[name];
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw bad(action, name, "a non-negative integer");
  }
  return value as number;
}

/** Hex text of an ID. */
export const hex: (bytes: Uint8Array) => string = toHex;

/** A Unix-ms time as ISO 8601 text. */
export const iso = (ms: number): string => new Date(ms).toISOString();
