import assert from "node:assert/strict";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  CHUNK_SIZE,
  chunkNonce,
  openChunks,
  payloadKey,
  sealChunks,
  SEALED_CHUNK_SIZE,
} from "../../core/age/stream.ts";
import { readAll, streamOf } from "../../core/age/_io.ts";
import { concat, utf8 } from "../../core/bytes.ts";
import type { AeadJob, BatchAead } from "../../core/crypto/batch_types.ts";
import { cpuBatchAead } from "../../core/crypto/batch_cpu.ts";
import { isMeteorError } from "../../core/errors.ts";
import { randomBytes } from "../crypto/_random.ts";

const KEY = randomBytes(32);
const SIZES = [
  0,
  1,
  CHUNK_SIZE - 1,
  CHUNK_SIZE,
  CHUNK_SIZE + 1,
  3 * CHUNK_SIZE,
  3 * CHUNK_SIZE + 5,
];
const seal = (pt: Uint8Array, window?: number) =>
  readAll(sealChunks(KEY, streamOf(pt), { window }));

/** Opens, returning what was released and the error, if any. */
async function open(sealed: Uint8Array, window?: number) {
  const parts: Uint8Array[] = [];
  try {
    for await (const p of openChunks(KEY, streamOf(sealed), { window })) parts.push(p);
    return { released: concat(...parts), error: null as unknown };
  } catch (error) {
    return { released: concat(...parts), error };
  }
}

function chunks(sealed: Uint8Array): Uint8Array[] {
  const out = [];
  for (let i = 0; i < sealed.length; i += SEALED_CHUNK_SIZE) {
    out.push(sealed.subarray(i, i + SEALED_CHUNK_SIZE));
  }
  return out;
}

Deno.test("chunkNonce() is an 11-byte big-endian counter and a last-chunk flag", () => {
  assert.deepEqual(chunkNonce(0, false), new Uint8Array(12));
  assert.deepEqual(chunkNonce(0, true), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
  assert.deepEqual(chunkNonce(258, false), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0));
  assert.deepEqual(
    chunkNonce(2 ** 53 - 1, true),
    Uint8Array.of(0, 0, 0, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1),
  );
  assert.throws(() => chunkNonce(-1, false), RangeError);
  assert.throws(() => chunkNonce(1.5, false), RangeError);
});

Deno.test('payloadKey() is HKDF-SHA-256(file key, nonce, "payload")', () => {
  const fileKey = randomBytes(16);
  const nonce = randomBytes(16);
  assert.deepEqual(payloadKey(fileKey, nonce), hkdf(sha256, fileKey, nonce, utf8("payload"), 32));
  assert.throws(() => payloadKey(randomBytes(15), nonce), RangeError);
  assert.throws(() => payloadKey(fileKey, randomBytes(12)), RangeError);
});

Deno.test("sealChunks() makes ceil(n / 64 KiB) chunks, at least one, the same for any window", async () => {
  for (const size of SIZES) {
    const pt = randomBytes(size);
    const sealed = await seal(pt);
    const count = Math.max(1, Math.ceil(size / CHUNK_SIZE));
    assert.equal(sealed.length, size + 16 * count, `size ${size}`);
    for (const window of [1, 2, 100]) assert.deepEqual(await seal(pt, window), sealed);
    for (const window of [1, 2, 16]) {
      const { released, error } = await open(sealed, window);
      assert.equal(error, null);
      assert.deepEqual(released, pt, `size ${size} window ${window}`);
    }
  }
});

Deno.test("openChunks() rejects every tampering class with one E_DECRYPT_FAILED message", async () => {
  const pt = randomBytes(3 * CHUNK_SIZE + 5);
  const sealed = await seal(pt);
  const [c0, c1, c2, c3] = chunks(sealed);
  const other = chunks(await readAll(sealChunks(randomBytes(32), streamOf(pt))));
  const flip = (at: number) => {
    const copy = sealed.slice();
    copy[at] ^= 1;
    return copy;
  };
  const cases: [Uint8Array, string, number][] = [
    // [damaged file, what, whole chunks that may be released first]
    [new Uint8Array(0), "no chunks", 0],
    [concat(c0, c1, c2), "final chunk dropped", 3],
    [concat(c0, c1, c2, c3.subarray(0, 10)), "final chunk cut short of its tag", 3],
    [sealed.subarray(0, sealed.length - 1), "last byte cut", 3],
    [concat(c1, c0, c2, c3), "chunks reordered", 0],
    [concat(c0, c2, c1, c3), "middle chunks swapped", 1],
    [concat(c0, other[1], c2, c3), "chunk from another file", 1],
    [concat(c0, c0, c2, c3), "chunk repeated", 1],
    [concat(sealed, Uint8Array.of(0)), "one trailing byte", 3],
    [concat(sealed, c3), "final chunk repeated", 3],
    [flip(0), "first bit flipped", 0],
    [flip(SEALED_CHUNK_SIZE - 1), "tag bit flipped", 0],
    [flip(2 * SEALED_CHUNK_SIZE + 100), "bit in the third chunk", 2],
    [flip(sealed.length - 1), "last bit flipped", 3],
  ];
  for (const window of [1, 2, 16]) {
    for (const [file, what, releasable] of cases) {
      const { released, error } = await open(file, window);
      assert.ok(isMeteorError(error, "E_DECRYPT_FAILED"), `${what}: ${error}`);
      assert.equal(
        (error as Error).message,
        "Cannot decrypt payload: it is corrupted or truncated",
      );
      // Only whole verified chunks in their place, before the damage, come out.
      assert.ok(released.length <= releasable * CHUNK_SIZE, what);
      assert.equal(released.length % CHUNK_SIZE, 0, what);
      assert.deepEqual(released, pt.subarray(0, released.length), what);
    }
  }
});

Deno.test("openChunks() rejects an empty final chunk after full chunks", async () => {
  const pt = randomBytes(CHUNK_SIZE);
  // A well-formed writer never emits this: seal the full chunk as non-final,
  // then an empty final chunk.
  const [full, empty] = await cpuBatchAead.sealBatch([
    { key: KEY, nonce: chunkNonce(0, false), data: pt },
    { key: KEY, nonce: chunkNonce(1, true), data: new Uint8Array(0) },
  ]);
  const { released, error } = await open(concat(full, empty));
  assert.ok(isMeteorError(error, "E_DECRYPT_FAILED"));
  assert.deepEqual(released, pt);
});

Deno.test("openChunks() with window 1 never asks the engine to open an unverifiable chunk twice", async () => {
  let calls = 0;
  const counting: BatchAead = {
    name: "counting",
    sealBatch: (jobs: readonly AeadJob[]) => cpuBatchAead.sealBatch(jobs),
    openBatch: (jobs: readonly AeadJob[]) => {
      calls += jobs.length;
      return cpuBatchAead.openBatch(jobs);
    },
  };
  const sealed = await seal(randomBytes(2 * CHUNK_SIZE + 1));
  for await (const _ of openChunks(KEY, streamOf(sealed), { engine: counting, window: 1 })) {
    // drain
  }
  assert.equal(calls, 3);
});

/** An endless source of 64 KiB pieces that counts what was pulled. */
function endless() {
  const state = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulled++;
      controller.enqueue(new Uint8Array(SEALED_CHUNK_SIZE));
    },
  }, { highWaterMark: 0 });
  return { state, stream };
}

Deno.test("sealChunks() and openChunks() read at most two windows ahead (constant memory)", async () => {
  for (const make of [sealChunks, openChunks]) {
    const { state, stream } = endless();
    const out = make(KEY, stream, { window: 4 }).getReader();
    const first = await out.read().catch(() => null);
    // One window being processed, the next one read meanwhile, one piece of look-ahead.
    assert.ok(state.pulled <= 2 * 4 + 2, `${make.name} pulled ${state.pulled}`);
    if (first && !first.done) await out.cancel();
  }
});

Deno.test("sealChunks() and openChunks() check their arguments", () => {
  assert.throws(() => sealChunks(randomBytes(16), streamOf(new Uint8Array(0))), RangeError);
  assert.throws(() => openChunks(KEY, streamOf(new Uint8Array(0)), { window: 0 }), RangeError);
});

Deno.test("sealChunks() and openChunks() take results an engine packs back to back in one buffer", async () => {
  // Like the WebGPU engine: every result a view of one output buffer.
  const packed = async (results: Promise<(Uint8Array | null)[]>) => {
    const list = await results;
    const out = concat(...list.map((r) => r ?? new Uint8Array(0)));
    let at = 0;
    return list.map((r) => r === null ? null : out.subarray(at, at += r.length));
  };
  const engine: BatchAead = {
    name: "packed",
    sealBatch: async (jobs) => (await packed(cpuBatchAead.sealBatch(jobs))) as Uint8Array[],
    openBatch: (jobs) => packed(cpuBatchAead.openBatch(jobs)),
  };
  const pt = randomBytes(20 * CHUNK_SIZE + 3);
  const sealed = await readAll(sealChunks(KEY, streamOf(pt), { engine }));
  assert.deepEqual(sealed, await seal(pt));
  assert.deepEqual(await readAll(openChunks(KEY, streamOf(sealed), { engine })), pt);
  const damaged = sealed.slice();
  damaged[18 * SEALED_CHUNK_SIZE] ^= 1;
  const parts: Uint8Array[] = [];
  const error = await (async () => {
    for await (const p of openChunks(KEY, streamOf(damaged), { engine })) parts.push(p);
  })().catch((err) => err);
  assert.ok(isMeteorError(error, "E_DECRYPT_FAILED"));
  assert.deepEqual(concat(...parts), pt.subarray(0, 18 * CHUNK_SIZE));
});
