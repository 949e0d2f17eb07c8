/**
 * Adversarial input for the p2p wire helpers: length-prefixed framing
 * (plugins/p2p/_framing.ts) over a stream that delivers random bytes in
 * random pieces, lying lengths, truncation and silence; and direct-message
 * records (plugins/p2p/_records.ts). Failures are E_MALFORMED (E_TIMEOUT for
 * a silent peer past its deadline), reached without waiting for bytes that a
 * bad length already rules out.
 */
import assert from "node:assert/strict";
import type { Stream } from "@libp2p/interface";
import { concat } from "../../core/bytes.ts";
import { encodeFrame, FramedStream } from "../../plugins/p2p/_framing.ts";
import {
  decodeRecord,
  type DirectRecord,
  encodeRecord,
  MAX_TEXT_BYTES,
} from "../../plugins/p2p/_records.ts";
import { MAX_FRAME_LENGTH } from "../../plugins/p2p/session/mod.ts";
import { assertCode, expectCode, flipped, outcome, seedNote } from "./_fuzz.ts";
import { Prng } from "./_prng.ts";

/** A fake libp2p stream that yields `pieces`, then ends, or stays silent when `silent`. */
function fakeStream(pieces: Uint8Array[], silent = false): Stream & { aborted: unknown } {
  const fake = {
    aborted: undefined as unknown,
    writableNeedsDrain: false,
    send: () => true,
    onDrain: () => Promise.resolve(),
    abort(err: unknown) {
      fake.aborted = err;
    },
    async *[Symbol.asyncIterator]() {
      for (const piece of pieces) yield piece;
      if (silent) await new Promise(() => {});
    },
  };
  return fake as unknown as Stream & { aborted: unknown };
}

/** Splits `bytes` into pieces whose sizes come from `prng`. */
function split(bytes: Uint8Array, prng: Prng, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = prng.range(1, max);
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}

/** Reads frames until the end or an error; returns them and the error. */
async function readFrames(framed: FramedStream, what: string) {
  const frames: Uint8Array[] = [];
  for (;;) {
    const next = await outcome(() => framed.read(), what);
    if (!next.ok) return { frames, error: next.error };
    if (next.value === null) return { frames, error: null as unknown };
    frames.push(next.value);
  }
}

Deno.test("FramedStream.read() returns the frames however the bytes are split", async () => {
  const prng = new Prng("framing splits");
  for (let round = 0; round < 30; round++) {
    const frames = Array.from(
      { length: prng.range(1, 6) },
      () => prng.bytes(prng.pick([1, 2, 100, MAX_FRAME_LENGTH, prng.range(1, 5000)])),
    );
    const wire = concat(...frames.map(encodeFrame));
    const what = `round ${round} ${seedNote(prng.seed)}`;
    const framed = new FramedStream(
      fakeStream(split(wire, prng, prng.pick([7, 64, 5000, 100_000]))),
    );
    const { frames: got, error } = await readFrames(framed, what);
    assert.equal(error, null, what);
    assert.deepEqual(got, frames, what);
    assert.equal(framed.bytesIn, wire.length, what);
  }
});

Deno.test("FramedStream.read() refuses random bytes, bad lengths and truncation with E_MALFORMED", async () => {
  const prng = new Prng("framing garbage");
  const u32 = (n: number) => {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, n);
    return out;
  };
  const cases: [string, Uint8Array][] = [
    ["length 0", u32(0)],
    ["length max + 1", u32(MAX_FRAME_LENGTH + 1)],
    ["length 2^32 - 1", u32(0xffffffff)],
    ["header cut", new Uint8Array([0, 0, 1])],
    ["body cut", concat(u32(10), new Uint8Array(9))],
    [
      "a good frame then a cut one",
      concat(encodeFrame(new Uint8Array(5)), u32(10), new Uint8Array(3)),
    ],
  ];
  for (let i = 0; i < 200; i++) cases.push([`random ${i}`, prng.bytes(prng.range(1, 3000))]);
  for (const [name, wire] of cases) {
    const what = `${name} ${seedNote(prng.seed)}`;
    const { frames, error } = await readFrames(
      new FramedStream(fakeStream(split(wire, prng, 50))),
      what,
    );
    for (const frame of frames) {
      assert.ok(
        frame.length >= 1 && frame.length <= MAX_FRAME_LENGTH,
        `${what}: frame length ${frame.length}`,
      );
    }
    // Random bytes may happen to be whole frames; anything else ends in E_MALFORMED.
    if (error !== null || !name.startsWith("random")) assertCode(error, ["E_MALFORMED"], what);
  }
  // A bad length is refused at once, without waiting for a body that never comes.
  for (const length of [0, MAX_FRAME_LENGTH + 1, 0xffffffff]) {
    const framed = new FramedStream(fakeStream([u32(length)], true));
    await expectCode(() => framed.read(), ["E_MALFORMED"], `silent after length ${length}`, 1_000);
  }
});

Deno.test("FramedStream.read() gives up on a silent peer with E_TIMEOUT and aborts the stream", async () => {
  for (
    const pieces of [[], [new Uint8Array([0, 0])], [encodeFrame(new Uint8Array(10)).subarray(0, 8)]]
  ) {
    const stream = fakeStream(pieces, true);
    const framed = new FramedStream(stream);
    await expectCode(
      () => framed.read(AbortSignal.timeout(50)),
      ["E_TIMEOUT"],
      `${pieces.length} pieces`,
    );
    assert.ok(stream.aborted instanceof Error, "the stream was aborted");
  }
  const framed = new FramedStream(fakeStream([], true));
  await expectCode(() => framed.read(AbortSignal.abort()), ["E_TIMEOUT"], "already aborted");
});

Deno.test("decodeRecord() refuses random and mutated records with E_MALFORMED only", async () => {
  const prng = new Prng("records");
  const valid: DirectRecord[] = [
    { type: "message", id: "a", sentAt: 0, text: "." },
    { type: "message", id: "x".repeat(64), sentAt: Date.now(), text: "héllo ✓" },
    { type: "message", id: "id-1_2", sentAt: 2 ** 53 - 1, text: "é".repeat(MAX_TEXT_BYTES / 2) },
    { type: "ack", id: "m".repeat(36) },
    { type: "acks", ids: ["m".repeat(36), "n", "o-2"] },
  ];
  for (const record of valid) assert.deepEqual(decodeRecord(encodeRecord(record)), record);
  const inputs: Uint8Array[] = [new Uint8Array(0), new Uint8Array(2), new Uint8Array([1, 255, 65])];
  for (let i = 0; i < 300; i++) inputs.push(prng.bytes(prng.range(0, 200)));
  for (const record of valid.slice(0, 2).concat(valid[3], valid[4])) {
    const bytes = encodeRecord(record);
    for (let i = 0; i < Math.min(bytes.length, 120); i++) {
      inputs.push(flipped(bytes, i, prng.nonZeroByte()));
    }
    for (let n = 0; n < Math.min(bytes.length, 120); n++) inputs.push(bytes.subarray(0, n));
  }
  const tooLong = encodeRecord({ type: "message", id: "a", sentAt: 0, text: "." });
  inputs.push(concat(tooLong, new Uint8Array(MAX_TEXT_BYTES + 1).fill(0x61)));
  for (const [i, bytes] of inputs.entries()) {
    const what = `record ${i} ${seedNote(prng.seed)}`;
    const result = await outcome(() => decodeRecord(bytes), what);
    if (!result.ok) {
      assertCode(result.error, ["E_MALFORMED"], what);
      continue;
    }
    // Whatever decodes is a well-formed record that encodes back to the same bytes.
    const record = result.value;
    if (record.type === "plugin") {
      assert.deepEqual(encodeRecord(record), bytes, what);
      continue;
    }
    if (record.type === "acks") {
      for (const id of record.ids) assert.match(id, /^[A-Za-z0-9_-]{1,64}$/, what);
      assert.deepEqual(encodeRecord(record), bytes, what);
      continue;
    }
    assert.match(record.id, /^[A-Za-z0-9_-]{1,64}$/, what);
    if (record.type === "message") {
      assert.ok(Number.isInteger(record.sentAt) && record.sentAt >= 0, what);
      if (Number.isSafeInteger(record.sentAt)) assert.deepEqual(encodeRecord(record), bytes, what);
    } else assert.deepEqual(encodeRecord(record), bytes, what);
  }
});
