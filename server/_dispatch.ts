/**
 * How a server app reaches the routes of the core and of each plugin mount:
 * every documented operation (method and path of an OpenAPI Path Item) gets
 * one route on the outer app that forwards the request to its owner's own
 * app, which runs the owner's body limit and then its routes. So a request
 * reaches an owner only for an operation it documents, and each request
 * gets exactly one body limit, its owner's, even where owners share `/v1`.
 *
 * @module
 */
import { Hono } from "hono";
import type { Logger } from "../core/logger.ts";
import type { OpenApiPathItem } from "../core/plugin.ts";
import { limitBody } from "./_body.ts";
import { notFound, onError } from "./_errors.ts";
import { joinPath, METHODS } from "./_openapi.ts";

/** Routes with one owner: the core, or a plugin mount. */
export interface Owner {
  /** Where `app` is mounted (`/` for the core, whose paths are absolute). */
  mount: string;
  /** The largest request body, in bytes. */
  bodyLimit: number;
  /** Its Path Items, keyed relative to `mount`. */
  openapi: Record<string, OpenApiPathItem>;
  /** Its routes, relative to `mount`. */
  app: Hono;
}

/** An OpenAPI path template as a Hono path: `/a/{id}` becomes `/a/:p0`. */
function honoPath(path: string): string {
  let n = 0;
  return path.replace(/\{[^}/]*\}/g, () => `:p${n++}`);
}

/** The number of templated segments, so that literal paths are tried first (OpenAPI 3.1 §4.8.8). */
function templates(path: string): number {
  return path.split("{").length - 1;
}

/**
 * Adds to `app` a forwarding route for every documented operation of each
 * owner. Owners' paths must be distinct (buildOpenApi checks).
 */
export function dispatch(app: Hono, owners: readonly Owner[], logger: Logger): void {
  const operations: { method: string; path: string; target: Hono }[] = [];
  for (const owner of owners) {
    const target = new Hono();
    target.onError(onError(logger));
    target.notFound(notFound);
    target.use("*", limitBody(owner.bodyLimit));
    target.route(owner.mount, owner.app);
    for (const [relative, item] of Object.entries(owner.openapi)) {
      const path = joinPath(owner.mount, relative);
      for (const method of METHODS) {
        if (item[method] !== undefined) operations.push({ method, path, target });
      }
    }
  }
  operations.sort((a, b) => templates(a.path) - templates(b.path));
  for (const { method, path, target } of operations) {
    app.on(method.toUpperCase(), honoPath(path), (c) => target.fetch(c.req.raw, c.env));
  }
}
