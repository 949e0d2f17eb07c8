/**
 * The p2p plugin's HTTP routes, mounted at /v1: `POST /v1/messages` queues
 * a direct message, `GET /v1/outbox` shows delivery state. Received messages
 * are served by the core's GET /v1/inbox.
 *
 * @module
 */
import { Hono } from "hono";
import { MeteorError } from "../../core/errors.ts";
import { formatMeteorId } from "../../core/identity/mod.ts";
import type { NodeStore } from "../../core/store/mod.ts";
import type { OpenApiPathItem, PluginRoutes } from "../../core/plugin.ts";
import type { P2PNode } from "./node.ts";
import { MAX_TEXT_BYTES } from "./_records.ts";

const json = (schema: unknown) => ({ content: { "application/json": { schema } } });
const error = (description: string) => ({
  description,
  ...json({ $ref: "#/components/schemas/Error" }),
});

const OPENAPI: Record<string, OpenApiPathItem> = {
  "/messages": {
    post: {
      summary: "Queue a direct message to a contact (by name) or a MeteorID; " +
        "it is delivered end-to-end encrypted when the peer is reachable, and retried until " +
        "the peer acknowledges it, across restarts",
      requestBody: {
        required: true,
        ...json({
          type: "object",
          required: ["to", "text"],
          additionalProperties: false,
          properties: {
            to: { type: "string", description: "Contact name or MeteorID (meteor1...)" },
            text: {
              type: "string",
              minLength: 1,
              description: `UTF-8 text, not empty, at most ${MAX_TEXT_BYTES} bytes`,
            },
          },
        }),
      },
      responses: {
        "202": {
          description: "Stored in the outbox; delivery follows",
          ...json({
            type: "object",
            required: ["id", "to", "status"],
            properties: {
              id: { type: "string" },
              to: { type: "string" },
              status: { const: "queued" },
            },
          }),
        },
        "400": error(
          "Malformed body or empty text (E_MALFORMED); malformed MeteorID, or this node's own " +
            "(E_BAD_ID)",
        ),
        "401": error("Missing or wrong API token (E_UNAUTHORIZED)"),
        "403": error("Forbidden Host or Origin (E_FORBIDDEN)"),
        "404": error("No such contact (E_NOT_FOUND)"),
        "413": error("Text too long (E_TOO_LARGE)"),
      },
    },
  },
  "/outbox": {
    get: {
      summary: "Messages sent from this node, oldest first, with their delivery state and, " +
        "for those not yet delivered, why they wait",
      parameters: [{
        name: "limit",
        in: "query",
        required: false,
        schema: { type: "integer", minimum: 1, maximum: 1000 },
      }],
      responses: {
        "200": {
          description: "The outbox",
          ...json({
            type: "object",
            properties: {
              messages: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    id: { type: "string" },
                    to: { type: "string" },
                    text: { type: "string" },
                    createdAt: { type: "integer" },
                    attempts: { type: "integer" },
                    deliveredAt: { type: ["integer", "null"] },
                    waiting: {
                      description: "Why an undelivered message waits (the last failed " +
                        "delivery attempt), or null",
                      oneOf: [{ type: "null" }, {
                        type: "object",
                        required: ["code", "message"],
                        properties: {
                          code: {
                            type: "string",
                            description: "E_NO_ADDRESS (no address known: add the peer's " +
                              "identity document or a bootstrap address, or wait for it to " +
                              "connect), E_UNREACHABLE, E_TIMEOUT, E_HANDSHAKE, ...",
                          },
                          message: { type: "string" },
                        },
                      }],
                    },
                  },
                },
              },
            },
          }),
        },
        "400": error("Bad limit (E_MALFORMED)"),
        "401": error("Missing or wrong API token (E_UNAUTHORIZED)"),
        "403": error("Forbidden Host or Origin (E_FORBIDDEN)"),
      },
    },
  },
};

function malformed(state: string): MeteorError {
  return new MeteorError("E_MALFORMED", `Cannot send message: ${state}`);
}

/** Builds the routes over a running node and its store. */
export function p2pRoutes(node: P2PNode, store: NodeStore): PluginRoutes {
  const app = new Hono();
  app.post("/messages", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw malformed("the body is not JSON");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw malformed("the body must be an object");
    }
    const { to, text, ...rest } = body as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw malformed(`unknown field "${Object.keys(rest)[0]}"`);
    if (typeof to !== "string" || typeof text !== "string") {
      throw malformed('"to" and "text" must be strings');
    }
    return c.json(node.send(to, text), 202);
  });
  app.get("/outbox", (c) => {
    const raw = c.req.query("limit");
    const limit = raw === undefined ? 100 : Number(raw);
    if (!Number.isInteger(limit)) {
      throw new MeteorError("E_MALFORMED", 'Cannot list outbox: "limit" must be an integer');
    }
    const messages = store.outbox.list(limit).map((m) => ({
      id: m.id,
      to: formatMeteorId(m.to),
      text: new TextDecoder().decode(m.body),
      createdAt: m.createdAt,
      attempts: m.attempts,
      deliveredAt: m.deliveredAt,
      waiting: m.deliveredAt === null ? node.waiting(m.to) : null,
    }));
    return c.json({ messages });
  });
  return { app, mount: "/v1", openapi: OPENAPI };
}
