/**
 * Adversarial bytes on the wire for the API server (serveApi on 127.0.0.1):
 * random garbage, malformed request lines and headers, lying or truncated
 * Content-Length, broken chunked encoding and malformed WebSocket upgrades.
 * The server answers with a 4xx (or closes the connection), never a 500,
 * and keeps serving afterwards.
 */
import assert from "node:assert/strict";
import { concat, utf8 } from "../../core/bytes.ts";
import { Hono } from "hono";
import type { Plugin, PluginRoutes } from "../../core/plugin.ts";
import { createApp, readJsonBody, serveApi, startApi } from "../../server.ts";
import { fakePlugin, startTestNode, TEST_TOKEN } from "../node/_helpers.ts";
import { seedNote, withTimeout } from "./_fuzz.ts";
import { Prng } from "./_prng.ts";

/** Sends `bytes` on a fresh connection, half-closes, and returns what comes back (bounded). */
async function exchange(port: number, bytes: Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    try {
      let written = 0;
      while (written < bytes.length) written += await conn.write(bytes.subarray(written));
      await conn.closeWrite();
    } catch {
      // The server may close first, refusing the rest: what it answered still counts.
    }
    const parts: Uint8Array[] = [];
    const buffer = new Uint8Array(16 * 1024);
    // Reads until the server closes or one whole response (by its Content-Length) arrived.
    const complete = () => {
      const text = new TextDecoder().decode(concat(...parts));
      const end = text.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1];
      return end >= 0 && length !== undefined && utf8(text).length >= end + 4 + Number(length);
    };
    const readAll = async () => {
      while (!complete()) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) return;
        parts.push(buffer.slice(0, n));
      }
    };
    await withTimeout(readAll(), "reading the response", 5_000);
    return new TextDecoder().decode(concat(...parts));
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

/** Runs `run` against a listening test node; checks that no request failed inside. */
async function withServer(run: (port: number, head: (path: string) => string) => Promise<void>) {
  const node = await startTestNode();
  const server = serveApi(createApp(node), { hostname: "127.0.0.1", port: 0 });
  node.listening(server.port);
  try {
    const head = (path: string) =>
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${TEST_TOKEN}\r\n`;
    await run(server.port, head);
    const health = await exchange(
      server.port,
      utf8(`${head("/v1/health")}Connection: close\r\n\r\n`),
    );
    assert.match(health, /^HTTP\/1\.1 200 /, "the node still serves");
    assert.deepEqual(node.lines.filter((l) => l.includes("request failed")), []);
  } finally {
    await server.shutdown();
    await node.stop();
  }
}

/** Asserts that a raw response is empty (connection closed) or a 4xx, never a 5xx. */
function assertRefused(response: string, what: string): void {
  if (response === "") return;
  const status = /^HTTP\/1\.[01] (\d{3}) /.exec(response)?.[1];
  assert.ok(status !== undefined, `${what}: not an HTTP response: ${response.slice(0, 120)}`);
  assert.ok(status.startsWith("4"), `${what}: status ${status}: ${response.slice(0, 300)}`);
}

Deno.test("serveApi() answers garbage and malformed HTTP with 4xx or a close, never 500", async () => {
  const prng = new Prng("server socket");
  await withServer(async (port, head) => {
    const post = (extra: string, body: string) =>
      utf8(
        `${
          head("/v1/contacts").replace("GET", "POST")
        }Content-Type: application/json\r\n${extra}\r\n${body}`,
      );
    const cases: [string, Uint8Array][] = [
      ["empty", new Uint8Array(0)],
      ["bare LF", utf8("\n\n\n")],
      ["request line only", utf8("GET\r\n\r\n")],
      ["HTTP/9", utf8("GET / HTTP/9.0\r\n\r\n")],
      ["header without colon", utf8(`${head("/v1/id")}Broken header\r\n\r\n`)],
      ["64 KiB header", utf8(`${head("/v1/id")}X-Big: ${"a".repeat(64 * 1024)}\r\n\r\n`)],
      ["10,000 headers", utf8(`${head("/v1/id")}${"X-A: b\r\n".repeat(10_000)}\r\n`)],
      ["NUL in path", utf8(`GET /v1/\0id HTTP/1.1\r\nHost: x\r\n\r\n`)],
      ["truncated body", post("Content-Length: 100\r\n", '{"name":"a"')],
      ["negative length", post("Content-Length: -1\r\n", "{}")],
      ["two lengths", post("Content-Length: 2\r\nContent-Length: 3\r\n", "{}")],
      ["huge length", post("Content-Length: 99999999999999999999\r\n", "{}")],
      ["broken chunks", post("Transfer-Encoding: chunked\r\n", "zz\r\n{}\r\n0\r\n\r\n")],
      [
        "chunk over the limit",
        post(
          "Transfer-Encoding: chunked\r\n",
          "200000\r\n" + " ".repeat(0x200000) + "\r\n0\r\n\r\n",
        ),
      ],
    ];
    for (let i = 0; i < 40; i++) {
      const bytes = prng.chance(0.5)
        ? prng.bytes(prng.range(1, 3000))
        : concat(utf8(head("/v1/id")), prng.bytes(prng.range(1, 500)));
      cases.push([`random ${i} ${seedNote(prng.seed)}`, bytes]);
    }
    for (const [name, bytes] of cases) {
      const response = await exchange(port, bytes);
      assertRefused(response, name);
    }
  });
});

// Regression: Deno.upgradeWebSocket's TypeError once reached onError as 500 E_INTERNAL.
Deno.test(
  "GET /v1/events refuses a malformed WebSocket upgrade with 400 E_MALFORMED",
  async () => {
    await withServer(async (port, head) => {
      const request = `${head("/v1/events")}Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n`;
      const response = await exchange(port, utf8(request));
      assert.match(response, /^HTTP\/1\.1 400 /, response.slice(0, 200));
      assert.match(response, /E_MALFORMED/);
    });
  },
);

// Regression: a body read that failed mid-chunk once reached onError as 500 E_INTERNAL.
Deno.test(
  "POST /v1/contacts refuses a chunked body cut short with 400 E_MALFORMED",
  async () => {
    await withServer(async (port, head) => {
      const request = `${head("/v1/contacts").replace("GET", "POST")}` +
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{}";
      const response = await exchange(port, utf8(request));
      assert.match(response, /^HTTP\/1\.1 400 /, response.slice(0, 200));
      assert.match(response, /E_MALFORMED/);
    });
  },
);

/** A plugin with a public mount on 127.0.0.1:0: POST /v1/pub/json (1 KiB limit) and /upload (1 MiB). */
function publicPlugin(): Plugin {
  const app = new Hono();
  app.post("/json", async (c) => c.json(await readJsonBody(c)));
  const upload = new Hono();
  upload.post("/upload", async (c) => c.json({ bytes: (await c.req.arrayBuffer()).byteLength }));
  const post = { post: { responses: {} } };
  const listen = "127.0.0.1:0";
  const routes: PluginRoutes[] = [
    { policy: "public", listen, app, openapi: { "/json": post }, bodyLimit: 1024 },
    { policy: "public", listen, mount: "/v1", app: upload, openapi: { "/upload": post } },
  ];
  return {
    ...fakePlugin("pub"),
    start: () =>
      Promise.resolve({
        routes,
        stop: () => Promise.resolve(),
      }),
  };
}

Deno.test("a public listener refuses bodies over its mount's limit, cut short or garbage, never 500", async () => {
  const node = await startTestNode([publicPlugin()]);
  const api = await startApi(node, { hostname: "127.0.0.1", port: 0 });
  try {
    const port = Number(new URL(api.publicListeners[0].url).port);
    const post = (path: string, extra: string, body: string) =>
      utf8(`POST ${path} HTTP/1.1\r\nHost: anything.example\r\n${extra}\r\n${body}`);
    const chunked = "Transfer-Encoding: chunked\r\n";
    const cases: [string, Uint8Array, RegExp][] = [
      [
        "declared over",
        post("/v1/pub/json", "Content-Length: 1025\r\n", "{}"),
        /413.*E_TOO_LARGE/s,
      ],
      [
        "chunked over",
        post("/v1/pub/json", chunked, `401\r\n${" ".repeat(0x401)}\r\n0\r\n\r\n`),
        /413.*E_TOO_LARGE/s,
      ],
      ["chunked cut short", post("/v1/pub/json", chunked, "10\r\n{}"), /400.*E_MALFORMED/s],
      [
        "length cut short",
        post("/v1/upload", "Content-Length: 100\r\n", "abc"),
        /400.*E_MALFORMED/s,
      ],
      ["undocumented", post("/v1/pub/nothing", "Content-Length: 0\r\n", ""), /404.*E_NOT_FOUND/s],
      [
        "the local API is not here",
        post("/v1/contacts", "Content-Length: 2\r\n", "{}"),
        /404.*E_NOT_FOUND/s,
      ],
    ];
    for (const [name, bytes, expected] of cases) {
      const response = await exchange(port, bytes);
      assert.match(response, expected, `${name}: ${response.slice(0, 300)}`);
    }
    const prng = new Prng("public socket");
    for (let i = 0; i < 20; i++) {
      const bytes = concat(utf8("POST /v1/pub/json HTTP/1.1\r\n"), prng.bytes(prng.range(1, 2000)));
      assertRefused(await exchange(port, bytes), `random ${i} ${seedNote(prng.seed)}`);
    }
    assert.deepEqual(node.lines.filter((l) => l.includes("request failed")), []);
  } finally {
    await api.shutdown();
    await node.stop();
  }
});
