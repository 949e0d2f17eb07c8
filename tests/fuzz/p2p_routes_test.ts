/**
 * Adversarial HTTP input for the p2p plugin's routes (POST /v1/messages,
 * one message or a batch, GET /v1/outbox) on a node running the real p2p plugin, listening on
 * 127.0.0.1 only. Every refusal is a JSON error with its code and status,
 * never E_INTERNAL, and nothing reaches the outbox but valid messages.
 */
import assert from "node:assert/strict";
import type { ErrorCode } from "../../core/errors.ts";
import { deriveKeys, formatMeteorId } from "../../core/identity/mod.ts";
import p2p from "../../plugins/p2p/mod.ts";
import { MAX_TEXT_BYTES } from "../../plugins/p2p/_records.ts";
import { createApp, statusOf } from "../../server.ts";
import { auth, BASE, startTestNode } from "../node/_helpers.ts";
import { seedNote, withTimeout } from "./_fuzz.ts";
import { Prng } from "./_prng.ts";

const JSON_HEADERS = auth({ "content-type": "application/json" });

Deno.test("POST /v1/messages and GET /v1/outbox refuse hostile input with their codes", async () => {
  const prng = new Prng("p2p routes");
  const node = await startTestNode([p2p()], {
    plugins: ["p2p"],
    p2p: { listen: ["/ip4/127.0.0.1/tcp/0"], bootstrap: [] },
    pluginConfig: { p2p: { listen: ["/ip4/127.0.0.1/tcp/0"], retryMs: 60_000 } },
  });
  try {
    const app = createApp(node);
    const send = async (what: string, body: BodyInit, codes: ErrorCode[]) => {
      const init = { method: "POST", headers: JSON_HEADERS, body };
      const res = await withTimeout(
        Promise.resolve(app.request(`${BASE}/v1/messages`, init)),
        what,
      );
      if (codes.length === 0) {
        assert.equal(res.status, 202, `${what}: ${await res.clone().text()}`);
        return await res.json();
      }
      const json = await res.json();
      assert.ok(codes.includes(json.error?.code), `${what}: got ${JSON.stringify(json)}`);
      assert.equal(res.status, statusOf(json.error.code), what);
      return null;
    };
    const peer = formatMeteorId((await deriveKeys(new Uint8Array(32).fill(3))).meteorId);
    const cases: [string, BodyInit, ErrorCode[]][] = [
      ["empty", "", ["E_MALFORMED"]],
      ["not JSON", "{", ["E_MALFORMED"]],
      ["array", "[1]", ["E_MALFORMED"]],
      ["extra field", JSON.stringify({ to: peer, text: "x", cc: peer }), ["E_MALFORMED"]],
      ["__proto__ field", `{"to":"${peer}","text":"x","__proto__":{"a":1}}`, ["E_MALFORMED"]],
      ["text a number", JSON.stringify({ to: peer, text: 1 }), ["E_MALFORMED"]],
      ["text empty", JSON.stringify({ to: peer, text: "" }), ["E_MALFORMED"]],
      ["to missing", JSON.stringify({ text: "x" }), ["E_MALFORMED"]],
      ["unknown contact", JSON.stringify({ to: "nobody", text: "x" }), ["E_NOT_FOUND"]],
      ["empty to", JSON.stringify({ to: "", text: "x" }), [
        "E_NOT_FOUND",
        "E_MALFORMED",
        "E_BAD_ID",
      ]],
      [
        "ID typo",
        JSON.stringify({ to: peer.slice(0, -1) + (peer.endsWith("q") ? "p" : "q"), text: "x" }),
        [
          "E_BAD_ID",
        ],
      ],
      [
        "text one byte too long",
        JSON.stringify({ to: peer, text: "a".repeat(MAX_TEXT_BYTES + 1) }),
        [
          "E_TOO_LARGE",
        ],
      ],
      [
        "text too long in UTF-8",
        JSON.stringify({ to: peer, text: "é".repeat(MAX_TEXT_BYTES / 2 + 1) }),
        [
          "E_TOO_LARGE",
        ],
      ],
      ["body over 1 MiB", JSON.stringify({ to: peer, text: "a".repeat(1 << 20) }), ["E_TOO_LARGE"]],
      ["empty batch", "[]", ["E_MALFORMED"]],
      ["batch with a number", JSON.stringify([{ to: peer, text: "x" }, 1]), ["E_MALFORMED"]],
      ["nested batch", JSON.stringify([[{ to: peer, text: "x" }]]), ["E_MALFORMED"]],
      [
        "batch with an unknown contact last",
        JSON.stringify([{ to: peer, text: "x" }, { to: "nobody", text: "y" }]),
        ["E_NOT_FOUND"],
      ],
      [
        "batch with an empty text",
        JSON.stringify([{ to: peer, text: "x" }, { to: peer, text: "" }]),
        ["E_MALFORMED"],
      ],
      [
        "batch with an extra field",
        JSON.stringify([{ to: peer, text: "x", cc: peer }]),
        ["E_MALFORMED"],
      ],
      [
        "batch of 1,001",
        JSON.stringify(Array.from({ length: 1001 }, () => ({ to: peer, text: "x" }))),
        ["E_TOO_LARGE"],
      ],
      ["batch of 100", JSON.stringify(Array(100).fill({ to: peer, text: "x" })), []],
    ];
    for (let i = 0; i < 60; i++) {
      const to = prng.pick([
        peer,
        "meteor1" + prng.string(58, "qpzry9x8gf2tvdw0s3jn54khce6mua7l"),
        prng.string(prng.range(0, 70), "ab1 _-./é\u0000"),
      ]);
      const text = prng.string(prng.range(0, 50), "ab\ud800é");
      const body = prng.chance(0.5) ? JSON.stringify({ to, text }) : prng.bytes(prng.range(0, 200));
      cases.push([
        `random ${i} ${seedNote(prng.seed)}`,
        body,
        to === peer && typeof body === "string" && text !== "" ? [] : [
          "E_MALFORMED",
          "E_BAD_ID",
          "E_NOT_FOUND",
        ],
      ]);
    }
    let queued = 0;
    for (const [name, body, codes] of cases) {
      const result = await send(name, body, codes);
      if (result) queued += Array.isArray(result) ? result.length : 1;
    }
    // Exactly the valid messages reached the outbox, whole.
    const outbox = await app.request(`${BASE}/v1/outbox?limit=1000`, { headers: auth() });
    assert.equal((await outbox.json()).messages.length, queued);
    for (
      const limit of ["-1", "0", "1.5", "1e3", "1e308", "NaN", "99999999999999999999", "", "x"]
    ) {
      const res = await app.request(`${BASE}/v1/outbox?limit=${limit}`, { headers: auth() });
      if (res.status === 200) {
        assert.ok(Array.isArray((await res.json()).messages), limit);
        continue;
      }
      const json = await res.json();
      assert.equal(json.error?.code, "E_MALFORMED", `limit=${limit}: ${JSON.stringify(json)}`);
      assert.equal(res.status, 400);
    }
    assert.deepEqual(node.lines.filter((l) => l.includes("request failed")), []);
  } finally {
    await node.stop();
  }
});
