/**
 * The pubsub plugin's HTTP routes on the local API, mounted at /v1
 * (docs/api.md §PubSub): list topics, publish, subscribe and unsubscribe,
 * and manage private topics.
 *
 * @module
 */
import { Hono } from "hono";
import { formatMeteorId } from "../../core/identity/mod.ts";
import { MeteorError } from "../../core/errors.ts";
import { resolvePeerName } from "../../core/contacts.ts";
import type { PluginRoutes } from "../../core/plugin.ts";
import type { Contacts } from "../../core/store/mod.ts";
import { readJsonBody } from "../../server/json_body.ts";
import type { PubSubConfig } from "./config.ts";
import type { PubSub } from "./pubsub.ts";

const json = (description: string, schema: unknown = { type: "object" }) => ({
  description,
  content: { "application/json": { schema } },
});
const error = (description: string) => json(description, { $ref: "#/components/schemas/Error" });
const topicParameter = {
  name: "topic",
  in: "path",
  required: true,
  description:
    'The topic name, percent-encoded (1 to 255 UTF-8 bytes, not starting with "meteor-group/")',
  schema: { type: "string" },
};
const memberBody = json("The member: a contact name or MeteorID", {
  type: "object",
  required: ["member"],
  properties: { member: { type: "string" } },
});
const BAD = error("Bad topic or body (E_MALFORMED, E_BAD_ID)");

/** The OpenAPI Path Items of the routes, relative to /v1. */
const OPENAPI = {
  "/topics": {
    get: {
      summary: "Topics this node is subscribed to or holds a key of, with their peers",
      responses: { "200": json("The topics", { type: "object", required: ["topics"] }) },
    },
  },
  "/topics/{topic}": {
    post: {
      summary: "Publishes a text on a topic (sealed to members on a private topic)",
      parameters: [topicParameter],
      requestBody: json("The text", {
        type: "object",
        required: ["text"],
        properties: { text: { type: "string" } },
      }),
      responses: {
        "202": json("Published: topic, msgId, recipients"),
        "400": BAD,
        "413": error("The envelope would pass maxMessageBytes (E_TOO_LARGE)"),
      },
    },
  },
  "/topics/{topic}/subscribe": {
    post: {
      summary:
        "Subscribes to a topic (or, to relay a private topic, to its gossipTopic); survives restarts",
      parameters: [topicParameter],
      responses: { "200": json("topic, subscribed: true, added"), "400": BAD },
    },
  },
  "/topics/{topic}/unsubscribe": {
    post: {
      summary: "Unsubscribes from a topic",
      parameters: [topicParameter],
      responses: { "200": json("topic, subscribed: false, removed"), "400": BAD },
    },
  },
  "/topics/{topic}/private": {
    post: {
      summary: "Creates a private topic owned by this node (key epoch 1) and subscribes",
      parameters: [topicParameter],
      responses: {
        "201": json("topic, epoch, gossipTopic (the derived gossipsub topic it travels on)"),
        "400": BAD,
        "409": error("This node already knows a private topic of that name (E_EXISTS)"),
      },
    },
  },
  "/topics/{topic}/members": {
    post: {
      summary:
        "Invites a member: sends it the current topic key sealed to its X-Wing key (a member accepts it only from a contact)",
      parameters: [topicParameter],
      requestBody: memberBody,
      responses: {
        "200": json("topic, member, epoch"),
        "400": BAD,
        "403": error("This node does not own the topic (E_FORBIDDEN)"),
        "404": error("No such private topic or contact (E_NOT_FOUND)"),
        "503": error("The member cannot be reached (E_NO_ADDRESS, E_UNREACHABLE)"),
      },
    },
  },
  "/topics/{topic}/members/{member}": {
    delete: {
      summary: "Removes a member and rotates the topic key to the remaining members",
      parameters: [topicParameter, {
        name: "member",
        in: "path",
        required: true,
        description: "A contact name or MeteorID",
        schema: { type: "string" },
      }],
      responses: {
        "200": json("topic, member, epoch (the new one), undelivered"),
        "400": BAD,
        "403": error("This node does not own the topic (E_FORBIDDEN)"),
        "404": error("No such private topic, contact or member (E_NOT_FOUND)"),
      },
    },
  },
};

/** The token mount at /v1. */
export function pubsubRoutes(node: PubSub, contacts: Contacts, config: PubSubConfig): PluginRoutes {
  const app = new Hono();
  const bodyLimit = 2 * config.maxMessageBytes;
  const member = (text: unknown, action: string) => {
    if (typeof text !== "string") {
      throw new MeteorError("E_MALFORMED", `Cannot ${action}: "member" must be a string`);
    }
    return resolvePeerName(contacts, text, action);
  };
  app.get("/topics", (c) => c.json({ topics: node.topics() }));
  app.post("/topics/:topic", async (c) => {
    const body = await readJsonBody(c, { maxBytes: bodyLimit });
    if (typeof body.text !== "string") {
      throw new MeteorError("E_MALFORMED", 'Cannot publish: "text" must be a string');
    }
    const topic = c.req.param("topic");
    return c.json({ topic, ...await node.publish(topic, body.text) }, 202);
  });
  app.post("/topics/:topic/subscribe", (c) => {
    const topic = c.req.param("topic");
    return c.json({ topic, subscribed: true, added: node.subscribe(topic) });
  });
  app.post("/topics/:topic/unsubscribe", (c) => {
    const topic = c.req.param("topic");
    return c.json({ topic, subscribed: false, removed: node.unsubscribe(topic) });
  });
  app.post("/topics/:topic/private", (c) => c.json(node.create(c.req.param("topic")), 201));
  app.post("/topics/:topic/members", async (c) => {
    const body = await readJsonBody(c, { maxBytes: 4096 });
    const id = member(body.member, "invite member");
    const result = await node.invite(c.req.param("topic"), id);
    return c.json({ ...result, member: formatMeteorId(id) });
  });
  app.delete("/topics/:topic/members/:member", async (c) => {
    const id = member(c.req.param("member"), "remove member");
    const result = await node.remove(c.req.param("topic"), id);
    return c.json({ ...result, member: formatMeteorId(id) });
  });
  return { app, mount: "/v1", bodyLimit, openapi: OPENAPI };
}
