/**
 * Request body limits, streamed: {@link limitBody} is the middleware every
 * mount runs before its routes, and {@link readBodyBytes} reads a whole
 * body under a (possibly smaller) bound. Nothing is buffered on the route's
 * behalf, so a mount with a high limit can stream a large upload. A body
 * over the limit is `413 E_TOO_LARGE`; one that cannot be read, such as a
 * chunked body the client cut off mid-chunk, or one shorter than its
 * Content-Length, is `400 E_MALFORMED` (docs/api.md §Request bodies).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { concatAll } from "../core/bytes.ts";
import { isMeteorError, MeteorError } from "../core/errors.ts";

/** The default largest request body of a mount, in bytes (413 E_TOO_LARGE above). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

function tooLarge(maxBytes: number): MeteorError {
  return new MeteorError(
    "E_TOO_LARGE",
    `Cannot accept request: body larger than ${maxBytes} bytes`,
  );
}

function endedEarly(cause?: unknown): MeteorError {
  return new MeteorError("E_MALFORMED", "Cannot read request body: it ended early", { cause });
}

/** The Content-Length a request declares, when it has no Transfer-Encoding (RFC 9112 §6.3). */
function declaredLength(headers: Headers): number | undefined {
  if (headers.has("transfer-encoding")) return undefined;
  const value = headers.get("content-length")?.trim();
  return value !== undefined && /^[0-9]{1,16}$/.test(value) ? Number(value) : undefined;
}

/** A body passed through as it is read, with the error it failed with, if any. */
interface CountedBody {
  /** The stream the route reads. */
  readonly stream: ReadableStream<Uint8Array>;
  /** The E_TOO_LARGE or E_MALFORMED the stream errored with, once it did. */
  readonly failure: () => MeteorError | undefined;
}

/**
 * `body`, passed through as the reader pulls it (no read-ahead), counted: it
 * errors with E_TOO_LARGE past `maxBytes`, and with E_MALFORMED when the
 * source fails or ends short of `declared`.
 */
function countedBody(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  declared: number | undefined,
): CountedBody {
  const reader = body.getReader();
  let size = 0;
  let failure: MeteorError | undefined;
  const fail = (err: MeteorError) => {
    failure = err;
    return err;
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await reader.read().catch((err) => {
        throw fail(endedEarly(err));
      });
      if (next.done) {
        if (declared !== undefined && size < declared) throw fail(endedEarly());
        return controller.close();
      }
      size += next.value.length;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw fail(tooLarge(maxBytes));
      }
      controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  return { stream, failure: () => failure };
}

/**
 * A middleware that bounds each request body to `maxBytes` without reading
 * it: a declared Content-Length over the bound is refused at once, any
 * other body is handed on as a stream that errors as it crosses the bound.
 * When the body failed while the route read it, the request is answered
 * with that failure, whatever the route made of it, so that an oversized
 * body is always 413.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    const body = c.req.raw.body;
    if (body === null) return await next();
    const declared = declaredLength(c.req.raw.headers);
    if (declared !== undefined && declared > maxBytes) {
      await body.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    const counted = countedBody(body, maxBytes, declared);
    // A new Request from url, method and headers: `new Request(c.req.raw, ...)`
    // would copy (and so read) the incoming request's signal, which makes
    // Deno.serve print a plain-text warning on stderr.
    const { url, method, headers } = c.req.raw;
    c.req.raw = new Request(url, { method, headers, body: counted.stream });
    await next();
    const failure = counted.failure();
    if (failure) throw failure;
  };
}

/**
 * Reads the whole body of `request`, at most `maxBytes` (E_TOO_LARGE past
 * it, at once for a declared Content-Length over it; E_MALFORMED when it
 * cannot be read). No body reads as zero bytes.
 */
export async function readBodyBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  const body = request.body;
  if (body === null) return new Uint8Array(0);
  const declared = declaredLength(request.headers);
  if (declared !== undefined && declared > maxBytes) {
    await body.cancel().catch(() => {});
    throw tooLarge(maxBytes);
  }
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read().catch((err) => {
        throw isMeteorError(err) ? err : endedEarly(err);
      });
      if (done) break;
      size += value.length;
      if (size > maxBytes) throw tooLarge(maxBytes);
      parts.push(value);
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err;
  }
  return concatAll(parts);
}
