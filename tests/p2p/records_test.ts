import assert from "node:assert/strict";
import { concat, utf8 } from "../../core/bytes.ts";
import { isMeteorError } from "../../core/errors.ts";
import {
  decodeRecord,
  type DirectRecord,
  encodeAcks,
  encodeRecord,
  MAX_TEXT_BYTES,
} from "../../plugins/p2p/_records.ts";
import { encodeFrame } from "../../plugins/p2p/_framing.ts";
import { parseP2PConfig } from "../../plugins/p2p/config.ts";
import { MAX_FRAME_LENGTH } from "../../plugins/p2p/session/mod.ts";

Deno.test("encodeRecord() and decodeRecord() round-trip messages and acks", () => {
  const cases: DirectRecord[] = [
    { type: "message", id: "a", sentAt: 0, text: "." },
    { type: "message", id: "b", sentAt: Number.MAX_SAFE_INTEGER, text: "max sentAt" },
    { type: "message", id: "x".repeat(64), sentAt: Date.now(), text: "héllo ✓" },
    { type: "message", id: "id-1", sentAt: 1, text: "t".repeat(MAX_TEXT_BYTES) },
    { type: "ack", id: "0f4c2d2e-5a5b-4c3e-9d1e-000000000000" },
    { type: "acks", ids: ["a"] },
    { type: "acks", ids: ["x".repeat(64), "b", "0f4c2d2e-5a5b-4c3e-9d1e-000000000000"] },
  ];
  for (const record of cases) assert.deepEqual(decodeRecord(encodeRecord(record)), record);
});

Deno.test("encodeRecord() refuses text over MAX_TEXT_BYTES and bad ids", () => {
  const long = {
    type: "message",
    id: "a",
    sentAt: 0,
    text: "t".repeat(MAX_TEXT_BYTES + 1),
  } as const;
  assert.throws(() => encodeRecord(long), (err) => isMeteorError(err, "E_TOO_LARGE"));
  const empty = { ...long, text: "" };
  assert.throws(() => encodeRecord(empty), (err) => isMeteorError(err, "E_MALFORMED"));
  assert.throws(() => encodeRecord({ ...long, text: "t", sentAt: 2 ** 53 }), RangeError);
  assert.throws(() => encodeRecord({ type: "ack", id: "" }), RangeError);
  assert.throws(() => encodeRecord({ type: "ack", id: "a b" }), RangeError);
  assert.throws(() => encodeRecord({ type: "ack", id: "x".repeat(65) }), RangeError);
  assert.throws(() => encodeRecord({ type: "acks", ids: [] }), RangeError);
  assert.throws(() => encodeRecord({ type: "acks", ids: ["a", "a b"] }), RangeError);
});

Deno.test("encodeAcks() acknowledges every id in order in as few records as fit, one id as an ack", () => {
  assert.deepEqual(encodeAcks(["m1"]), [encodeRecord({ type: "ack", id: "m1" })]);
  const ids = Array.from({ length: 3000 }, (_, i) => crypto.randomUUID().slice(0, 30 + (i % 7)));
  const records = encodeAcks(ids);
  assert.equal(records.length, 2); // 3000 ids of 31 to 37 bytes with their length byte: ~103 KB
  for (const record of records) assert.ok(record.length <= 65_536);
  const decoded = records.map(decodeRecord);
  assert.deepEqual(decoded.flatMap((r) => r.type === "acks" ? r.ids : []), ids);
  // Bounded by maxBytes: 1 type byte + 3 ids of 1 + 2 bytes each fit in 10, the fourth does not.
  const small = encodeAcks(["ab", "cd", "ef", "gh", "ij"], 10);
  assert.deepEqual(small.map((r) => r.length), [10, 7]);
  assert.deepEqual(encodeAcks([]), []);
});

Deno.test("decodeRecord() rejects malformed records with E_MALFORMED", () => {
  const ack = encodeRecord({ type: "ack", id: "abc" });
  const message = encodeRecord({ type: "message", id: "abc", sentAt: 5, text: "hi" });
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["too short", new Uint8Array([2, 1])],
    ["unknown type", concat(new Uint8Array([9]), ack.subarray(1))],
    ["ack with trailing byte", concat(ack, new Uint8Array(1))],
    ["id longer than the record", new Uint8Array([2, 10, 97])],
    ["bad id character", new Uint8Array([2, 1, 32])],
    ["message without time", message.subarray(0, 5 + 7)],
    ["bad UTF-8", concat(message.subarray(0, 13), new Uint8Array([0xff]))],
    ["text too long", concat(message.subarray(0, 13), utf8("t".repeat(MAX_TEXT_BYTES + 1)))],
    ["empty text", message.subarray(0, 13)],
    ["acks with no id", new Uint8Array([4, 0, 0])],
    ["acks with a truncated second id", new Uint8Array([4, 1, 97, 3, 98])],
    ["acks with a bad id character", new Uint8Array([4, 1, 97, 1, 32])],
    ["acks record of one byte", new Uint8Array([4])],
    ["sentAt 2^53", concat(message.subarray(0, 5), new Uint8Array([0, 0x20, 0, 0, 0, 0, 0, 0]))],
  ];
  for (const [name, bytes] of cases) {
    assert.throws(() => decodeRecord(bytes), (err) => isMeteorError(err, "E_MALFORMED"), name);
  }
});

Deno.test("encodeFrame() prefixes the length and bounds it", () => {
  assert.deepEqual(encodeFrame(new Uint8Array([7])), new Uint8Array([0, 0, 0, 1, 7]));
  assert.equal(encodeFrame(new Uint8Array(MAX_FRAME_LENGTH)).length, MAX_FRAME_LENGTH + 4);
  assert.throws(() => encodeFrame(new Uint8Array(0)), RangeError);
  assert.throws(() => encodeFrame(new Uint8Array(MAX_FRAME_LENGTH + 1)), RangeError);
});

Deno.test("parseP2PConfig() fills defaults and rejects bad keys with E_BAD_CONFIG", () => {
  assert.equal(parseP2PConfig(undefined).retryMs, 5000);
  const config = parseP2PConfig({ listen: ["/ip4/127.0.0.1/tcp/1"], bootstrap: [], retryMs: 10 });
  assert.deepEqual(config.listen, ["/ip4/127.0.0.1/tcp/1"]);
  assert.equal(config.retryMs, 10);
  for (const raw of [null, [], { listen: "x" }, { retryMs: 0 }, { retryMs: 1.5 }, { other: 1 }]) {
    assert.throws(
      () => parseP2PConfig(raw),
      (err) => isMeteorError(err, "E_BAD_CONFIG"),
      JSON.stringify(raw),
    );
  }
});
