/**
 * The one JSON body reader of the core's routes and the plugins' (exported
 * through the plugin kit): a JSON object, read under a size bound, with the
 * API's error codes.
 *
 * @module
 */
import { MeteorError } from "../core/errors.ts";
import { MAX_REQUEST_BYTES, readBodyBytes } from "./_body.ts";

/**
 * What {@link readJsonBody} reads: a route's Hono context (`c`), declared by
 * the one member it uses, so that the plugin kit's types do not depend on
 * Hono's.
 */
export interface RequestContext {
  /** The request, as Hono's `c.req` holds it. */
  readonly req: { readonly raw: Request };
}

/** Options of {@link readJsonBody}. */
export interface ReadJsonBodyOptions {
  /** The largest body read, in bytes; default 1 MiB (MAX_REQUEST_BYTES). */
  maxBytes?: number;
}

/**
 * Reads the request body as a JSON object, at most `maxBytes` of it.
 * E_TOO_LARGE past the bound (or past the mount's own body limit);
 * E_MALFORMED for a body that is not UTF-8 JSON, not an object, or cut off.
 *
 * @example
 * ```ts ignore
 * app.post("/notes", async (c) => {
 *   const { text } = await readJsonBody(c, { maxBytes: 64 * 1024 });
 *   return c.json({ length: String(text).length }, 201);
 * });
 * ```
 */
export async function readJsonBody(
  c: RequestContext,
  options: ReadJsonBodyOptions = {},
): Promise<Record<string, unknown>> {
  const bytes = await readBodyBytes(c.req.raw, options.maxBytes ?? MAX_REQUEST_BYTES);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new MeteorError("E_MALFORMED", "Cannot parse request body: not JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new MeteorError("E_MALFORMED", "Cannot parse request body: not a JSON object");
  }
  return body as Record<string, unknown>;
}
