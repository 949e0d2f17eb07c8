/**
 * The dashboard's routes: the page and its files, all GET, served without
 * credentials (server/_guard.ts lets GET /v1/dashboard and its files through)
 * and with a Content-Security-Policy that allows nothing from elsewhere; they
 * say nothing about the node. `GET /v1/dashboard/identity` (the age recipient
 * and the MeteorID's QR code) needs the token or the session, as the rest of
 * the API does.
 *
 * @module
 */
import { Hono } from "hono";
import type { NodeIdentity, PluginRoutes } from "../../core/plugin.ts";
import { ageRecipient, formatMeteorId } from "../../core/identity/mod.ts";
import { qrSvg } from "./qr.ts";
import html from "./page/index.html" with { type: "text" };
import script from "./page/app.js" with { type: "text" };
import style from "./page/style.css" with { type: "text" };

const HEADERS = {
  "cache-control": "no-store",
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; " +
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; " +
    "form-action 'none'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

const page = (summary: string, type: string) => ({
  get: { summary, responses: { "200": { description: type, content: { [type]: {} } } } },
});

/** The documented operations (relative to /v1/dashboard). */
const OPENAPI = {
  "/": page("The dashboard page (log in with the link of `meteor open`)", "text/html"),
  "/app.js": page("The page's script", "text/javascript"),
  "/style.css": page("The page's style sheet", "text/css"),
  "/identity": {
    get: {
      summary: "This node's age recipient and the QR code (SVG) of its MeteorID",
      responses: {
        "200": {
          description: "{meteorId, ageRecipient, qrSvg}",
          content: { "application/json": {} },
        },
      },
    },
  },
};

/** The page's mount on the local API (token policy; the guard serves the files without one). */
export function dashboardRoutes(identity: NodeIdentity): PluginRoutes {
  const meteorId = formatMeteorId(identity.meteorId);
  const own = { meteorId, ageRecipient: ageRecipient(identity.publicKeys), qrSvg: qrSvg(meteorId) };
  const app = new Hono();
  const serve = (body: string, type: string) => () =>
    new Response(body, { headers: { ...HEADERS, "content-type": `${type}; charset=utf-8` } });
  app.get("/", serve(html, "text/html"));
  app.get("/app.js", serve(script, "text/javascript"));
  app.get("/style.css", serve(style, "text/css"));
  app.get("/identity", (c) => c.json(own, 200, { "cache-control": "no-store" }));
  return { app, openapi: OPENAPI, bodyLimit: 0 };
}
