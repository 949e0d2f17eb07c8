/**
 * How the local API reports errors: always `{ "error": { code, message } }`
 * with the core's stable code and the HTTP status that fits it. Unexpected
 * failures are logged and reported as E_INTERNAL without details.
 *
 * @module
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ErrorCode, isMeteorError, MeteorError, registeredErrorCode } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";

/** The HTTP status of each core error code; core codes not listed are 500. */
const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  E_MALFORMED: 400,
  E_USAGE: 400,
  E_BAD_ID: 400,
  E_BAD_KEY: 400,
  E_BAD_RECIPIENT: 400,
  E_BAD_CONFIG: 400,
  E_HEADER_INVALID: 400,
  E_ARMOR_INVALID: 400,
  E_BAD_PASSPHRASE: 400,
  E_UNAUTHORIZED: 401,
  E_FORBIDDEN: 403,
  E_NOT_FOUND: 404,
  E_EXISTS: 409,
  E_LOCKED: 409,
  E_REPLAY: 409,
  E_TOO_LARGE: 413,
  E_BAD_SIGNATURE: 422,
  E_ID_MISMATCH: 422,
  E_EXPIRED: 422,
  E_DECRYPT_FAILED: 422,
  E_NO_MATCHING_IDENTITY: 422,
  E_HEADER_MAC: 422,
  E_HANDSHAKE: 502,
  E_UNREACHABLE: 503,
  E_NO_ADDRESS: 503,
  E_NOT_INITIALIZED: 503,
  E_GPU_UNAVAILABLE: 503,
  E_TIMEOUT: 504,
};

/**
 * The HTTP status for an error code: the core's table, else the status a
 * plugin registered the code with (registerErrorCodes checks it is 400-599),
 * else 500.
 */
export function statusOf(code: ErrorCode): ContentfulStatusCode {
  return STATUS[code] ?? (registeredErrorCode(code)?.status as ContentfulStatusCode) ?? 500;
}

/** The JSON error response for a MeteorError. */
export function errorResponse(c: Context, err: MeteorError): Response {
  const headers: Record<string, string> = {};
  if (err.code === "E_UNAUTHORIZED") headers["WWW-Authenticate"] = 'Bearer realm="meteor"';
  return c.json({ error: err.toJSON() }, statusOf(err.code), headers);
}

/** An `app.onError` handler: MeteorErrors as they are, anything else as E_INTERNAL. */
export function onError(logger: Logger) {
  return (err: Error, c: Context): Response => {
    if (isMeteorError(err)) return errorResponse(c, err);
    logger.error("request failed", { method: c.req.method, path: c.req.path, error: err });
    return errorResponse(
      c,
      new MeteorError("E_INTERNAL", "Cannot handle request: internal error"),
    );
  };
}

/** An `app.notFound` handler. */
export function notFound(c: Context): Response {
  return errorResponse(
    c,
    new MeteorError("E_NOT_FOUND", `Cannot find route: ${c.req.method} ${c.req.path}`),
  );
}
