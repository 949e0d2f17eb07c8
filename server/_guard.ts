/**
 * The local API's gate, run before every route: the Host and Origin checks
 * that stop a web page from driving the API (DNS rebinding and cross-site
 * requests), then the bearer token check, or the page's cookie session
 * (one-time login codes traded at POST /v1/login). docs/api.md §Security.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { apiTokenMatches } from "../core/api_token.ts";
import { constantTimeEqual, toHex, utf8 } from "../core/bytes.ts";
import { hmacSha256 } from "../core/crypto/hash.ts";
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

/** Where a page trades a one-time login code for its session cookie (docs/api.md §Browser sessions). */
export const LOGIN_PATH = "/v1/login";

/** The header carrying the login code on `POST /v1/login`. */
export const LOGIN_HEADER = "x-meteor-login";

/**
 * The header a page sends on every cookie-session request. Another origin
 * cannot send it without a CORS preflight, which the API never grants.
 */
export const PAGE_HEADER = "x-meteor-page";

/** The path of the node's page; its files are served without credentials. */
export const PAGE_PATH = "/v1/dashboard";

/** How long a login code can be redeemed: 2 minutes. */
export const LOGIN_CODE_MS = 2 * 60_000;

/** How long a session cookie lasts: 8 hours. */
export const SESSION_MS = 8 * 3_600_000;

/** Nonces of redeemed login codes, with their expiry, so that each code works once. */
const redeemed = new Map<string, number>();

/** `<expiry>.<nonce>.<HMAC-SHA256 keyed by the token over label, expiry and nonce>`. */
function seal(token: string, label: string, expires: number): string {
  const nonce = toHex(crypto.getRandomValues(new Uint8Array(16)));
  return `${expires}.${nonce}.${mac(token, label, `${expires}`, nonce)}`;
}

function mac(token: string, label: string, expires: string, nonce: string): string {
  return toHex(
    hmacSha256(utf8(token), utf8(`${label}\n${expires}\n${nonce}`)),
  );
}

/** The nonce of a sealed value made with `label` that has not expired, else undefined. */
function opened(token: string, label: string, value: string, now: number): string | undefined {
  const match = /^(\d{1,15})\.([0-9a-f]{32})\.([0-9a-f]{64})$/.exec(value);
  if (!match || Number(match[1]) <= now) return undefined;
  const expected = mac(token, label, match[1], match[2]);
  return constantTimeEqual(utf8(expected), utf8(match[3])) ? match[2] : undefined;
}

/**
 * A one-time login code for the node with `token`: single use, valid for
 * {@link LOGIN_CODE_MS}. Anyone holding the token can mint one (the daemon's
 * startup line, `meteor open`); only that node accepts it.
 */
export function loginCode(token: string, now = Date.now()): string {
  return seal(token, "meteor login v1", now + LOGIN_CODE_MS);
}

/** The page's login link on the API at `apiUrl` (`http://127.0.0.1:7701`): the code rides in the fragment. */
export function loginLink(apiUrl: string, token: string): string {
  return `${apiUrl}${PAGE_PATH}#login=${loginCode(token)}`;
}

/** The session cookie's name: one per API port, since browsers share cookies across ports. */
function cookieName(c: Context): string {
  const host = c.req.header("host") ?? new URL(c.req.url).host;
  return `meteor_session_${/:(\d+)$/.exec(host)?.[1] ?? "80"}`;
}

/** Answers `POST /v1/login`: a good unused code gets 204 and the session cookie. */
function login(c: Context, token: string): Response {
  const now = Date.now();
  for (const [nonce, expires] of redeemed) if (expires <= now) redeemed.delete(nonce);
  const code = c.req.header(LOGIN_HEADER) ?? "";
  const nonce = opened(token, "meteor login v1", code, now);
  if (nonce === undefined || redeemed.has(nonce)) {
    throw new MeteorError(
      "E_UNAUTHORIZED",
      "Cannot log in: the login code is wrong, expired or used",
    );
  }
  redeemed.set(nonce, now + LOGIN_CODE_MS);
  const cookie = seal(token, "meteor session v1", now + SESSION_MS);
  return new Response(null, {
    status: 204,
    headers: {
      "set-cookie": `${cookieName(c)}=${cookie}; Path=/; Max-Age=${SESSION_MS / 1000}; ` +
        "HttpOnly; SameSite=Strict",
      "cache-control": "no-store",
    },
  });
}

/**
 * Whether the request carries a valid session cookie and comes from the
 * page: with {@link PAGE_HEADER}, or as a WebSocket upgrade with an Origin
 * (which {@link hostGuard} has checked).
 */
function pageSession(c: Context, token: string): boolean {
  const fromPage = c.req.header(PAGE_HEADER) === "1" ||
    (c.req.header("upgrade")?.toLowerCase() === "websocket" &&
      c.req.header("origin") !== undefined);
  if (!fromPage) return false;
  const name = cookieName(c);
  const value = (c.req.header("cookie") ?? "").split(";").map((p) => p.trim())
    .find((p) => p.startsWith(`${name}=`))?.slice(name.length + 1);
  return value !== undefined && opened(token, "meteor session v1", value, Date.now()) !== undefined;
}

/** Whether `path` is the page or one of its files (`/v1/dashboard`, `/v1/dashboard/app.js`). */
function isPagePath(path: string): boolean {
  return path === PAGE_PATH || /^\/v1\/dashboard\/[a-z0-9-]+\.[a-z]+$/.test(path);
}

/**
 * Refuses (401 E_UNAUTHORIZED) a request without the node's token or a
 * page session. Every path needs one, /v1/health included (issue 3), except
 * the page's own files (GET {@link PAGE_PATH}) and `POST /v1/login`, which
 * this guard answers itself.
 */
export function tokenGuard(token: string): MiddlewareHandler {
  return async (c, next) => {
    const path = new URL(c.req.url).pathname;
    if (c.req.method === "POST" && path === LOGIN_PATH) return login(c, token);
    const presented = presentedToken(c);
    const allowed = presented !== undefined
      ? apiTokenMatches(token, presented)
      : (c.req.method === "GET" && isPagePath(path)) || pageSession(c, token);
    if (!allowed) {
      throw new MeteorError("E_UNAUTHORIZED", "Cannot accept request: missing or wrong API token");
    }
    await next();
  };
}
