/**
 * The core's own routes: identity, peers, stats and contacts. Each
 * handler validates its input and returns JSON; failures are MeteorErrors
 * that the app's error handler turns into `{ error }` responses.
 *
 * @module
 */
import type { Hono } from "hono";
import { contactJson, refuseOwnId, resolveContactIdentity } from "../core/contacts.ts";
import { MeteorError } from "../core/errors.ts";
import { createDocument, formatDocument, formatMeteorId } from "../core/identity/mod.ts";
import type { Counts } from "../core/store/mod.ts";
import type { PeerSummary } from "../core/plugin.ts";
import type { ApiNode } from "../server.ts";
import { readJsonBody } from "./json_body.ts";

/** The connected peers, from the node's network capability (none without one). */
function peers(node: ApiNode): PeerSummary[] {
  return node.registry.capability("network")?.peers() ?? [];
}

function stringField(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== "string") {
    throw new MeteorError("E_MALFORMED", `Cannot parse request body: "${key}" must be a string`);
  }
  return value;
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
    const listen = node.registry.capability("network")?.addresses() ?? [];
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
      cipher: node.cipher.status(),
    });
  });

  app.get("/v1/contacts", (c) => c.json({ contacts: node.store.contacts.list().map(contactJson) }));

  app.post("/v1/contacts", async (c) => {
    const body = await readJsonBody(c);
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
}
