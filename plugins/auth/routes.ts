/**
 * The auth plugin's public mount (`/auth/v1` on its own listener, no local
 * token): the login page, the protocol's JSON routes and the login
 * request's server-sent events, with their OpenAPI Path Items
 * (docs/auth.md §4).
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { toHex } from "../../core/bytes.ts";
import type { PluginRoutes } from "../../core/plugin.ts";
import { readJsonBody } from "../../server/json_body.ts";
import { loginPage } from "./_page.ts";
import { qrSvg } from "./_qr_svg.ts";
import type { AuthServer } from "./server.ts";

/** The largest request body: an identity document and a certificate fit in well under it. */
export const AUTH_BODY_LIMIT = 64 * 1024;

/** The caller's address as the listener saw it (Deno.serve's remoteAddr). */
function address(c: Context): string {
  const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return info?.remoteAddr?.hostname ?? "unknown";
}

/** The bearer token of a request, if any. */
function bearer(c: Context): string | undefined {
  const header = c.req.header("authorization");
  return header?.startsWith("Bearer ") ? header.slice(7) : undefined;
}

const NO_STORE = { "cache-control": "no-store" };

const json = (description: string, properties: Record<string, unknown> = {}) => ({
  description,
  content: { "application/json": { schema: { type: "object", properties } } },
});
const error = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});
const str = { type: "string" };
const body = (description: string, required: string[]) => ({
  required: true,
  content: {
    "application/json": {
      schema: {
        type: "object",
        required,
        properties: Object.fromEntries(required.map((k) => [k, str])),
      },
    },
  },
  description,
});
const statement = body("A login statement signed by the device (docs/auth.md §3.2)", [
  "challenge",
  "meteorId",
  "deviceId",
  "origin",
  "signature",
]);
const refused = {
  "400": error("Malformed body (E_MALFORMED, E_BAD_ID)"),
  "401": error(
    "Refused (E_AUTH_CHALLENGE, E_AUTH_REPLAYED, E_AUTH_EXPIRED, E_AUTH_ORIGIN, E_AUTH_DEVICE, E_AUTH_SIGNATURE, E_AUTH_SESSION)",
  ),
  "403": error("The device or session is revoked (E_AUTH_REVOKED)"),
  "429": error("Rate limited (E_AUTH_RATE_LIMITED)"),
};
const sessionView = { meteorId: str, deviceId: str, expiresAt: str };
/** The public document has no security schemes: the bearer token is described in words. */
const bearerAuth = "Send the session token as `authorization: Bearer mts_...`.";

/** The OpenAPI Path Items of the mount, relative to `/auth/v1`. */
export const AUTH_OPENAPI: Record<string, Record<string, unknown>> = {
  "/": {
    get: {
      summary:
        "The login page: a QR code of a fresh login request, completed over server-sent events",
      responses: { "200": { description: "HTML", content: { "text/html": {} } } },
    },
  },
  "/register": {
    post: {
      summary:
        "Enrols a device: the identity document and a device certificate signed by the identity",
      requestBody: body("docs/auth.md §4.1", ["document", "certificate"]),
      responses: {
        "200": json("Registered (created false: it was already)", {
          meteorId: str,
          deviceId: str,
          created: { type: "boolean" },
        }),
        ...refused,
        "422": error(
          "The identity document does not verify (E_ID_MISMATCH, E_BAD_SIGNATURE, E_EXPIRED)",
        ),
      },
    },
  },
  "/challenge": {
    post: {
      summary: "A single-use challenge for one device of an identity, valid 60 s",
      requestBody: body("The identity and device", ["meteorId", "deviceId"]),
      responses: {
        "200": json("The challenge", { challenge: str, origin: str, expiresAt: str }),
        ...refused,
      },
    },
  },
  "/login": {
    post: {
      summary: "Answers a challenge; opens a session",
      requestBody: statement,
      responses: { "200": json("The session", { session: str, ...sessionView }), ...refused },
    },
  },
  "/session": {
    get: {
      summary: "Who a session token belongs to",
      description: bearerAuth,
      responses: { "200": json("The session", sessionView), ...refused },
    },
    delete: {
      summary: "Logs out: the session token stops working at once",
      description: bearerAuth,
      responses: { "204": { description: "Revoked" }, ...refused },
    },
  },
  "/devices": {
    get: {
      summary: "The devices of the session's identity",
      description: bearerAuth,
      responses: { "200": json("Devices", { devices: { type: "array" } }), ...refused },
    },
  },
  "/revoke": {
    post: {
      summary:
        "Revokes a device with a revocation signed by the identity or another of its devices",
      requestBody: body("docs/auth.md §4.5 (by is optional)", [
        "meteorId",
        "deviceId",
        "origin",
        "issuedAt",
        "signature",
      ]),
      responses: { "200": json("Revoked", { deviceId: str, revokedAt: str }), ...refused },
    },
  },
  "/requests": {
    post: {
      summary:
        "A login request for the login page (its secret becomes the session token on approval)",
      responses: {
        "201": json("The request", { id: str, secret: str, url: str, expiresAt: str, qr: str }),
        "429": refused["429"],
      },
    },
  },
  "/requests/{id}": {
    get: {
      summary: "What a device signs to approve a login request",
      parameters: [{ name: "id", in: "path", required: true, schema: str }],
      responses: {
        "200": json("The request", {
          id: str,
          challenge: str,
          origin: str,
          expiresAt: str,
          approved: { type: "boolean" },
        }),
        ...refused,
      },
    },
  },
  "/requests/{id}/approve": {
    post: {
      summary: "A device approves a login request with a login statement for its challenge",
      parameters: [{ name: "id", in: "path", required: true, schema: str }],
      requestBody: statement,
      responses: {
        "200": json("Approved", { approved: { const: true }, meteorId: str, deviceId: str }),
        ...refused,
      },
    },
  },
  "/requests/{id}/events": {
    get: {
      summary:
        "Server-sent events of a login request: one `approved` (data: the session) or `expired`",
      parameters: [{ name: "id", in: "path", required: true, schema: str }],
      description: "Send the page's request secret as `authorization: Bearer mts_...`.",
      responses: {
        "200": { description: "text/event-stream", content: { "text/event-stream": {} } },
        ...refused,
      },
    },
  },
};

/** Where the mount sits on its listener (docs/auth.md §4). */
export const AUTH_MOUNT = "/auth/v1";

/** The mount on `listen`. */
export function authRoutes(server: AuthServer, listen: string): PluginRoutes {
  const app = new Hono();
  app.get("/", (c) => {
    const nonce = toHex(crypto.getRandomValues(new Uint8Array(16)));
    return c.html(loginPage(nonce), 200, {
      ...NO_STORE,
      "content-security-policy":
        `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
    });
  });
  const read = (c: Context) => readJsonBody(c, { maxBytes: AUTH_BODY_LIMIT });
  app.post(
    "/register",
    async (c) => c.json(await server.register(await read(c), address(c)), 200, NO_STORE),
  );
  app.post(
    "/challenge",
    async (c) => c.json(await server.challenge(await read(c), address(c)), 200, NO_STORE),
  );
  app.post(
    "/login",
    async (c) => c.json(await server.login(await read(c), address(c)), 200, NO_STORE),
  );
  app.get(
    "/session",
    async (c) => c.json(await server.sessionView(bearer(c), address(c)), 200, NO_STORE),
  );
  app.delete("/session", async (c) => {
    await server.logout(bearer(c), address(c));
    return c.body(null, 204);
  });
  app.get(
    "/devices",
    async (c) => c.json(await server.devices(bearer(c), address(c)), 200, NO_STORE),
  );
  app.post(
    "/revoke",
    async (c) => c.json(await server.revoke(await read(c), address(c)), 200, NO_STORE),
  );
  app.post("/requests", async (c) => {
    const request = await server.createRequest(address(c));
    return c.json({ ...request, qr: qrSvg(request.url) }, 201, NO_STORE);
  });
  app.get(
    "/requests/:id",
    async (c) => c.json(await server.requestInfo(c.req.param("id")), 200, NO_STORE),
  );
  app.post(
    "/requests/:id/approve",
    async (c) =>
      c.json(await server.approve(c.req.param("id"), await read(c), address(c)), 200, NO_STORE),
  );
  app.get("/requests/:id/events", async (c) => {
    const wait = await server.watch(c.req.param("id"), bearer(c));
    // Ends the wait when the client goes away (the stream is cancelled).
    const gone = new AbortController();
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode(": waiting\n\n"));
        const outcome = await wait(gone.signal);
        if (gone.signal.aborted) return;
        const data = outcome.state === "approved" ? outcome.session : {};
        controller.enqueue(
          encoder.encode(`event: ${outcome.state}\ndata: ${JSON.stringify(data)}\n\n`),
        );
        controller.close();
      },
      cancel: () => gone.abort(),
    });
    return new Response(stream, {
      headers: { "content-type": "text/event-stream", ...NO_STORE, "x-accel-buffering": "no" },
    });
  });
  return {
    app,
    policy: "public",
    listen,
    mount: AUTH_MOUNT,
    bodyLimit: AUTH_BODY_LIMIT,
    openapi: AUTH_OPENAPI,
  };
}
