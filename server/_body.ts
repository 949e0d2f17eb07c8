/**
 * The one place the local API reads request bodies: before any route runs,
 * the whole body is read, at most a fixed size, so that a route (or a
 * plugin's) reads a body that is already complete. A body over the limit is
 * `413 E_TOO_LARGE`; a body that cannot be read, such as a chunked body the
 * client cut off mid-chunk, is `400 E_MALFORMED` (docs/api.md).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { concatAll } from "../core/bytes.ts";
import { MeteorError } from "../core/errors.ts";

/** A middleware that reads each request body up front, refusing one of more than `maxBytes`. */
export function readBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = () =>
    new MeteorError("E_TOO_LARGE", `Cannot accept request: body larger than ${maxBytes} bytes`);
  return async (c, next) => {
    const body = c.req.raw.body;
    if (body === null) return await next();
    // A declared length over the limit is refused without reading the body.
    const declared = c.req.header("content-length");
    if (!c.req.raw.headers.has("transfer-encoding") && Number(declared) > maxBytes) {
      await body.cancel().catch(() => {});
      throw tooLarge();
    }
    const reader = body.getReader();
    const parts: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read().catch((err) => {
          throw new MeteorError("E_MALFORMED", "Cannot read request body: it ended early", {
            cause: err,
          });
        });
        if (done) break;
        size += value.length;
        if (size > maxBytes) throw tooLarge();
        parts.push(value);
      }
    } catch (err) {
      await reader.cancel().catch(() => {});
      throw err;
    }
    // A new Request from url, method and headers: `new Request(c.req.raw, ...)`
    // would copy (and so read) the incoming request's signal, which makes
    // Deno.serve print a plain-text warning on stderr; no route uses the signal.
    const { url, method, headers } = c.req.raw;
    c.req.raw = new Request(url, { method, headers, body: concatAll(parts) });
    await next();
  };
}
