/**
 * The dht plugin's routes on the local API, mounted at /v1 (docs/api.md):
 * `GET /v1/resolve/{id}` resolves a MeteorID through the DHT, `POST
 * /v1/bootstrap` dials a bootstrap peer now.
 *
 * @module
 */
import { Hono } from "hono";
import { toBase64 } from "../../core/bytes.ts";
import { DOCUMENT_TEXT_PREFIX } from "../../core/identity/mod.ts";
import {
  formatMeteorId,
  MeteorError,
  parseMeteorId,
  type PluginRoutes,
  readJsonBody,
} from "../../plugin.ts";
import type { Resolution } from "./resolver.ts";

const json = (description: string, schema: unknown) => ({
  description,
  content: { "application/json": { schema } },
});
const error = (description: string) => json(description, { $ref: "#/components/schemas/Error" });

/** The JSON of a resolution (GET /v1/resolve/{id}, `meteor resolve --json`). */
export function resolutionJson(r: Resolution): Record<string, unknown> {
  return {
    meteorId: formatMeteorId(r.peer.meteorId),
    peerId: r.peer.peerId,
    addresses: r.peer.addresses,
    sequence: r.sequence,
    expiresAt: r.expiresAt,
    document: DOCUMENT_TEXT_PREFIX + toBase64(r.peer.document),
    hops: r.hops,
    queries: r.queries,
    ms: Math.round(r.ms),
  };
}

/** What the routes ask of the plugin. */
export interface DhtRouteHandlers {
  /** Resolves a MeteorID (E_NOT_FOUND within the bound). */
  resolve(meteorId: Uint8Array): Promise<Resolution>;
  /** Dials `address` and says who answered and how large the routing table is. */
  bootstrap(address: string): Promise<{ peerId: string; routingTable: number }>;
}

const RESOLUTION_SCHEMA = {
  type: "object",
  required: ["meteorId", "peerId", "addresses", "sequence", "expiresAt", "document", "hops"],
  properties: {
    meteorId: { type: "string" },
    peerId: { type: "string" },
    addresses: { type: "array", items: { type: "string" } },
    sequence: { type: "integer" },
    expiresAt: { type: "integer", description: "Unix ms" },
    document: { type: "string", description: "meteor-doc:... (docs/identity.md §4.1)" },
    hops: { type: "integer", description: "0: this node held the record" },
    queries: { type: "integer", description: "GET_VALUE requests sent" },
    ms: { type: "integer" },
  },
};

/** The token mount at /v1. */
export function dhtRoutes(handlers: DhtRouteHandlers): PluginRoutes {
  const app = new Hono();
  app.get("/resolve/:id", async (c) => {
    const meteorId = parseMeteorId(c.req.param("id"));
    return c.json(resolutionJson(await handlers.resolve(meteorId)));
  });
  app.post("/bootstrap", async (c) => {
    const body = await readJsonBody(c, { maxBytes: 4096 });
    const { address, ...rest } = body;
    if (Object.keys(rest).length > 0 || typeof address !== "string") {
      throw new MeteorError(
        "E_MALFORMED",
        'Cannot bootstrap: the body must be {"address": "<multiaddr>"}',
      );
    }
    return c.json({ dialed: true, ...await handlers.bootstrap(address) });
  });
  return {
    app,
    mount: "/v1",
    bodyLimit: 4096,
    openapi: {
      "/resolve/{id}": {
        get: {
          summary: "Resolves a MeteorID through the DHT to its verified identity document",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": json("The verified document and what the lookup took", RESOLUTION_SCHEMA),
            "400": error("Not a MeteorID (E_BAD_ID)"),
            "404": error("No valid record within the bound (E_NOT_FOUND)"),
          },
        },
      },
      "/bootstrap": {
        post: {
          summary: "Dials a bootstrap peer now (meteor bootstrap also adds it to config.json)",
          requestBody: json("The multiaddr", {
            type: "object",
            required: ["address"],
            properties: { address: { type: "string" } },
          }),
          responses: {
            "200": json("Connected", {
              type: "object",
              properties: {
                dialed: { const: true },
                peerId: { type: "string" },
                routingTable: { type: "integer" },
              },
            }),
            "400": error("Not a multiaddr (E_MALFORMED)"),
            "503": error("The peer cannot be reached (E_UNREACHABLE)"),
          },
        },
      },
    },
  };
}
