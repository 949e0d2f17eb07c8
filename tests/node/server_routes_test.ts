/**
 * Plugin route mounts with their own policy and body limit (docs/api.md
 * §Plugin routes), Request -> Response through `app.request()`, and the
 * public listeners on real sockets through startApi().
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { isMeteorError } from "../../core/errors.ts";
import type { Plugin, PluginRoutes } from "../../core/plugin.ts";
import {
  createApp,
  createPublicApps,
  MAX_REQUEST_BYTES,
  readJsonBody,
  startApi,
} from "../../server.ts";
import { auth, BASE, fakePlugin, startTestNode } from "./_helpers.ts";

/** A plugin that serves `routes`. */
function routed(name: string, routes: PluginRoutes | PluginRoutes[]): Plugin {
  return {
    ...fakePlugin(name),
    start: () => Promise.resolve({ routes, stop: () => Promise.resolve() }),
  };
}

/** Runs `run` with a started test node of `plugins`; stops it after. */
async function withNode(
  plugins: Plugin[],
  run: (node: Awaited<ReturnType<typeof startTestNode>>) => Promise<void>,
): Promise<void> {
  const node = await startTestNode(plugins);
  try {
    await run(node);
    assert.deepEqual(node.lines.filter((l) => l.includes("request failed")), []);
  } finally {
    await node.stop();
  }
}

async function errorOf(res: Response): Promise<[number, string]> {
  return [res.status, (await res.json()).error.code];
}

const get = { get: { responses: {} } };
const post = { post: { responses: {} } };

/** A Hono app built by `build`. */
function honoWith(build: (app: Hono) => void): Hono {
  const app = new Hono();
  build(app);
  return app;
}

/** A token mount (/status) and a public mount (/login) of plugin "auth". */
function authPlugin(listen = "127.0.0.1:0"): Plugin {
  return routed("auth", [
    {
      app: honoWith((h) => h.get("/status", (c) => c.json({ who: "token" }))),
      openapi: { "/status": get },
    },
    {
      policy: "public",
      listen,
      app: honoWith((h) => h.post("/login", async (c) => c.json(await readJsonBody(c)))),
      openapi: { "/login": post },
    },
  ]);
}

Deno.test("a public mount needs no token and is not on the token app; a token mount needs the token", async () => {
  await withNode([authPlugin()], async (node) => {
    const app = createApp(node);
    const [listener, ...others] = createPublicApps(node);
    assert.deepEqual(others, []);
    assert.deepEqual([listener.hostname, listener.port], ["127.0.0.1", 0]);
    assert.deepEqual(listener.mounts, [{ plugin: "auth", mount: "/v1/auth" }]);
    const login = (target: Hono, headers: Record<string, string> = {}, base = BASE) =>
      target.request(`${base}/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: '{"user":"ann"}',
      });
    // Public: no token, a foreign Host and Origin are the plugin's business.
    const open = await login(
      listener.app,
      { origin: "https://login.example" },
      "http://login.example",
    );
    assert.deepEqual([open.status, await open.json()], [200, { user: "ann" }]);
    const tokenRoute = await listener.app.request("http://login.example/v1/auth/status");
    assert.deepEqual(await errorOf(tokenRoute), [404, "E_NOT_FOUND"]);
    // The token app serves the token mount, behind the token, and not the public one.
    const status = await app.request(`${BASE}/v1/auth/status`, { headers: auth() });
    assert.deepEqual(await status.json(), { who: "token" });
    const noToken = await app.request(`${BASE}/v1/auth/status`);
    assert.deepEqual(await errorOf(noToken), [401, "E_UNAUTHORIZED"]);
    assert.deepEqual(await errorOf(await login(app, auth())), [404, "E_NOT_FOUND"]);
    assert.deepEqual(await errorOf(await login(app)), [401, "E_UNAUTHORIZED"]);
    // Each document lists its own routes only.
    const local = await (await app.request(`${BASE}/v1/openapi.json`, { headers: auth() })).json();
    assert.ok(local.paths["/v1/auth/status"]?.get);
    assert.equal(local.paths["/v1/auth/login"], undefined);
    const publicDoc = await (await listener.app.request("http://x/v1/auth/openapi.json")).json();
    assert.deepEqual(Object.keys(publicDoc.paths).sort(), [
      "/v1/auth/login",
      "/v1/auth/openapi.json",
    ]);
    assert.equal(publicDoc.paths["/v1/auth/login"]["x-meteor-plugin"], "auth");
    assert.equal(publicDoc.security, undefined);
  });
});

Deno.test("createApp() and createPublicApps() refuse bad mounts with E_PLUGIN naming the plugin", async () => {
  const app = honoWith((h) => h.get("/x", (c) => c.text("x")));
  const cases: [string, PluginRoutes[], RegExp][] = [
    ["public without listen", [{ policy: "public", app, openapi: { "/x": get } }], /listen/],
    [
      "an app that is not a Hono app",
      [{ app: { routes: [], fetch: () => new Response() }, openapi: {} }],
      /must be a Hono app/,
    ],
    [
      "listen on a token mount",
      [{ listen: "127.0.0.1:0", app, openapi: { "/x": get } }],
      /public mounts only/,
    ],
    ...["nohost", "127.0.0.1", "127.0.0.1:70000", "::1:80", "a b:80", ":80"].map((
      listen,
    ): [string, PluginRoutes[], RegExp] => [
      `listen ${listen}`,
      [{ policy: "public", listen, app, openapi: { "/x": get } }],
      /host:port/,
    ]),
    [
      "unknown policy",
      [{ policy: "open" as "public", listen: "127.0.0.1:0", app, openapi: { "/x": get } }],
      /policy/,
    ],
    ...[-1, 1.5, Number.NaN].map((bodyLimit): [string, PluginRoutes[], RegExp] => [
      `bodyLimit ${bodyLimit}`,
      [{ bodyLimit, app, openapi: { "/x": get } }],
      /bodyLimit/,
    ]),
    [
      "a public document path of its own",
      [{
        policy: "public",
        listen: "127.0.0.1:0",
        app,
        openapi: { "/x": get, "/openapi.json": get },
      }],
      /openapi\.json is served by the server/,
    ],
    [
      "two public mounts at one path on one listener",
      [
        { policy: "public", listen: "127.0.0.1:0", mount: "/v1", app, openapi: { "/x": get } },
        {
          policy: "public",
          listen: "127.0.0.1:0",
          mount: "/v1",
          app: honoWith((h) => h.get("/y", (c) => c.text("y"))),
          openapi: { "/y": get },
        },
      ],
      /already served/,
    ],
    [
      "an undocumented public route",
      [{ policy: "public", listen: "127.0.0.1:0", app, openapi: {} }],
      /GET \/x is not in its openapi/,
    ],
  ];
  for (const [what, routes, message] of cases) {
    await withNode([routed("demo", routes)], (node) => {
      assert.throws(() => [createApp(node), createPublicApps(node)], (err) => {
        assert.ok(isMeteorError(err, "E_PLUGIN"), what);
        assert.match(err.message, /plugin "demo"/, what);
        assert.match(err.message, message, `${what}: ${err.message}`);
        return true;
      });
      return Promise.resolve();
    });
  }
});

Deno.test("an app.all() route must be documented, and answers only the methods its path documents", async () => {
  const undocumented = honoWith((h) => h.all("/any", (c) => c.text("any")));
  await withNode([routed("demo", { app: undocumented, openapi: { "/other": get } })], (node) => {
    assert.throws(() => createApp(node), /ALL \/any is not in its openapi/);
    return Promise.resolve();
  });
  const calls: string[] = [];
  const all = honoWith((h) => {
    h.use(async (c, next) => {
      calls.push(`mw ${c.req.method}`);
      await next();
    });
    h.all("/any", (c) => {
      calls.push(`all ${c.req.method}`);
      return c.text("any");
    });
  });
  await withNode(
    [routed("demo", { app: all, openapi: { "/any": { ...get, ...post } } })],
    async (node) => {
      const app = createApp(node);
      for (const method of ["GET", "POST"]) {
        const res = await app.request(`${BASE}/v1/demo/any`, { method, headers: auth() });
        assert.deepEqual([res.status, await res.text()], [200, "any"], method);
      }
      for (
        const [method, path] of [["PUT", "/v1/demo/any"], ["DELETE", "/v1/demo/any"], [
          "GET",
          "/v1/demo/none",
        ]]
      ) {
        const res = await app.request(`${BASE}${path}`, { method, headers: auth() });
        assert.deepEqual(await errorOf(res), [404, "E_NOT_FOUND"], `${method} ${path}`);
      }
      assert.deepEqual(calls, ["mw GET", "all GET", "mw POST", "all POST"]);
    },
  );
});

/** A stream of `pieces`, then an error when `fail`, else the end. */
function pieces(chunks: Uint8Array[], fail = false): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      if (fail) controller.error(new Error("connection reset"));
      else controller.close();
    },
  });
}

Deno.test("each mount has its own streamed body limit: declared over, chunked over, ended early", async () => {
  let calls = 0;
  const count = honoWith((h) =>
    h.post("/count", async (c) => {
      calls++;
      return c.json({ bytes: (await c.req.arrayBuffer()).byteLength });
    })
  );
  await withNode(
    [
      routed("small", { app: count, openapi: { "/count": post }, bodyLimit: 10 }),
      routed("dflt", {
        app: count,
        openapi: { "/count": post },
      }),
    ],
    async (node) => {
      const app = createApp(node);
      const send = (plugin: string, body: BodyInit, headers: Record<string, string> = {}) =>
        app.request(`${BASE}/v1/${plugin}/count`, { method: "POST", body, headers: auth(headers) });
      const bytes = (n: number) => new Uint8Array(n).fill(0x61);
      const none = {};
      const cases: [string, string, BodyInit, Record<string, string>, number, string | number][] = [
        ["empty", "small", "", none, 200, 0],
        ["at the limit", "small", bytes(10), none, 200, 10],
        ["one over", "small", bytes(11), none, 413, "E_TOO_LARGE"],
        ["chunked at the limit", "small", pieces([bytes(4), bytes(6)]), none, 200, 10],
        ["chunked over", "small", pieces([bytes(6), bytes(5)]), none, 413, "E_TOO_LARGE"],
        ["ended early", "small", pieces([bytes(3)], true), none, 400, "E_MALFORMED"],
        [
          "shorter than its Content-Length",
          "small",
          pieces([bytes(3)]),
          { "content-length": "8" },
          400,
          "E_MALFORMED",
        ],
        ["the default is 1 MiB", "dflt", bytes(MAX_REQUEST_BYTES), none, 200, MAX_REQUEST_BYTES],
        [
          "and no more",
          "dflt",
          pieces([bytes(MAX_REQUEST_BYTES), bytes(1)]),
          none,
          413,
          "E_TOO_LARGE",
        ],
      ];
      for (const [what, plugin, body, headers, status, expected] of cases) {
        const res = await send(plugin, body, headers);
        assert.equal(res.status, status, what);
        const answer = await res.json();
        assert.deepEqual(status === 200 ? answer.bytes : answer.error.code, expected, what);
      }
      // A declared length over the limit is refused before the route runs.
      calls = 0;
      const declared = await send("small", "x", { "content-length": "11" });
      assert.deepEqual(await errorOf(declared), [413, "E_TOO_LARGE"]);
      assert.equal(calls, 0);
    },
  );
});

Deno.test("a mount with a high limit streams a 64 MiB body to its route without buffering it", async () => {
  const CHUNK = 64 * 1024;
  const TOTAL = 64 * 1024 * 1024;
  let produced = 0;
  let producedAtFirstChunk = -1;
  const upload = honoWith((h) =>
    h.post("/upload", async (c) => {
      let bytes = 0;
      for await (const chunk of c.req.raw.body!) {
        if (producedAtFirstChunk < 0) producedAtFirstChunk = produced;
        bytes += chunk.length;
      }
      return c.json({ bytes });
    })
  );
  const source = () =>
    new ReadableStream<Uint8Array>({
      pull(controller) {
        if (produced === TOTAL) return controller.close();
        controller.enqueue(new Uint8Array(CHUNK));
        produced += CHUNK;
      },
    }, { highWaterMark: 0 });
  await withNode(
    [routed("ipfs", { app: upload, openapi: { "/upload": post }, bodyLimit: 1024 * 1024 * 1024 })],
    async (node) => {
      const res = await createApp(node).request(`${BASE}/v1/ipfs/upload`, {
        method: "POST",
        body: source(),
        headers: auth(),
      });
      assert.deepEqual(await res.json(), { bytes: TOTAL });
      assert.equal(produced, TOTAL);
      // The route saw the first chunk while the client had produced almost nothing.
      assert.ok(producedAtFirstChunk <= 4 * CHUNK, `produced ${producedAtFirstChunk} bytes first`);
    },
  );
});

Deno.test("readJsonBody() reads a JSON object under its own bound, inside the mount's", async () => {
  const json = honoWith((h) =>
    h.post("/json", async (c) => c.json(await readJsonBody(c, { maxBytes: 16 })))
  );
  await withNode(
    [routed("demo", { app: json, openapi: { "/json": post }, bodyLimit: 1024 })],
    async (node) => {
      const app = createApp(node);
      const send = (body: BodyInit) =>
        app.request(`${BASE}/v1/demo/json`, { method: "POST", body, headers: auth() });
      const cases: [BodyInit, number, unknown][] = [
        ['{"a":"12345678"}', 200, { a: "12345678" }],
        ['{"a":"123456789"}', 413, "E_TOO_LARGE"],
        [
          pieces([new TextEncoder().encode('{"a":'), new TextEncoder().encode('"123456789"}')]),
          413,
          "E_TOO_LARGE",
        ],
        ["\ufeff{}", 200, {}],
        ["", 400, "E_MALFORMED"],
        ["[1]", 400, "E_MALFORMED"],
        ["null", 400, "E_MALFORMED"],
        ["{", 400, "E_MALFORMED"],
        [new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), 400, "E_MALFORMED"],
        [pieces([new TextEncoder().encode('{"a"')], true), 400, "E_MALFORMED"],
      ];
      for (const [body, status, expected] of cases) {
        const res = await send(body);
        const answer = await res.json();
        assert.equal(res.status, status, String(body));
        assert.deepEqual(status === 200 ? answer : answer.error.code, expected, String(body));
      }
    },
  );
});

Deno.test("startApi() serves the token API and each public listener on real sockets, and shutdown() stops them", async () => {
  const second = routed("second", {
    policy: "public",
    listen: "127.0.0.1:0",
    mount: "/v1",
    app: honoWith((h) => h.get("/hello", (c) => c.json({ hello: "second" }))),
    openapi: { "/hello": get },
  });
  await withNode([authPlugin(), second], async (node) => {
    const api = await startApi(node, { hostname: "127.0.0.1", port: 0 });
    let stopped = false;
    try {
      node.listening(api.port);
      assert.equal(api.publicListeners.length, 2);
      const [auth0, second0] = api.publicListeners;
      assert.equal(auth0.plugin, "auth");
      assert.match(auth0.url, /^http:\/\/127\.0\.0\.1:[0-9]+\/v1\/auth$/);
      assert.equal(second0.url, new URL(auth0.url).origin + "/v1", "one listener per address");
      assert.notEqual(new URL(auth0.url).port, String(api.port));
      const login = await fetch(`${auth0.url}/login`, { method: "POST", body: '{"user":"bo"}' });
      assert.deepEqual([login.status, await login.json()], [200, { user: "bo" }]);
      const hello = await fetch(`${second0.url}/hello`);
      assert.deepEqual(await hello.json(), { hello: "second" });
      const doc = await fetch(`${second0.url}/openapi.json`);
      assert.deepEqual(Object.keys((await doc.json()).paths).sort(), [
        "/v1/hello",
        "/v1/openapi.json",
      ]);
      const local = await fetch(`http://127.0.0.1:${api.port}/v1/auth/status`, { headers: auth() });
      assert.deepEqual(await local.json(), { who: "token" });
      await api.shutdown();
      stopped = true;
      await assert.rejects(fetch(`${auth0.url}/login`, { method: "POST", body: "{}" }), TypeError);
      await assert.rejects(fetch(`http://127.0.0.1:${api.port}/v1/health`), TypeError);
    } finally {
      if (!stopped) await api.shutdown();
    }
  });
});

Deno.test("startApi() fails with E_ADDR_IN_USE naming the config key when a public address is taken, and closes what it bound", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { port } = taken.addr as Deno.NetAddr;
    await withNode([authPlugin(`127.0.0.1:${port}`)], async (node) => {
      const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const apiPort = (free.addr as Deno.NetAddr).port;
      free.close();
      await assert.rejects(startApi(node, { hostname: "127.0.0.1", port: apiPort }), (err) => {
        assert.ok(isMeteorError(err, "E_ADDR_IN_USE"));
        assert.match(err.message, new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}`));
        assert.match(err.message, /pluginConfig\.[a-z-]+\.listen/);
        return true;
      });
      // The token API it had bound first was closed again: its port is free.
      Deno.listen({ hostname: "127.0.0.1", port: apiPort }).close();
    });
  } finally {
    taken.close();
  }
});
