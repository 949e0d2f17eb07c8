/**
 * The core's own routes: identity, peers, stats, contacts and inbox. Each
 * handler validates its input and returns JSON; failures are MeteorErrors
 * that the app's error handler turns into `{ error }` responses.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import { toBase64 } from "../core/bytes.ts";
import { contactJson, refuseOwnId, resolveContactIdentity } from "../core/contacts.ts";
import { MeteorError } from "../core/errors.ts";
import {
  createDocument,
  formatDocument,
  formatMeteorId,
  looksLikeMeteorId,
  parseMeteorId,
} from "../core/identity/mod.ts";
import type { Counts, InboxMessage } from "../core/store/mod.ts";
import type { ApiNode, PeerStatusApi } from "../server.ts";
import { nodeCipherStatus } from "../core/crypto/node_cipher.ts";

/** The p2p plugin's status functions, when it runs and offers them. */
function peerStatus(node: ApiNode): Partial<PeerStatusApi> {
  const api = node.registry.get("p2p")?.api;
  return typeof api === "object" && api !== null ? api as Partial<PeerStatusApi> : {};
}

function peers(node: ApiNode): unknown[] {
  const { peers } = peerStatus(node);
  return typeof peers === "function" ? peers() : [];
}

/** Reads a JSON object body; E_MALFORMED when it is not one. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new MeteorError("E_MALFORMED", "Cannot parse request body: not JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new MeteorError("E_MALFORMED", "Cannot parse request body: not a JSON object");
  }
  return body as Record<string, unknown>;
}

function stringField(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== "string") {
    throw new MeteorError("E_MALFORMED", `Cannot parse request body: "${key}" must be a string`);
  }
  return value;
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

function messageView(message: InboxMessage, contact: string | null) {
  const body = message.kind === "text"
    ? { text: new TextDecoder().decode(message.body) }
    : { base64: toBase64(message.body) };
  return {
    id: message.id,
    from: formatMeteorId(message.from),
    contact,
    kind: message.kind,
    ...body,
    receivedAt: message.receivedAt,
    seq: message.seq,
  };
}

/** A MeteorID in text form or the name of a contact. */
function resolvePeer(node: ApiNode, text: string): Uint8Array {
  if (looksLikeMeteorId(text)) return parseMeteorId(text);
  const contact = node.store.contacts.get(text);
  if (!contact) throw new MeteorError("E_NOT_FOUND", `Cannot find contact: no contact "${text}"`);
  return contact.meteorId;
}

function sum(all: Record<string, Counts>): Counts {
  const total: Counts = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 };
  for (const counts of Object.values(all)) {
    for (const key of Object.keys(total) as (keyof Counts)[]) total[key] += counts[key];
  }
  return total;
}

/** Registers the core routes on `app`. */
export function coreRoutes(app: Hono, node: ApiNode): void {
  app.get("/v1/health", (c) => c.json({ status: "ok" }));

  app.get("/v1/id", async (c) => {
    const { addresses } = peerStatus(node);
    const listen = typeof addresses === "function" ? addresses() : [];
    const document = await createDocument(node.keys, { addresses: listen });
    return c.json({
      meteorId: formatMeteorId(node.keys.meteorId),
      peerId: node.keys.peerId,
      addresses: listen,
      document: formatDocument(document),
    });
  });

  app.get("/v1/peers", (c) => c.json({ peers: peers(node) }));

  app.get("/v1/stats", (c) => {
    const counters = node.store.counters.all();
    const own = node.registry.stats();
    const plugins: Record<string, unknown> = {};
    for (const { plugin } of node.registry.running) {
      plugins[plugin.name] = {
        version: plugin.version,
        counters: node.store.counters.get(plugin.name),
        stats: own[plugin.name] ?? {},
      };
    }
    return c.json({
      uptimeMs: Date.now() - node.startedAt,
      startedAt: node.startedAt,
      peers: peers(node).length,
      totals: sum(counters),
      plugins,
      cipher: nodeCipherStatus(),
    });
  });

  app.get("/v1/contacts", (c) => c.json({ contacts: node.store.contacts.list().map(contactJson) }));

  app.post("/v1/contacts", async (c) => {
    const body = await readJsonObject(c);
    const name = stringField(body, "name");
    const { meteorId, document } = await resolveContactIdentity(stringField(body, "id"));
    refuseOwnId(meteorId, node.keys.meteorId);
    const contact = node.store.contacts.add({ name, meteorId, document });
    const view = contactJson(contact);
    node.events.emit("contact:add", { name: view.name, meteorId: view.meteorId });
    return c.json(view, 201);
  });

  app.get("/v1/contacts/:name", (c) => {
    const name = c.req.param("name");
    const contact = node.store.contacts.get(name);
    if (!contact) throw new MeteorError("E_NOT_FOUND", `Cannot find contact: no contact "${name}"`);
    return c.json(contactJson(contact));
  });

  app.delete("/v1/contacts/:name", (c) => {
    const name = c.req.param("name");
    const contact = node.store.contacts.get(name);
    node.store.contacts.remove(name);
    if (contact) {
      node.events.emit("contact:remove", { name, meteorId: formatMeteorId(contact.meteorId) });
    }
    return c.body(null, 204);
  });

  app.get("/v1/inbox", (c) => {
    const from = c.req.query("from");
    const messages = node.store.inbox.list({
      from: from === undefined ? undefined : resolvePeer(node, from),
      since: queryInt(c, "since"),
      limit: queryInt(c, "limit"),
    });
    const names = new Map<string, string | null>();
    const nameOf = (id: Uint8Array) => {
      const key = toBase64(id);
      if (!names.has(key)) names.set(key, node.store.contacts.byId(id)?.name ?? null);
      return names.get(key)!;
    };
    return c.json({ messages: messages.map((m) => messageView(m, nameOf(m.from))) });
  });
}
