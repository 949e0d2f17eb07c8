/**
 * The p2p plugin's HTTP routes, mounted at /v1: `POST /v1/messages` queues
 * a direct message or a batch of them, `GET /v1/outbox` and `GET /v1/outbox/{id}` show delivery
 * state, `GET /v1/inbox` lists received messages.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { toBase64 } from "../../core/bytes.ts";
import { MeteorError } from "../../core/errors.ts";
import { resolvePeerName } from "../../core/contacts.ts";
import { formatMeteorId } from "../../core/identity/mod.ts";
import type { Contacts } from "../../core/store/mod.ts";
import type { OpenApiPathItem, PluginRoutes } from "../../core/plugin.ts";
import type { P2PNode } from "./node.ts";
import { MAX_TEXT_BYTES } from "./_records.ts";
import { batchError, MAX_SEND_BATCH } from "./outbox.ts";
import {
  type InboxJson,
  inboxJson,
  type InboxSource,
  type MessageStore,
  type OutboxMessage,
} from "./store/mod.ts";

const json = (schema: unknown) => ({ content: { "application/json": { schema } } });
const error = (description: string) => ({
  description,
  ...json({ $ref: "#/components/schemas/Error" }),
});

const INBOX_MESSAGE = {
  type: "object",
  required: ["id", "from", "kind", "receivedAt", "seq"],
  properties: {
    id: { type: "string" },
    from: { type: "string", description: "Sender MeteorID" },
    contact: { type: ["string", "null"], description: "Sender's contact name, if any" },
    kind: { enum: ["text", "bytes"] },
    text: { type: "string", description: "For kind text" },
    base64: { type: "string", description: "For kind bytes" },
    receivedAt: { type: "integer" },
    seq: { type: "integer" },
  },
};

const OUTBOX_MESSAGE = {
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
};

const OUTGOING_MESSAGE = {
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
};

const QUEUED = {
  type: "object",
  required: ["id", "to", "status"],
  properties: {
    id: { type: "string" },
    to: { type: "string" },
    status: { const: "queued" },
  },
};

const OPENAPI: Record<string, OpenApiPathItem> = {
  "/inbox": {
    get: {
      summary: "Received messages, oldest first",
      parameters: [
        {
          name: "from",
          in: "query",
          schema: { type: "string" },
          description: "MeteorID or contact name",
        },
        { name: "since", in: "query", schema: { type: "integer" }, description: "Unix ms" },
        { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000 } },
      ],
      responses: {
        "200": {
          description: "Messages",
          ...json({
            type: "object",
            required: ["messages"],
            properties: { messages: { type: "array", items: INBOX_MESSAGE } },
          }),
        },
        "400": error("Bad query (E_MALFORMED, E_BAD_ID)"),
        "401": error("Missing or wrong API token (E_UNAUTHORIZED)"),
        "403": error("Forbidden Host or Origin (E_FORBIDDEN)"),
        "404": error("No contact of that name (E_NOT_FOUND)"),
      },
    },
  },
  "/messages": {
    post: {
      summary: "Queue a direct message, or a batch of them, to contacts (by name) or " +
        "MeteorIDs; each is delivered end-to-end encrypted when the peer is reachable, and " +
        "retried until the peer acknowledges it, across restarts. A batch is stored all or " +
        "none, in one commit",
      requestBody: {
        required: true,
        ...json({
          oneOf: [OUTGOING_MESSAGE, {
            type: "array",
            minItems: 1,
            maxItems: MAX_SEND_BATCH,
            items: OUTGOING_MESSAGE,
            description: `A batch: 1 to ${MAX_SEND_BATCH} messages`,
          }],
        }),
      },
      responses: {
        "202": {
          description: "Stored in the outbox; delivery follows. For a batch, an array of " +
            "these in the order of the request",
          ...json({
            oneOf: [QUEUED, { type: "array", items: QUEUED }],
          }),
        },
        "400": error(
          "Malformed body or empty text (E_MALFORMED); malformed MeteorID, or this node's own " +
            "(E_BAD_ID). In a batch the message names the refused one's position",
        ),
        "401": error("Missing or wrong API token (E_UNAUTHORIZED)"),
        "403": error("Forbidden Host or Origin (E_FORBIDDEN)"),
        "404": error("No such contact (E_NOT_FOUND)"),
        "413": error(`Text too long, or more than ${MAX_SEND_BATCH} messages (E_TOO_LARGE)`),
      },
    },
  },
  "/outbox": {
    get: {
      summary: "Messages sent from this node, newest first (delivered ones are kept for " +
        "pluginConfig.p2p.keepDeliveredMs and at most keepDelivered), with their delivery " +
        "state and, for those not yet delivered, why they wait",
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
                items: OUTBOX_MESSAGE,
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
  "/outbox/{id}": {
    get: {
      summary: "One sent message by the id POST /v1/messages returned, with its delivery " +
        "state (what `meteor send --wait` follows)",
      parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
      responses: {
        "200": { description: "The message", ...json(OUTBOX_MESSAGE) },
        "400": error("Malformed id (E_MALFORMED)"),
        "401": error("Missing or wrong API token (E_UNAUTHORIZED)"),
        "403": error("Forbidden Host or Origin (E_FORBIDDEN)"),
        "404": error("No such message: never queued, or delivered and pruned (E_NOT_FOUND)"),
      },
    },
  },
};

function malformed(state: string): MeteorError {
  return new MeteorError("E_MALFORMED", `Cannot send message: ${state}`);
}

function queryInt(c: Context, key: string): number | undefined {
  const value = c.req.query(key);
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(value)) {
    throw new MeteorError(
      "E_MALFORMED",
      `Cannot parse query: "${key}" must be a non-negative integer`,
    );
  }
  return Number(value);
}

/** The `to` and `text` of one message of a POST /v1/messages body; E_MALFORMED otherwise. */
function outgoing(item: unknown): [string, string] {
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    throw malformed("a message must be an object");
  }
  const { to, text, ...rest } = item as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw malformed(`unknown field "${Object.keys(rest)[0]}"`);
  if (typeof to !== "string" || typeof text !== "string") {
    throw malformed('"to" and "text" must be strings');
  }
  return [to, text];
}

/** What the routes ask of the running node. */
export type Messaging = Pick<P2PNode, "send" | "sendAll" | "waiting">;

/**
 * Builds the routes over the node's messaging, its tables and the contacts;
 * GET /v1/inbox also lists the entries of `inboxSources` (other plugins' files).
 */
export function p2pRoutes(
  node: Messaging,
  store: MessageStore,
  contacts: Contacts,
  inboxSources: ReadonlySet<InboxSource> = new Set(),
): PluginRoutes {
  const app = new Hono();
  const outboxView = (m: OutboxMessage) => ({
    id: m.id,
    to: formatMeteorId(m.to),
    text: new TextDecoder().decode(m.body),
    createdAt: m.createdAt,
    attempts: m.attempts,
    deliveredAt: m.deliveredAt,
    waiting: m.deliveredAt === null ? node.waiting(m.to) : null,
  });
  app.get("/inbox", (c) => {
    const from = c.req.query("from");
    const query = {
      from: from === undefined ? undefined : resolvePeerName(contacts, from, "find contact"),
      since: queryInt(c, "since"),
      limit: queryInt(c, "limit"),
    };
    const messages = store.inbox.list(query);
    const names = new Map<string, string | null>();
    const nameOf = (id: Uint8Array) => {
      const key = toBase64(id);
      if (!names.has(key)) names.set(key, contacts.byId(id)?.name ?? null);
      return names.get(key)!;
    };
    const listed: InboxJson[] = messages.map((m) => inboxJson(m, nameOf(m.from)));
    for (const source of inboxSources) {
      for (const entry of source(query)) {
        listed.push({
          id: entry.id,
          from: formatMeteorId(entry.from),
          contact: nameOf(entry.from),
          kind: "file",
          file: entry.file,
          receivedAt: entry.receivedAt,
          seq: 0,
        });
      }
    }
    // Oldest first (a stable sort keeps messages before files of the same ms), as many as asked.
    listed.sort((a, b) => a.receivedAt - b.receivedAt);
    return c.json({ messages: listed.slice(0, query.limit ?? 100) });
  });
  app.post("/messages", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw malformed("the body is not JSON");
    }
    if (!Array.isArray(body)) return c.json(await node.send(...outgoing(body)), 202);
    if (body.length > MAX_SEND_BATCH) {
      throw new MeteorError(
        "E_TOO_LARGE",
        `Cannot send messages: more than ${MAX_SEND_BATCH} in one request`,
      );
    }
    const messages = body.map((item, i) => {
      try {
        const [to, text] = outgoing(item);
        return { to, text };
      } catch (err) {
        throw batchError(err, i);
      }
    });
    return c.json(await node.sendAll(messages), 202);
  });
  app.get("/outbox", (c) => {
    const raw = c.req.query("limit");
    const limit = raw === undefined ? 100 : Number(raw);
    if (!Number.isInteger(limit)) {
      throw new MeteorError("E_MALFORMED", 'Cannot list outbox: "limit" must be an integer');
    }
    return c.json({ messages: store.outbox.list(limit).map(outboxView) });
  });
  app.get("/outbox/:id", (c) => {
    const message = store.outbox.get(c.req.param("id"));
    if (!message) throw new MeteorError("E_NOT_FOUND", "Cannot find message: not in the outbox");
    return c.json(outboxView(message));
  });
  return { app, mount: "/v1", openapi: OPENAPI };
}
