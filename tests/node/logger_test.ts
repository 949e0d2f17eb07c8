import assert from "node:assert/strict";
import { MeteorError } from "../../core/errors.ts";
import { createLogger, redact } from "../../core/logger.ts";

Deno.test("createLogger() writes records at or above its level, scoped", () => {
  const lines: string[] = [];
  const log = createLogger({
    level: "warn",
    format: "json",
    sink: (l) => lines.push(l),
    now: () => 0,
  });
  const child = log.child("p2p");
  child.debug("d");
  child.info("i");
  child.warn("w", { peers: 3 });
  log.error("e");
  assert.deepEqual(lines.map((l) => JSON.parse(l)), [
    { time: "1970-01-01T00:00:00.000Z", level: "warn", scope: "meteor:p2p", msg: "w", peers: 3 },
    { time: "1970-01-01T00:00:00.000Z", level: "error", scope: "meteor", msg: "e" },
  ]);
  assert.equal(child.scope, "meteor:p2p");
});

Deno.test("createLogger() text format is one readable line", () => {
  const lines: string[] = [];
  const log = createLogger({ scope: "node", sink: (l) => lines.push(l), now: () => 0 });
  log.info("started", { port: 7701 });
  log.info("bare");
  assert.deepEqual(lines, [
    '1970-01-01T00:00:00.000Z INFO  [node] started {"port":7701}',
    "1970-01-01T00:00:00.000Z INFO  [node] bare",
  ]);
  assert.throws(() => createLogger({ level: "loud" as "info" }), TypeError);
});

Deno.test("redact() removes secret-named fields, bytes and secret-shaped strings", () => {
  const hex64 = "ab".repeat(32);
  const cases: [unknown, unknown][] = [
    [{ token: "t0k3n", seed: "s", passphrase: "p", apiKey: "k", key: "k", privateKey: "x" }, {
      token: "[redacted]",
      seed: "[redacted]",
      passphrase: "[redacted]",
      apiKey: "[redacted]",
      key: "[redacted]",
      privateKey: "[redacted]",
    }],
    [{ Authorization: "Bearer abc" }, { Authorization: "[redacted]" }],
    [{ header: "Bearer abc.def" }, { header: "[redacted]" }],
    [{ note: `seed is ${hex64}` }, { note: "seed is [redacted]" }],
    [`AGE-SECRET-KEY-PQ-1QQQQ`, "[redacted]"],
    [{ nested: { deep: { seeds: { ed25519: new Uint8Array(32) } } } }, {
      nested: { deep: { seeds: "[redacted]" } },
    }],
    [{ data: new Uint8Array(5) }, { data: "[5 bytes]" }],
    [{ peers: 3, ok: true, none: null, big: 5n }, { peers: 3, ok: true, none: null, big: "5" }],
    [{ list: ["a", hex64] }, { list: ["a", "[redacted]"] }],
    [{ short: "deadbeef", id: "12D3KooWShort" }, { short: "deadbeef", id: "12D3KooWShort" }],
    [new MeteorError("E_IO", `Cannot read ${hex64}`), {
      name: "MeteorError",
      message: "Cannot read [redacted]",
      code: "E_IO",
    }],
  ];
  for (const [input, expected] of cases) assert.deepEqual(redact(input), expected);
});

Deno.test("createLogger() never writes a secret passed in fields or the message", () => {
  const lines: string[] = [];
  const log = createLogger({ format: "json", sink: (l) => lines.push(l) });
  const secret = "f".repeat(64);
  log.info(`loaded ${secret}`, { seed: new Uint8Array(32), token: "sekret-token", detail: secret });
  assert.equal(lines.length, 1);
  assert.ok(!lines[0].includes(secret) && !lines[0].includes("sekret-token"));
});
