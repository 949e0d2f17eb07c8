import assert from "node:assert/strict";
import { toHex } from "../../core/bytes.ts";
import { sha256 } from "../../core/crypto/hash.ts";
import { isMeteorError } from "../../core/errors.ts";
import {
  CHUNK_SIZE,
  decrypt,
  decryptFile,
  encrypt,
  encryptFile,
  type FileSink,
  type FileSource,
  type Identity,
  parseIdentity,
  RUN_CHUNKS,
  SEALED_CHUNK_SIZE,
  StreamPool,
  X25519Identity,
} from "../../core/age/mod.ts";
import * as typage from "age-encryption";
import { crashScenario } from "../crypto/_crash.ts";
import { randomBytes } from "../crypto/_random.ts";
import { loadAgeVectors } from "./_vectors.ts";

/** A source over `bytes` that hands out at most `step` bytes per read. */
function sourceOf(bytes: Uint8Array, step = 100_003): FileSource {
  let at = 0;
  return {
    read(into) {
      if (at >= bytes.length) return Promise.resolve(null);
      const n = Math.min(into.length, bytes.length - at, step);
      into.set(bytes.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
  };
}

/** A sink keeping copies of what it is given (the buffers are reused after each write). */
function collector(): FileSink & { bytes(): Uint8Array } {
  const parts: Uint8Array[] = [];
  return {
    write(bytes) {
      parts.push(bytes.slice());
      return Promise.resolve();
    },
    bytes() {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) out.set(p, (at += p.length) - p.length);
      return out;
    },
  };
}

const BLOCK = RUN_CHUNKS * CHUNK_SIZE;
const SIZES = [
  0,
  1,
  CHUNK_SIZE - 1,
  CHUNK_SIZE,
  CHUNK_SIZE + 1,
  BLOCK - 1,
  BLOCK,
  BLOCK + 1,
  3 * BLOCK + 5,
];

for (const workers of [0, 2]) {
  Deno.test(`encryptFile() and decryptFile() round-trip every boundary size (${workers} workers)`, async () => {
    const me = await X25519Identity.generate();
    const pool = new StreamPool({ workers });
    try {
      for (const size of SIZES) {
        const plain = randomBytes(size);
        const sink = collector();
        const written = await encryptFile(sourceOf(plain), sink, [me.recipient()], { pool });
        const file = sink.bytes();
        assert.equal(written, file.length, `size ${size}`);
        assert.deepEqual(await decrypt(file, [me]), plain, `size ${size}: decrypt()`);
        const back = collector();
        assert.equal(await decryptFile(sourceOf(file), back, [me], { pool }), size);
        assert.deepEqual(back.bytes(), plain, `size ${size}: decryptFile()`);
        const other = collector();
        await decryptFile(sourceOf(await encrypt(plain, [me.recipient()]), 7_777), other, [me], {
          pool,
        });
        assert.deepEqual(other.bytes(), plain, `size ${size}: decryptFile() of encrypt()`);
      }
      if (workers > 0) assert.ok(pool.stats().workerRuns > 0, "no run went to a worker");
    } finally {
      pool.close();
    }
  });
}

Deno.test("encryptFile() output is read by typage (age-encryption)", async () => {
  const identity = await typage.generateIdentity();
  const me = await parseIdentity(identity);
  const plain = randomBytes(2 * BLOCK + 3);
  const sink = collector();
  await encryptFile(sourceOf(plain), sink, [await (me as X25519Identity).recipient()]);
  const decrypter = new typage.Decrypter();
  decrypter.addIdentity(identity);
  assert.deepEqual(await decrypter.decrypt(sink.bytes()), plain);
});

Deno.test("decryptFile() writes only the verified prefix when a later block is damaged", async () => {
  const me = await X25519Identity.generate();
  const plain = randomBytes(5 * BLOCK);
  const file = await encrypt(plain, [me.recipient()]);
  const headerLength = file.length - 16 - plain.length - (plain.length / CHUNK_SIZE) * 16;
  for (const bad of [0, 17, 2 * RUN_CHUNKS + 3, 5 * RUN_CHUNKS - 1]) {
    const damaged = file.slice();
    damaged[headerLength + 16 + bad * SEALED_CHUNK_SIZE + 100] ^= 1;
    const pool = new StreamPool({ workers: 2 });
    const sink = collector();
    try {
      await assert.rejects(
        decryptFile(sourceOf(damaged), sink, [me], { pool }),
        (err) => isMeteorError(err, "E_DECRYPT_FAILED"),
      );
    } finally {
      pool.close();
    }
    assert.deepEqual(sink.bytes(), plain.subarray(0, bad * CHUNK_SIZE), `chunk ${bad}`);
  }
});

Deno.test("decryptFile() of a truncated or flipped file writes whole verified chunks only, then fails", async () => {
  const me = await X25519Identity.generate();
  const chunks = 3 * RUN_CHUNKS + 2;
  const plain = randomBytes(chunks * CHUNK_SIZE - 5);
  const file = await encrypt(plain, [me.recipient()]);
  const payload = file.length - (plain.length + chunks * 16) - 16; // Header, then the 16-byte nonce.
  const chunkAt = (i: number) => payload + 16 + i * SEALED_CHUNK_SIZE;
  const withTrailingByte = new Uint8Array(file.length + 1);
  withTrailingByte.set(file);
  const cases: [string, Uint8Array, number][] = [
    ["cut inside chunk 0", file.subarray(0, chunkAt(0) + 10), 0],
    ["cut after chunk 0", file.subarray(0, chunkAt(1)), 1],
    ["cut inside chunk 9", file.subarray(0, chunkAt(9) + 1000), 9],
    ["final chunk missing", file.subarray(0, chunkAt(chunks - 1)), chunks - 1],
    ["one byte short", file.subarray(0, file.length - 1), chunks - 1],
    ["trailing byte", withTrailingByte, chunks - 1],
  ];
  for (const chunk of [0, RUN_CHUNKS - 1, RUN_CHUNKS, 2 * RUN_CHUNKS + 1, chunks - 1]) {
    const flipped = file.slice();
    flipped[chunkAt(chunk) + 77] ^= 0x80;
    cases.push([`byte flipped in chunk ${chunk}`, flipped, chunk]);
  }
  for (const workers of [0, 2]) {
    const pool = new StreamPool({ workers });
    try {
      for (const [name, bytes, verified] of cases) {
        const sink = collector();
        await assert.rejects(
          decryptFile(sourceOf(bytes), sink, [me], { pool }),
          (err) => isMeteorError(err, "E_DECRYPT_FAILED"),
          `${name} (${workers} workers)`,
        );
        // Lengths and digests: a failing deepEqual of megabytes would take minutes to print.
        const [got, expected] = [sink.bytes(), plain.subarray(0, verified * CHUNK_SIZE)];
        assert.equal(got.length, expected.length, `${name} (${workers} workers)`);
        assert.equal(toHex(sha256(got)), toHex(sha256(expected)), `${name} (${workers} workers)`);
      }
      if (workers > 0) assert.ok(pool.stats().workerRuns > 0, "no run went to a worker");
    } finally {
      pool.close();
    }
  }
});

Deno.test("decryptFile() gives every CCTV vector its expected outcome and released plaintext", async () => {
  const codes: Record<string, string> = {
    "no match": "E_NO_MATCHING_IDENTITY",
    "HMAC failure": "E_HEADER_MAC",
    "header failure": "E_HEADER_INVALID",
    "payload failure": "E_DECRYPT_FAILED",
    "armor failure": "E_ARMOR_INVALID",
  };
  const vectors = (await loadAgeVectors()).filter((v) => !v.armored);
  assert.ok(vectors.length >= 50, `only ${vectors.length} binary vectors`);
  for (const v of vectors) {
    const identities: Identity[] = [];
    for (const text of v.identities) identities.push(await parseIdentity(text));
    if (identities.length === 0) continue; // scrypt vectors: covered by decryptStream's test.
    const sink = collector();
    let code: string | null = null;
    try {
      await decryptFile(sourceOf(v.file, 5_000), sink, identities);
    } catch (err) {
      code = isMeteorError(err) ? err.code : String(err);
    }
    assert.equal(code, v.expect === "success" ? null : codes[v.expect], v.name);
    const released = sink.bytes();
    if (v.payload !== undefined) assert.equal(toHex(sha256(released)), v.payload, v.name);
    else assert.equal(released.length, 0, v.name);
  }
});

Deno.test("StreamPool redoes on the calling thread the run of a worker that crashes", async () => {
  const { same, stats, size } = await crashScenario("stream-crash");
  assert.equal(same, true);
  assert.deepEqual(stats, { workerRuns: 0, callingThreadRuns: 1, workerFailures: 1 });
  assert.equal(size, 0, "a worker that never answered turns the pool off");
});

Deno.test("StreamPool.start() starts its workers before any run, and runs then go to them", async () => {
  const channel = new BroadcastChannel("meteor-stream-pool-started");
  const url = new URL("./_started_worker.ts", import.meta.url);
  const pool = new StreamPool({ workers: 2, workerUrl: url });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const started = new Promise<number>((resolve) => {
      let count = 0;
      channel.onmessage = () => ++count === 2 && resolve(count);
    });
    pool.start();
    const timeout = new Promise<number>((resolve) => timer = setTimeout(() => resolve(-1), 20_000));
    assert.equal(await Promise.race([started, timeout]), 2, "the workers did not start");
    assert.deepEqual(pool.stats(), { workerRuns: 0, callingThreadRuns: 0, workerFailures: 0 });
    const me = await X25519Identity.generate();
    const plain = randomBytes(3 * BLOCK + 1);
    const sink = collector();
    await encryptFile(sourceOf(plain), sink, [me.recipient()], { pool });
    assert.ok(pool.stats().workerRuns > 0, "no run went to a worker");
    assert.deepEqual(await decrypt(sink.bytes(), [me]), plain);
  } finally {
    clearTimeout(timer);
    channel.close();
    pool.close();
  }
});

Deno.test("StreamPool workers seal and open to the same bytes and results as the calling thread", async () => {
  const pool = new StreamPool({ workers: 2 });
  const here = new StreamPool({ workers: 0 });
  const shared = (bytes: Uint8Array) => {
    const view = new Uint8Array(new SharedArrayBuffer(bytes.length));
    view.set(bytes);
    return view;
  };
  try {
    const key = randomBytes(32);
    for (const length of [0, 1, CHUNK_SIZE, BLOCK - 3, BLOCK]) {
      const seal = async (p: StreamPool) => {
        const output = shared(new Uint8Array(BLOCK + RUN_CHUNKS * 16));
        const r = await p.run({
          op: "seal",
          key,
          counter: 7,
          atEnd: true,
          input: shared(patternBytes(length)),
          output,
        });
        return { r, bytes: output.slice(0, r.written) };
      };
      const [there, local] = [await seal(pool), await seal(here)];
      assert.deepEqual(there, local, `seal ${length}`);
      for (const flip of [false, true]) {
        const sealed = there.bytes.slice();
        if (flip && sealed.length > 0) sealed[sealed.length - 1] ^= 1;
        const open = async (p: StreamPool) => {
          const output = shared(new Uint8Array(BLOCK));
          const r = await p.run({
            op: "open",
            key,
            counter: 7,
            atEnd: true,
            input: shared(sealed),
            output,
          });
          return { r, bytes: output.slice(0, r.written) };
        };
        assert.deepEqual(await open(pool), await open(here), `open ${length}, flipped ${flip}`);
      }
    }
    assert.ok(pool.stats().workerRuns > 0, "no run went to a worker");
    assert.equal(here.stats().workerRuns, 0);
  } finally {
    pool.close();
    here.close();
  }
});

/** `length` bytes of a fixed pattern, the same at every call. */
function patternBytes(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 131 + 7) & 0xff);
}
