/**
 * Adversarial HTTP input for server.ts through `app.request()`: malformed,
 * oversized and deeply nested JSON bodies, hostile contact identifiers
 * (mutated MeteorIDs, garbage and tampered identity documents), random
 * path parameters and query strings. Every refusal is a JSON
 * `{ error: { code, message } }` with the code's status, never E_INTERNAL,
 * and the node keeps answering afterwards.
 */
import assert from "node:assert/strict";
import type { Hono } from "hono";
import { toBase64 } from "../../core/bytes.ts";
import type { ErrorCode } from "../../core/errors.ts";
import {
  createDocument,
  deriveKeys,
  encodeDocument,
  formatDocument,
  formatMeteorId,
} from "../../core/identity/mod.ts";
import { createApp, MAX_REQUEST_BYTES, statusOf } from "../../server.ts";
import {
  auth,
  BASE,
  memoryMessages,
  messageRoutesPlugin,
  startTestNode,
  TEST_TOKEN,
} from "../node/_helpers.ts";
import { assertCode, seedNote, withTimeout } from "./_fuzz.ts";
import { MeteorError } from "../../core/errors.ts";
import { Prng } from "./_prng.ts";

const JSON_HEADERS = auth({ "content-type": "application/json" });

/** Sends a request and checks the response: a success, or an error with an expected code. */
async function check(
  app: Hono,
  what: string,
  path: string,
  init: RequestInit,
  codes: readonly ErrorCode[],
  okStatuses: readonly number[] = [],
): Promise<Response | null> {
  const res = await withTimeout(Promise.resolve(app.request(`${BASE}${path}`, init)), what);
  if (okStatuses.includes(res.status)) return res;
  const text = await res.text();
  let body: { error?: { code?: unknown; message?: unknown } };
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`${what}: status ${res.status}, body is not JSON: ${text.slice(0, 200)}`);
  }
  const error = new MeteorError(body.error?.code as ErrorCode, String(body.error?.message));
  assert.equal(typeof body.error?.message, "string", `${what}: no message`);
  assertCode(error, codes, `${what} (status ${res.status})`);
  assert.equal(res.status, statusOf(error.code), `${what}: status of ${error.code}`);
  return null;
}

/** Builds a started test node and its app; `run` gets both; everything stops after. */
async function withApp(run: (app: Hono, lines: string[]) => Promise<void>): Promise<void> {
  const node = await startTestNode([messageRoutesPlugin(memoryMessages())]);
  try {
    await run(createApp(node), node.lines);
    // No request ended as an unexpected failure.
    assert.deepEqual(node.lines.filter((l) => l.includes("request failed")), []);
  } finally {
    await node.stop();
  }
}

Deno.test("POST /v1/contacts refuses malformed, oversized and nested JSON bodies", async () => {
  const prng = new Prng("server bodies");
  await withApp(async (app) => {
    const big = "x".repeat(MAX_REQUEST_BYTES);
    const depth = 200_000;
    const bodies: [string, BodyInit, ErrorCode[]][] = [
      ["empty", "", ["E_MALFORMED"]],
      ["not JSON", "{name:", ["E_MALFORMED"]],
      ["array", "[]", ["E_MALFORMED"]],
      ["string", '"x"', ["E_MALFORMED"]],
      ["null", "null", ["E_MALFORMED"]],
      ["number", "1e999", ["E_MALFORMED"]],
      ["no fields", "{}", ["E_MALFORMED"]],
      ["name only", '{"name":"bob"}', ["E_MALFORMED"]],
      ["id a number", '{"name":"bob","id":1}', ["E_MALFORMED"]],
      ["id an object", '{"name":"bob","id":{"toString":"meteor1"}}', ["E_MALFORMED"]],
      ["name a list", `{"name":["bob"],"id":"x"}`, ["E_MALFORMED"]],
      ["nested arrays", "[".repeat(depth) + "]".repeat(depth), ["E_MALFORMED"]],
      ["nested objects", '{"a":'.repeat(depth / 5) + "1" + "}".repeat(depth / 5), ["E_MALFORMED"]],
      ["unclosed nesting", "[".repeat(MAX_REQUEST_BYTES), ["E_MALFORMED"]],
      ["one byte over the limit", `{"name":"${big}"}`, ["E_TOO_LARGE"]],
      ["16 MiB", new Uint8Array(16 << 20), ["E_TOO_LARGE"]],
      ["invalid UTF-8", new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), ["E_MALFORMED"]],
      ["NUL bytes", new Uint8Array(1000), ["E_MALFORMED"]],
      ["UTF-16 BOM", new Uint8Array([0xfe, 0xff, 0, 0x7b, 0, 0x7d]), ["E_MALFORMED"]],
    ];
    for (let i = 0; i < 100; i++) {
      bodies.push([`random ${i} ${seedNote(prng.seed)}`, prng.bytes(prng.range(0, 2000)), [
        "E_MALFORMED",
      ]]);
    }
    for (const [name, body, codes] of bodies) {
      await check(
        app,
        name,
        "/v1/contacts",
        { method: "POST", headers: JSON_HEADERS, body },
        codes,
      );
    }
    // A body without Content-Length (streamed) is bounded too.
    const streamed = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new Uint8Array(128 * 1024).fill(0x20));
        c.close();
      },
    });
    await check(app, "streamed 2.5 MiB", "/v1/contacts", {
      method: "POST",
      headers: JSON_HEADERS,
      body: streamed,
      duplex: "half",
    } as RequestInit, ["E_TOO_LARGE"]);
    // The node still serves.
    const health = await app.request(`${BASE}/v1/health`, { headers: auth() });
    assert.equal(health.status, 200);
    await health.body?.cancel();
  });
});

Deno.test("POST /v1/contacts refuses hostile names and identifiers with their codes", async () => {
  const prng = new Prng("server contacts");
  const keys = await deriveKeys(new Uint8Array(32).fill(9));
  const id = formatMeteorId(keys.meteorId);
  const now = Date.now();
  const doc = await createDocument(keys, { issuedAt: now - 1000, expiresAt: now + 3_600_000 });
  const text = formatDocument(doc);
  const bytes = encodeDocument(doc);
  await withApp(async (app) => {
    const cases: [string, unknown, unknown, ErrorCode[]][] = [
      ["empty name", "", id, ["E_MALFORMED"]],
      ["long name", "a".repeat(65), id, ["E_MALFORMED"]],
      ["control characters", "bob\u0000\u001b[31m", id, ["E_MALFORMED"]],
      ["path-like name", "../bob", id, ["E_MALFORMED"]],
      ["empty id", "bob", "", ["E_BAD_ID"]],
      ["id of spaces", "bob", "   ", ["E_BAD_ID"]],
      ["upper-case id typo", "bob", id.toUpperCase().replace(/.$/, "Q"), ["E_BAD_ID"]],
      ["document prefix only", "bob", "meteor-doc:", ["E_MALFORMED"]],
      ["huge document text", "bob", "meteor-doc:" + "A".repeat(40_000), ["E_TOO_LARGE"]],
      [
        "document of another node, expected",
        "bob",
        text.replace("meteor-doc:", "meteor-doc: "),
        [],
      ],
    ];
    for (let i = 0; i < 60; i++) {
      const at = prng.range(7, id.length - 1);
      const c = prng.pick([..."qpzry9x8gf2tvdw0s3jn54khce6mua7l"].filter((ch) => ch !== id[at]));
      cases.push([`id typo at ${at}`, `n${i}`, id.slice(0, at) + c + id.slice(at + 1), [
        "E_BAD_ID",
      ]]);
    }
    for (let i = 0; i < 40; i++) {
      const at = prng.int(bytes.length);
      const tampered = bytes.slice();
      tampered[at] ^= prng.nonZeroByte();
      cases.push([
        `document flip at ${at} ${seedNote(prng.seed)}`,
        `d${i}`,
        "meteor-doc:" + toBase64(tampered),
        [
          "E_MALFORMED",
          "E_TOO_LARGE",
          "E_ID_MISMATCH",
          "E_BAD_KEY",
          "E_BAD_SIGNATURE",
          "E_EXPIRED",
        ],
      ]);
    }
    for (const [name, contact, identifier, codes] of cases) {
      const body = JSON.stringify({ name: contact, id: identifier });
      const init = { method: "POST", headers: JSON_HEADERS, body };
      const res = await check(
        app,
        name,
        "/v1/contacts",
        init,
        codes,
        codes.length === 0 ? [201] : [],
      );
      if (codes.length === 0) {
        assert.ok(res, `${name}: expected 201`);
        await res.body?.cancel();
      }
    }
    // The same contact again, then the same ID under another name: E_EXISTS, not a crash.
    for (const [name, identifier] of [["bob", id], ["bob2", id]]) {
      const body = JSON.stringify({ name, id: identifier });
      await check(app, `again ${name}`, "/v1/contacts", {
        method: "POST",
        headers: JSON_HEADERS,
        body,
      }, ["E_EXISTS"]);
    }
  });
});

Deno.test("GET and DELETE routes refuse random path parameters and query strings", async () => {
  const prng = new Prng("server queries");
  await withApp(async (app) => {
    const chars = "abc019 ._-%/?#&=+é\u0000\u00ff";
    for (let i = 0; i < 100; i++) {
      const name = encodeURIComponent(prng.string(prng.range(1, 80), chars));
      const what = `contact ${name} ${seedNote(prng.seed)}`;
      await check(app, `GET ${what}`, `/v1/contacts/${name}`, { headers: auth() }, [
        "E_NOT_FOUND",
        "E_MALFORMED",
      ]);
      await check(app, `DELETE ${what}`, `/v1/contacts/${name}`, {
        method: "DELETE",
        headers: auth(),
      }, [
        "E_NOT_FOUND",
        "E_MALFORMED",
      ], [204]);
    }
    // Raw, invalid percent-encodings and odd paths, as a client may send them.
    const raw = ["%", "%zz", "%E0%A4%A", "%C0%AF", "a%00b", "..%2f..%2fid", "a".repeat(100_000)];
    for (const name of raw) {
      for (const method of ["GET", "DELETE"]) {
        await check(app, `${method} raw ${name.slice(0, 20)}`, `/v1/contacts/${name}`, {
          method,
          headers: auth(),
        }, ["E_NOT_FOUND", "E_MALFORMED"]);
      }
    }
    for (const query of ["from=%E0%A4%A", "since=%", "limit=%ff", "from=%", "since=1&since=x"]) {
      await check(app, `inbox raw ?${query}`, `/v1/inbox?${query}`, { headers: auth() }, [
        "E_MALFORMED",
        "E_BAD_ID",
        "E_NOT_FOUND",
      ], [200]);
    }
    const values = [
      "",
      "-1",
      "1.5",
      "1e3",
      "abc",
      "9".repeat(15),
      "9".repeat(16),
      "0",
      "%00",
      "meteor1",
      "meteor1qqqq",
    ];
    for (let i = 0; i < 150; i++) {
      const key = prng.pick(["since", "limit", "from"]);
      const value = prng.chance(0.7)
        ? prng.pick(values)
        : encodeURIComponent(prng.string(prng.range(0, 30), chars));
      const query = `${key}=${value}${prng.chance(0.3) ? `&${key}=${prng.pick(values)}` : ""}`;
      const res = await check(
        app,
        `inbox ?${query} ${seedNote(prng.seed)}`,
        `/v1/inbox?${query}`,
        {
          headers: auth(),
        },
        ["E_MALFORMED", "E_BAD_ID", "E_NOT_FOUND"],
        [200],
      );
      if (res) assert.ok(Array.isArray((await res.json()).messages), query);
    }
  });
});

Deno.test("the Host, Origin and token gate admits only exact matches", async () => {
  const prng = new Prng("server gate");
  const node = await startTestNode();
  try {
    const app = createApp(node);
    const allowed = node.allowedHosts();
    const hosts = [
      ...allowed,
      "127.0.0.1:07701",
      "127.0.0.1:7701 ",
      " 127.0.0.1:7701",
      "127.0.0.1:7701.",
      "127.0.0.1.:7701",
      "127.1:7701",
      "2130706433:7701",
      "0x7f.0.0.1:7701",
      "[::ffff:127.0.0.1]:7701",
      "[0:0:0:0:0:0:0:1]:7701",
      "localhost.:7701",
      "localhost:7701@evil.example",
      "evil.example#127.0.0.1:7701",
      "",
    ];
    const origins = [
      undefined,
      "null",
      "",
      ...allowed.map((h) => `http://${h}`),
      ...allowed.map((h) => `http://${h}/`),
      ...allowed.map((h) => `https://${h}`),
      ...allowed.map((h) => `ws://${h}`),
      "http://127.0.0.1:7701.evil.example",
      "file://",
    ];
    const tokens = [
      `Bearer ${TEST_TOKEN}`,
      `Bearer  ${TEST_TOKEN}`,
      `Bearer ${TEST_TOKEN}\t`,
      `Bearer ${TEST_TOKEN.toUpperCase()}`,
      `Bearer ${TEST_TOKEN}${TEST_TOKEN}`,
      `Token ${TEST_TOKEN}`,
      TEST_TOKEN,
      "Bearer ",
      undefined,
    ];
    for (let i = 0; i < 300; i++) {
      const host = prng.pick(hosts);
      const origin = prng.pick(origins);
      const token = prng.pick(tokens);
      const headers: Record<string, string> = { host };
      if (origin !== undefined) headers.origin = origin;
      if (token !== undefined) headers.authorization = token;
      const what = `${JSON.stringify(headers)} ${seedNote(prng.seed)}`;
      let res: Response;
      try {
        res = await app.request(`${BASE}/v1/contacts`, { headers });
      } catch {
        continue; // The Request constructor itself refused the header value.
      }
      // Header values arrive trimmed of surrounding whitespace (Fetch "normalize").
      const [h, o, t] = [host.trim(), origin?.trim(), token?.trim()];
      const hostOk = allowed.includes(h.toLowerCase());
      const originOk = o === undefined || allowed.some((a) => o.toLowerCase() === `http://${a}`);
      const tokenOk = t !== undefined && /^Bearer +(\S+) *$/i.exec(t)?.[1] === TEST_TOKEN;
      const expected = !hostOk || !originOk ? 403 : !tokenOk ? 401 : 200;
      assert.equal(res.status, expected, what);
      await res.body?.cancel();
    }
  } finally {
    await node.stop();
  }
});
