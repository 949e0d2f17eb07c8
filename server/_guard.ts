/**
 * The local API's gate, run before every route: the Host and Origin checks
 * that stop a web page from driving the API (DNS rebinding and cross-site
 * requests), then the bearer token check. docs/api.md §Security.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { apiTokenMatches } from "../core/api_token.ts";
import { MeteorError } from "../core/errors.ts";

/** The WebSocket subprotocol clients offer alongside their token. */
export const EVENTS_PROTOCOL = "meteor.v1";

/** The prefix of the subprotocol that carries the token (browsers cannot set headers). */
export const TOKEN_PROTOCOL_PREFIX = "meteor.token.";

function forbidden(what: string): MeteorError {
  return new MeteorError("E_FORBIDDEN", `Cannot accept request: ${what} is not this node's API`);
}

/**
 * Refuses (403 E_FORBIDDEN) a request whose Host is not one of `hosts()`,
 * or whose Origin, when present, is not `http://` plus one of them.
 */
export function hostGuard(hosts: () => readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    const allowed = hosts();
    const host = (c.req.header("host") ?? new URL(c.req.url).host).toLowerCase();
    if (!allowed.includes(host)) throw forbidden("the Host header");
    const origin = c.req.header("origin");
    if (origin !== undefined && !allowed.some((h) => origin.toLowerCase() === `http://${h}`)) {
      throw forbidden("the Origin header");
    }
    await next();
  };
}

/**
 * The token a request presents: `Authorization: Bearer <token>`, or for a
 * WebSocket upgrade the subprotocol `meteor.token.<token>`.
 */
export function presentedToken(c: Context): string | undefined {
  const auth = c.req.header("authorization");
  if (auth !== undefined) {
    const match = /^Bearer +(\S+) *$/i.exec(auth);
    return match?.[1];
  }
  const protocols = c.req.header("sec-websocket-protocol");
  if (protocols === undefined) return undefined;
  return protocols.split(",").map((p) => p.trim())
    .find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))
    ?.slice(TOKEN_PROTOCOL_PREFIX.length);
}

/**
 * Refuses (401 E_UNAUTHORIZED) a request without the node's token. Every
 * path needs it, /v1/health included (issue 3: every request needs the token).
 */
export function tokenGuard(token: string): MiddlewareHandler {
  return async (c, next) => {
    const presented = presentedToken(c);
    if (presented === undefined || !apiTokenMatches(token, presented)) {
      throw new MeteorError("E_UNAUTHORIZED", "Cannot accept request: missing or wrong API token");
    }
    await next();
  };
}
