import assert from "node:assert/strict";
import { Hono } from "hono";
import { isMeteorError } from "../../core/errors.ts";
import {
  createDocument,
  deriveKeys,
  formatDocument,
  formatMeteorId,
  readDocument,
} from "../../core/identity/mod.ts";
import type { Plugin, PluginRoutes } from "../../core/plugin.ts";
import { createApp, MAX_REQUEST_BYTES } from "../../server.ts";
import echoPlugin from "../../examples/echo-plugin.ts";
import {
  auth,
  BASE,
  fakePlugin,
  memoryMessages,
  messageRoutesPlugin,
  startTestNode,
  TEST_TOKEN,
  testKeys,
} from "./_helpers.ts";

async function errorCode(res: Response): Promise<string> {
  const body = await res.json();
  assert.equal(typeof body.error?.message, "string");
  return body.error.code;
}

/** A plugin that serves `routes`. */
function routed(name: string, routes: PluginRoutes): Plugin {
  return {
    ...fakePlugin(name),
    start: () => Promise.resolve({ routes, stop: () => Promise.resolve() }),
  };
}

Deno.test("createApp() refuses requests without the right token (401 E_UNAUTHORIZED)", async () => {
  const node = await startTestNode();
  try {
    const app = createApp(node);
    const cases: [Record<string, string>, number][] = [
      [{}, 401],
      [{ authorization: "" }, 401],
      [{ authorization: "Bearer" }, 401],
      [{ authorization: `Bearer ${TEST_TOKEN}x` }, 401],
      [{ authorization: `Bearer ${TEST_TOKEN.slice(0, -1)}` }, 401],
      [{ authorization: `Basic ${btoa(`u:${TEST_TOKEN}`)}` }, 401],
      [{ authorization: `Bearer ${TEST_TOKEN}` }, 200],
      [{ authorization: `bearer ${TEST_TOKEN}` }, 200],
    ];
    for (const [headers, status] of cases) {
      const res = await app.request(`${BASE}/v1/id`, { headers });
      assert.equal(res.status, status, JSON.stringify(headers));
      if (status === 401) {
        assert.equal(await errorCode(res), "E_UNAUTHORIZED");
        assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="meteor"');
      } else await res.body?.cancel();
    }
    const health = await app.request(`${BASE}/v1/health`);
    assert.deepEqual([health.status, await errorCode(health)], [401, "E_UNAUTHORIZED"]);
    const healthy = await app.request(`${BASE}/v1/health`, { headers: auth() });
    assert.deepEqual([healthy.status, await healthy.json()], [200, { status: "ok" }]);
    const unknown = await app.request(`${BASE}/v1/nothing`);
    assert.equal(unknown.status, 401);
    await unknown.body?.cancel();
  } finally {
    await node.stop();
  }
});

Deno.test("createApp() refuses a foreign Host or Origin (403 E_FORBIDDEN), token or not", async () => {
  const node = await startTestNode();
  try {
    const app = createApp(node);
    const cases: [Record<string, string>, number][] = [
      [{ host: "127.0.0.1:7701" }, 200],
      [{ host: "localhost:7701" }, 200],
      [{ host: "LOCALHOST:7701" }, 200],
      [{ host: "[::1]:7701" }, 200],
      [{ host: "127.0.0.1:7702" }, 403],
      [{ host: "127.0.0.1" }, 403],
      [{ host: "evil.example:7701" }, 403],
      [{ host: "127.0.0.1.evil.example:7701" }, 403],
      [{ origin: "http://127.0.0.1:7701" }, 200],
      [{ origin: "http://localhost:7701" }, 200],
      [{ origin: "http://[::1]:7701" }, 200],
      [{ origin: "https://127.0.0.1:7701" }, 403],
      [{ origin: "http://127.0.0.1:7702" }, 403],
      [{ origin: "http://evil.example" }, 403],
      [{ origin: "null" }, 403],
      [{ origin: "" }, 403],
    ];
    for (const [headers, status] of cases) {
      for (const path of ["/v1/id", "/v1/health"]) {
        const res = await app.request(`${BASE}${path}`, { headers: auth(headers) });
        assert.equal(res.status, status, `${path} ${JSON.stringify(headers)}`);
        if (status === 403) assert.equal(await errorCode(res), "E_FORBIDDEN");
        else await res.body?.cancel();
      }
    }
    const noToken = await app.request(`${BASE}/v1/id`, {
      headers: { origin: "http://evil.example" },
    });
    assert.equal(noToken.status, 403);
    await noToken.body?.cancel();
  } finally {
    await node.stop();
  }
});

Deno.test("createApp() limits body size (413 E_TOO_LARGE) and refuses malformed JSON (400 E_MALFORMED)", async () => {
  const node = await startTestNode();
  try {
    const app = createApp(node);
    const post = (body: BodyInit, headers: Record<string, string> = {}) =>
      app.request(`${BASE}/v1/contacts`, { method: "POST", body, headers: auth(headers) });
    const cases: [BodyInit, number, string][] = [
      ["x".repeat(MAX_REQUEST_BYTES + 1), 413, "E_TOO_LARGE"],
      [new Blob([new Uint8Array(MAX_REQUEST_BYTES + 1)]).stream(), 413, "E_TOO_LARGE"],
      [" ".repeat(MAX_REQUEST_BYTES), 400, "E_MALFORMED"],
      [" ".repeat(MAX_REQUEST_BYTES - 1), 400, "E_MALFORMED"],
      ["{", 400, "E_MALFORMED"],
      ["", 400, "E_MALFORMED"],
      ["[1]", 400, "E_MALFORMED"],
      ["null", 400, "E_MALFORMED"],
      ['{"name": "bob"}', 400, "E_MALFORMED"],
      ['{"name": "bob", "id": 5}', 400, "E_MALFORMED"],
      ['{"name": "bob", "id": "meteor1notanid"}', 400, "E_BAD_ID"],
      ['{"name": "", "id": "meteor1notanid"}', 400, "E_BAD_ID"],
      ['{"name": "bob", "id": "meteor-doc:AAAA"}', 400, "E_MALFORMED"],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(body);
      assert.equal(res.status, status, String(body).slice(0, 40));
      assert.equal(await errorCode(res), code);
    }
    const declared = await post("{}", { "content-length": String(MAX_REQUEST_BYTES + 1) });
    assert.equal(declared.status, 413);
    await declared.body?.cancel();
  } finally {
    await node.stop();
  }
});

Deno.test("createApp() refuses a body that fails mid-read (400 E_MALFORMED), counts every piece against the limit", async () => {
  const node = await startTestNode();
  try {
    const app = createApp(node);
    const stream = (pieces: Uint8Array[], fail: boolean) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const piece of pieces) controller.enqueue(piece);
          if (fail) controller.error(new Error("connection reset"));
          else controller.close();
        },
      });
    const post = (body: ReadableStream<Uint8Array>) =>
      app.request(`${BASE}/v1/contacts`, { method: "POST", body, headers: auth() });
    const broken = await post(stream([new TextEncoder().encode('{"name"')], true));
    assert.equal(broken.status, 400);
    assert.equal(await errorCode(broken), "E_MALFORMED");
    // The limit counts every piece: exactly MAX_REQUEST_BYTES of spaces reaches the route.
    const spaces = Array.from({ length: 1024 }, () => new Uint8Array(1024).fill(0x20));
    const whole = await post(stream(spaces, false));
    assert.equal(whole.status, 400);
    assert.equal(await errorCode(whole), "E_MALFORMED");
    const over = await post(stream([...spaces, new Uint8Array([0x20])], false));
    assert.equal(over.status, 413);
    assert.equal(await errorCode(over), "E_TOO_LARGE");
  } finally {
    await node.stop();
  }
});

Deno.test("GET /v1/events refuses a WebSocket handshake without a key (400 E_MALFORMED)", async () => {
  const node = await startTestNode();
  try {
    const app = createApp(node);
    const cases: Record<string, string>[] = [
      { upgrade: "websocket", connection: "Upgrade" },
      { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13" },
      { upgrade: "websocket" },
    ];
    for (const headers of cases) {
      const res = await app.request(`${BASE}/v1/events`, { headers: auth(headers) });
      assert.equal(res.status, 400, JSON.stringify(headers));
      assert.equal(await errorCode(res), "E_MALFORMED");
    }
  } finally {
    await node.stop();
  }
});

Deno.test("GET /v1/id returns the MeteorID, PeerId and a verifiable identity document", async () => {
  const node = await startTestNode();
  try {
    const res = await createApp(node).request(`${BASE}/v1/id`, { headers: auth() });
    const body = await res.json();
    const keys = await testKeys();
    assert.equal(body.meteorId, formatMeteorId(keys.meteorId));
    assert.equal(body.peerId, keys.peerId);
    assert.deepEqual(body.addresses, []);
    const doc = await readDocument(body.document, { expectedId: keys.meteorId });
    assert.equal(doc.peerId, keys.peerId);
  } finally {
    await node.stop();
  }
});

Deno.test("GET /v1/peers and /v1/stats use the network capability and the counters", async () => {
  const peer = (peerId: string) => ({
    peerId,
    meteorId: null,
    contact: null,
    addresses: [],
    sessions: 0,
  });
  const p2p: Plugin = {
    ...fakePlugin("p2p"),
    start: () =>
      Promise.resolve({
        capabilities: {
          network: {
            peers: () => [peer("12D3KooWA"), peer("12D3KooWB")],
            addresses: () => ["/ip4/127.0.0.1/tcp/1"],
          },
        },
        stats: () => ({ sessions: 2 }),
        stop: () => Promise.resolve(),
      }),
  };
  const node = await startTestNode([p2p, fakePlugin("quiet")]);
  try {
    node.store.counters.add("p2p", { messagesIn: 2, bytesIn: 10, messagesOut: 1, bytesOut: 5 });
    node.store.counters.add("quiet", { bytesOut: 1 });
    const app = createApp(node);
    const peers = await (await app.request(`${BASE}/v1/peers`, { headers: auth() })).json();
    assert.deepEqual(peers, { peers: [peer("12D3KooWA"), peer("12D3KooWB")] });
    const id = await (await app.request(`${BASE}/v1/id`, { headers: auth() })).json();
    assert.deepEqual(id.addresses, ["/ip4/127.0.0.1/tcp/1"]);
    const stats = await (await app.request(`${BASE}/v1/stats`, { headers: auth() })).json();
    assert.equal(stats.peers, 2);
    assert.ok(stats.uptimeMs >= 0 && stats.startedAt === node.startedAt);
    assert.deepEqual(stats.totals, { messagesIn: 2, messagesOut: 1, bytesIn: 10, bytesOut: 6 });
    assert.deepEqual(stats.plugins, {
      p2p: {
        version: "1.0.0",
        counters: { messagesIn: 2, messagesOut: 1, bytesIn: 10, bytesOut: 5 },
        stats: { sessions: 2 },
      },
      quiet: {
        version: "1.0.0",
        counters: { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 1 },
        stats: {},
      },
    });
  } finally {
    await node.stop();
  }
});

Deno.test("GET /v1/peers is empty without a p2p plugin", async () => {
  const node = await startTestNode();
  try {
    const res = await createApp(node).request(`${BASE}/v1/peers`, { headers: auth() });
    assert.deepEqual(await res.json(), { peers: [] });
  } finally {
    await node.stop();
  }
});

Deno.test("/v1/contacts adds by MeteorID or verified document, lists, gets and removes", async () => {
  const node = await startTestNode();
  const events: unknown[] = [];
  node.events.onAny((e) => events.push([e.name, e.detail]));
  try {
    const app = createApp(node);
    const keys = await deriveKeys(new Uint8Array(32).fill(8));
    const id = formatMeteorId(keys.meteorId);
    const doc = formatDocument(await createDocument(keys));
    const call = (method: string, path: string, body?: unknown) =>
      app.request(`${BASE}${path}`, {
        method,
        headers: auth({ "content-type": "application/json" }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const own = await testKeys();
    for (const self of [formatMeteorId(own.meteorId), formatDocument(await createDocument(own))]) {
      const refused = await call("POST", "/v1/contacts", { name: "self", id: self });
      assert.deepEqual([refused.status, await errorCode(refused)], [400, "E_BAD_ID"]);
    }
    const added = await call("POST", "/v1/contacts", { name: "me", id: `  ${id}\n` });
    assert.equal(added.status, 201);
    assert.deepEqual(
      { ...(await added.json()), addedAt: 0 },
      { name: "me", meteorId: id, hasDocument: false, addedAt: 0 },
    );
    const dup = await call("POST", "/v1/contacts", { name: "again", id: doc });
    assert.deepEqual([dup.status, await errorCode(dup)], [409, "E_EXISTS"]);
    const listed = await (await call("GET", "/v1/contacts")).json();
    assert.deepEqual(listed.contacts.map((c: { name: string }) => c.name), ["me"]);
    assert.equal((await (await call("GET", "/v1/contacts/me")).json()).meteorId, id);
    const removed = await call("DELETE", "/v1/contacts/me");
    assert.equal(removed.status, 204);
    const gone = await call("GET", "/v1/contacts/me");
    assert.deepEqual([gone.status, await errorCode(gone)], [404, "E_NOT_FOUND"]);
    const again = await call("DELETE", "/v1/contacts/me");
    assert.deepEqual([again.status, await errorCode(again)], [404, "E_NOT_FOUND"]);
    const withDoc = await call("POST", "/v1/contacts", { name: "me", id: doc });
    assert.equal((await withDoc.json()).hasDocument, true);
    const tampered = doc.slice(0, -8) + (doc.endsWith("AAAA====") ? "BBBB====" : "AAAAAAA=");
    const bad = await call("POST", "/v1/contacts", { name: "x", id: tampered });
    assert.ok([400, 422].includes(bad.status));
    await bad.body?.cancel();
    assert.deepEqual(events, [
      ["contact:add", { name: "me", meteorId: id }],
      ["contact:remove", { name: "me", meteorId: id }],
      ["contact:add", { name: "me", meteorId: id }],
    ]);
  } finally {
    await node.stop();
  }
});

Deno.test("GET /v1/inbox lists received messages with contact names and filters", async () => {
  const messages = memoryMessages();
  const node = await startTestNode([messageRoutesPlugin(messages)]);
  try {
    const alice = new Uint8Array(32).fill(1);
    const bob = new Uint8Array(32).fill(2);
    node.store.contacts.add({ name: "alice", meteorId: alice });
    messages.inbox.add({
      id: "a1",
      from: alice,
      kind: "text",
      body: new TextEncoder().encode("hi"),
      seq: 0,
    });
    messages.inbox.add({
      id: "b1",
      from: bob,
      kind: "bytes",
      body: new Uint8Array([1, 2, 3]),
      seq: 4,
    });
    const app = createApp(node);
    const get = (query: string) => app.request(`${BASE}/v1/inbox${query}`, { headers: auth() });
    const all = (await (await get("")).json()).messages;
    assert.deepEqual(all.map((m: Record<string, unknown>) => ({ ...m, receivedAt: 0 })), [
      {
        id: "a1",
        from: formatMeteorId(alice),
        contact: "alice",
        kind: "text",
        text: "hi",
        receivedAt: 0,
        seq: 0,
      },
      {
        id: "b1",
        from: formatMeteorId(bob),
        contact: null,
        kind: "bytes",
        base64: "AQID",
        receivedAt: 0,
        seq: 4,
      },
    ]);
    assert.deepEqual(
      (await (await get("?from=alice")).json()).messages.map((m: { id: string }) => m.id),
      ["a1"],
    );
    for (const id of [formatMeteorId(bob), formatMeteorId(bob).toUpperCase()]) {
      const byId = await get(`?from=${id}&limit=1`);
      assert.deepEqual((await byId.json()).messages.map((m: { id: string }) => m.id), ["b1"], id);
    }
    const cases: [string, number, string][] = [
      ["?from=nobody", 404, "E_NOT_FOUND"],
      ["?from=meteor1zzz", 400, "E_BAD_ID"],
      ["?limit=0", 400, "E_MALFORMED"],
      ["?limit=-1", 400, "E_MALFORMED"],
      ["?limit=abc", 400, "E_MALFORMED"],
      ["?since=1e3", 400, "E_MALFORMED"],
    ];
    for (const [query, status, code] of cases) {
      const res = await get(query);
      assert.deepEqual([status, code], [res.status, await errorCode(res)], query);
    }
  } finally {
    await node.stop();
  }
});

Deno.test("GET /v1/openapi.json documents every route, and every documented route is served", async () => {
  const node = await startTestNode([echoPlugin() as Plugin]);
  try {
    const app = createApp(node);
    const res = await app.request(`${BASE}/v1/openapi.json`, { headers: auth() });
    assert.equal(res.status, 200);
    const doc = await res.json();
    assert.equal(doc.openapi, "3.1.0");
    const operations: string[] = [];
    for (
      const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    ) {
      for (const method of Object.keys(item).filter((k) => !k.startsWith("x-"))) {
        operations.push(`${method} ${path}`);
        const url = BASE + path.replace(/\{[^}]+\}/g, "x");
        const answer = await app.request(url, { method, headers: auth() });
        const text = await answer.text();
        assert.ok(!text.includes("Cannot find route"), `${method} ${path} is not served`);
      }
    }
    assert.ok(operations.length >= 12, operations.join(", "));
    // The core's routes are checked against its document at createApp(), as
    // plugins' are; the app forwards exactly the documented operations.
    assert.equal(app.routes.filter((r) => r.method !== "ALL").length, operations.length);
    assert.equal(doc.paths["/v1/echo"]["x-meteor-plugin"], "echo");
  } finally {
    await node.stop();
  }
});

Deno.test("createApp() mounts plugin routes behind the same gate, with JSON errors", async () => {
  const sub = new Hono();
  sub.get("/boom", () => {
    throw new TypeError("secret internals");
  });
  sub.get("/item/:id", (c) => c.json({ id: c.req.param("id") }));
  const node = await startTestNode([
    routed("demo", {
      app: sub,
      openapi: { "/boom": { get: { responses: {} } }, "/item/{id}": { get: { responses: {} } } },
    }),
  ]);
  try {
    const app = createApp(node);
    const item = await app.request(`${BASE}/v1/demo/item/7`, { headers: auth() });
    assert.deepEqual(await item.json(), { id: "7" });
    const noToken = await app.request(`${BASE}/v1/demo/item/7`);
    assert.equal(noToken.status, 401);
    await noToken.body?.cancel();
    const boom = await app.request(`${BASE}/v1/demo/boom`, { headers: auth() });
    assert.equal(boom.status, 500);
    const text = await boom.text();
    assert.equal(JSON.parse(text).error.code, "E_INTERNAL");
    assert.ok(!text.includes("secret internals"));
    assert.ok(node.lines.some((l) => l.includes("secret internals")));
  } finally {
    await node.stop();
  }
});

Deno.test("createApp() refuses undocumented, badly mounted or colliding plugin routes", async () => {
  const app = (build: (h: Hono) => void) => {
    const h = new Hono();
    build(h);
    return h;
  };
  const cases: PluginRoutes[] = [
    { app: app((h) => h.get("/x", (c) => c.text("x"))), openapi: {} },
    { app: app((h) => h.post("/x", (c) => c.text("x"))), openapi: { "/x": { get: {} } } },
    { app: app(() => {}), openapi: {}, mount: "/v2" },
    { app: app(() => {}), openapi: {}, mount: "/v1/other" },
    {
      app: app((h) => h.get("/health", (c) => c.text("x"))),
      openapi: { "/health": { get: {} } },
      mount: "/v1",
    },
  ];
  for (const routes of cases) {
    const node = await startTestNode([routed("demo", routes)]);
    try {
      assert.throws(() => createApp(node), (err) => {
        assert.ok(isMeteorError(err, "E_PLUGIN"));
        assert.match(err.message, /"demo"/);
        return true;
      });
    } finally {
      await node.stop();
    }
  }
});
