/**
 * The local API's bearer token: 32 random bytes in base64url behind the
 * prefix "mtk_" (so the logger and secret scanners recognise it), kept in the
 * node home as `api-token` with mode 0600. `meteor init` creates it; the
 * daemon creates it when it is missing.
 *
 * @module
 */
import { constantTimeEqual, utf8 } from "./bytes.ts";
import { sha256 } from "./crypto/hash.ts";
import { MeteorError } from "./errors.ts";
import { readBoundedFile, writeSecretFile } from "./secret_file.ts";

/** The prefix of every token Meteor makes. */
export const API_TOKEN_PREFIX = "mtk_";

/** The largest token file read, in bytes. */
const MAX_TOKEN_FILE_BYTES = 1024;

/** A token as stored: 16 to 256 URL-safe characters. */
const TOKEN_SHAPE = /^[A-Za-z0-9_.~-]{16,256}$/;

/**
 * Makes a new token from 32 random bytes.
 *
 * @example
 * ```ts
 * import { generateApiToken } from "./api_token.ts";
 * generateApiToken().startsWith("mtk_"); // true
 * ```
 */
export function generateApiToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  try {
    const b64 = btoa(String.fromCharCode(...bytes));
    return API_TOKEN_PREFIX + b64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  } finally {
    bytes.fill(0);
  }
}

/** Checks token text (surrounding whitespace ignored); E_MALFORMED when it is not token-shaped. */
export function parseApiToken(text: string): string {
  const token = text.trim();
  if (!TOKEN_SHAPE.test(token)) {
    throw new MeteorError("E_MALFORMED", "Cannot read API token: it is not a token");
  }
  return token;
}

/**
 * Whether `presented` equals `expected`, in time independent of both: the
 * SHA-256 digests are compared in constant time, so neither the content nor
 * the length of the real token leaks.
 */
export function apiTokenMatches(expected: string, presented: string): boolean {
  return constantTimeEqual(sha256(utf8(expected)), sha256(utf8(presented)));
}

/** Reads the token file at `path`; E_NOT_FOUND when absent, E_MALFORMED when not a token. */
export async function readApiToken(path: string): Promise<string> {
  const bytes = await readBoundedFile(path, MAX_TOKEN_FILE_BYTES);
  try {
    return parseApiToken(new TextDecoder().decode(bytes));
  } finally {
    bytes.fill(0);
  }
}

/**
 * Returns the token stored at `path`, first creating it (mode 0600) when it
 * does not exist. Reports whether it was created.
 */
export async function ensureApiToken(path: string): Promise<{ token: string; created: boolean }> {
  try {
    return { token: await readApiToken(path), created: false };
  } catch (err) {
    if (!(err instanceof MeteorError && err.code === "E_NOT_FOUND")) throw err;
  }
  const token = generateApiToken();
  try {
    await writeSecretFile(path, utf8(token + "\n"));
    return { token, created: true };
  } catch (err) {
    // Another process created it first: use theirs.
    if (err instanceof MeteorError && err.code === "E_EXISTS") {
      return { token: await readApiToken(path), created: false };
    }
    throw err;
  }
}
