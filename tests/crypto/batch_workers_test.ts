import assert from "node:assert/strict";
import { openChunks, sealChunks, SEALED_CHUNK_SIZE } from "../../core/age/stream.ts";
import { readAll, streamOf } from "../../core/age/_io.ts";
import { concat } from "../../core/bytes.ts";
import { isMeteorError } from "../../core/errors.ts";
import { createBatchAead, WORKER_MIN_BATCH_BYTES } from "../../core/crypto/batch.ts";
import { cpuBatchAead } from "../../core/crypto/batch_cpu.ts";
import type { AeadJob, BatchAead } from "../../core/crypto/batch_types.ts";
import {
  defaultWorkerCount,
  MAX_DEFAULT_WORKERS,
  WorkerBatchAead,
} from "../../core/crypto/batch_workers.ts";
import {
  packRequest,
  requestKeys,
  requestLength,
  unpackRequest,
} from "../../core/crypto/_batch_wire.ts";
import { crashScenario } from "./_crash.ts";
import { randomBytes } from "./_random.ts";

const CHUNK = 64 * 1024;

/** Jobs of the given data lengths; keys shared by reference in pairs, aad on every third. */
function jobs(lengths: number[], shared = false): AeadJob[] {
  let key = randomBytes(32);
  return lengths.map((n, i) => {
    if (i % 2 === 0) key = randomBytes(32);
    let data = randomBytes(n);
    if (shared) {
      const view = new Uint8Array(new SharedArrayBuffer(n + 7), 7, n);
      view.set(data);
      data = view;
    }
    return { key, nonce: randomBytes(12), data, aad: i % 3 === 2 ? randomBytes(i) : undefined };
  });
}

const BATCHES: [string, number[]][] = [
  ["empty batch", []],
  ["one empty job", [0]],
  ["one byte", [1]],
  ["chunk - 1", [CHUNK - 1]],
  ["chunk", [CHUNK]],
  ["chunk + 1", [CHUNK + 1]],
  ["mixed", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 100, 3 * CHUNK, 0, 17]],
  ["a window of chunks", Array(16).fill(CHUNK)],
];

/** Runs `fn` with a pool of `workers`, always closing it. */
async function withPool(
  options: ConstructorParameters<typeof WorkerBatchAead>[0],
  fn: (pool: WorkerBatchAead) => Promise<void>,
) {
  const pool = new WorkerBatchAead(options);
  try {
    await fn(pool);
  } finally {
    pool.close();
  }
}

for (const shared of [false, true]) {
  const memory = shared ? "shared" : "ordinary";
  Deno.test(`WorkerBatchAead matches the CPU engine on random batches (${memory} memory)`, async () => {
    await withPool({ workers: 3 }, async (pool) => {
      for (const [what, lengths] of BATCHES) {
        const batch = jobs(lengths, shared);
        const copies = batch.map((job) => job.data.slice());
        const sealed = await pool.sealBatch(batch);
        assert.deepEqual(sealed, await cpuBatchAead.sealBatch(batch), what);
        const opened = await pool.openBatch(batch.map((job, i) => ({ ...job, data: sealed[i] })));
        assert.deepEqual(opened, copies, what);
        batch.forEach((job, i) => assert.deepEqual(job.data, copies[i], `${what}: input changed`));
      }
      const stats = pool.stats();
      assert.ok(stats.workerJobs > 0);
      assert.equal(stats.redoneJobs, 0);
    });
  });
}

Deno.test("WorkerBatchAead.openBatch() gives null for exactly the tampered jobs", async () => {
  await withPool({ workers: 2 }, async (pool) => {
    const batch = jobs([CHUNK, 0, 5, CHUNK + 1, 1, CHUNK]);
    const sealed = await pool.sealBatch(batch);
    const damaged = new Set([1, 3, 5]);
    const opened = await pool.openBatch(batch.map((job, i) => {
      const data = sealed[i].slice();
      if (damaged.has(i)) data[i % data.length] ^= 0x80;
      return { ...job, data };
    }));
    opened.forEach((plaintext, i) => {
      if (damaged.has(i)) assert.equal(plaintext, null, `job ${i}`);
      else assert.deepEqual(plaintext, batch[i].data, `job ${i}`);
    });
    const short = await pool.openBatch([{ ...batch[0], data: randomBytes(15) }]);
    assert.deepEqual(short, [null]);
  });
});

Deno.test("WorkerBatchAead rejects misuse as the CPU engine does", async () => {
  await withPool({ workers: 2 }, async (pool) => {
    const cases: [string, AeadJob][] = [
      ["short key", { key: randomBytes(31), nonce: randomBytes(12), data: randomBytes(CHUNK) }],
      ["long nonce", { key: randomBytes(32), nonce: randomBytes(13), data: randomBytes(9) }],
    ];
    for (const [what, job] of cases) {
      const batch = [...jobs([CHUNK]), job];
      const expected = await cpuBatchAead.sealBatch(batch).catch((err) => err);
      assert.ok(expected instanceof RangeError, what);
      await assert.rejects(pool.sealBatch(batch), {
        name: "RangeError",
        message: expected.message,
      });
      await assert.rejects(pool.openBatch(batch), RangeError);
    }
  });
});

Deno.test("WorkerBatchAead redoes on the calling thread the jobs of a worker that crashes", async () => {
  const { same, afterFirst, stats } = await crashScenario("batch-crash");
  assert.equal(same, true);
  const first = afterFirst as { redoneJobs: number; workerFailures: number };
  assert.equal(first.redoneJobs, 4);
  assert.ok(first.workerFailures >= 1);
  // A worker that never answered turns the pool off: later batches stay on the calling thread.
  assert.equal((stats as { workerJobs: number }).workerJobs, 0);
});

Deno.test("WorkerBatchAead replaces a worker that crashes after it worked", async () => {
  const { same, stats } = await crashScenario("batch-crash-later");
  assert.equal(same, true);
  // Round 1 in the first worker, round 2 redone here after it crashed, round 3 in its successor.
  assert.deepEqual(stats, { workerJobs: 6, redoneJobs: 3, workerFailures: 1 });
});

Deno.test("WorkerBatchAead redoes on the calling thread a slice a worker refuses", async () => {
  const workerUrl = new URL("./_refusing_worker.ts", import.meta.url);
  await withPool({ workers: 2, workerUrl }, async (pool) => {
    const batch = jobs([CHUNK, 2, CHUNK]);
    const sealed = await pool.sealBatch(batch);
    assert.deepEqual(sealed, await cpuBatchAead.sealBatch(batch));
    assert.deepEqual(
      await pool.openBatch(batch.map((job, i) => ({ ...job, data: sealed[i] }))),
      batch.map((job) => job.data),
    );
    assert.equal(pool.stats().redoneJobs, 2 * batch.length);
  });
});

Deno.test("WorkerBatchAead.close() terminates the workers and redoes what was out", async () => {
  const pool = new WorkerBatchAead({ workers: 2 });
  const batch = jobs(Array(8).fill(CHUNK));
  const pending = pool.sealBatch(batch);
  pool.close(); // Before any worker answered: everything is redone here.
  assert.deepEqual(await pending, await cpuBatchAead.sealBatch(batch));
  assert.equal(pool.stats().redoneJobs, batch.length);
  // A closed pool starts again on the next batch; the test's sanitizers check it is closed.
  assert.deepEqual(await pool.sealBatch(batch), await cpuBatchAead.sealBatch(batch));
  assert.equal(pool.stats().workerJobs, batch.length);
  pool.close();
});

Deno.test("WorkerBatchAead checks its worker count; defaultWorkerCount() is one per core, capped", () => {
  for (const workers of [0, -1, 1.5, NaN]) {
    assert.throws(() => new WorkerBatchAead({ workers }), RangeError, String(workers));
  }
  const count = defaultWorkerCount();
  assert.ok(count >= 1 && count <= MAX_DEFAULT_WORKERS);
  assert.equal(new WorkerBatchAead().size, count);
});

Deno.test("packRequest() sends a shared key once; unpackRequest() inverts it", () => {
  const batch = jobs([5, CHUNK, 0, CHUNK, 3]);
  const length = requestLength(batch);
  // Jobs share keys in pairs: (0, 1), (2, 3), (4); job 2 has a 2-byte aad.
  assert.equal(length, 3 * 32 + 5 * 12 + 2 + 5 + CHUNK + 0 + CHUNK + 3);
  const spare = new ArrayBuffer(length + 100);
  const request = packRequest(7, "open", batch, new Uint8Array(spare, 0, length));
  assert.equal(request.keys, 3);
  assert.equal(request.bytes.buffer, spare);
  unpackRequest(request).forEach((job, i) => {
    assert.deepEqual(job.key, batch[i].key);
    assert.deepEqual(job.nonce, batch[i].nonce);
    assert.deepEqual(job.data, batch[i].data);
    assert.deepEqual(job.aad, batch[i].aad ?? new Uint8Array(0));
  });
  assert.deepEqual(
    requestKeys(request),
    new Uint8Array([...batch[0].key, ...batch[2].key, ...batch[4].key]),
  );
  assert.throws(() => packRequest(7, "seal", batch, new Uint8Array(length + 1)), RangeError);
});

Deno.test("createBatchAead() with workers sends batches from WORKER_MIN_BATCH_BYTES to the pool", async () => {
  const engine = createBatchAead({ path: "cpu", workers: 2 });
  try {
    assert.equal(engine.name, "cpu");
    const sizes: [number, number][] = [
      // [batch bytes, jobs expected in workers]
      [1024, 0],
      [WORKER_MIN_BATCH_BYTES - 1, 0],
      [WORKER_MIN_BATCH_BYTES, 4],
      [WORKER_MIN_BATCH_BYTES + 1, 4],
    ];
    let expected = 0;
    for (const [bytes, inWorkers] of sizes) {
      const quarter = Math.floor(bytes / 4);
      const batch = jobs([quarter, quarter, quarter, bytes - 3 * quarter]);
      assert.deepEqual(await engine.sealBatch(batch), await cpuBatchAead.sealBatch(batch));
      expected += inWorkers;
      assert.equal((await engine.report()).workerStats?.workerJobs, expected, `${bytes} bytes`);
    }
  } finally {
    engine.close();
  }
  assert.equal((await createBatchAead({ path: "cpu" }).report()).workerStats, undefined);
});

Deno.test("the age STREAM on a worker pool gives the CPU's bytes and rejects damage", async () => {
  const engine = createBatchAead({ path: "cpu", workers: 2 });
  const key = randomBytes(32);
  const sealWith = (pt: Uint8Array, e: BatchAead) =>
    readAll(sealChunks(key, streamOf(pt), { engine: e }));
  try {
    for (const size of [0, 1, 40 * CHUNK - 1, 40 * CHUNK, 40 * CHUNK + 1]) {
      const pt = randomBytes(size);
      const sealed = await sealWith(pt, engine);
      assert.deepEqual(sealed, await sealWith(pt, cpuBatchAead), `size ${size}`);
      assert.deepEqual(await readAll(openChunks(key, streamOf(sealed), { engine })), pt);
    }
    const pt = randomBytes(40 * CHUNK + 1);
    const sealed = await sealWith(pt, engine);
    const flipped = sealed.slice();
    flipped[20 * SEALED_CHUNK_SIZE + 3] ^= 1;
    const damaged: [string, Uint8Array, number][] = [
      // [what, damaged file, whole chunks that may be released first]
      ["bit flipped in chunk 20", flipped, 20],
      ["final chunk dropped", sealed.subarray(0, 40 * SEALED_CHUNK_SIZE), 40],
      ["trailing byte", new Uint8Array([...sealed, 0]), 40],
    ];
    for (const [what, file, releasable] of damaged) {
      const released: Uint8Array[] = [];
      const error = await (async () => {
        for await (const part of openChunks(key, streamOf(file), { engine })) released.push(part);
      })().catch((err) => err);
      assert.ok(isMeteorError(error, "E_DECRYPT_FAILED"), what);
      const out = concat(...released);
      assert.ok(out.length <= releasable * CHUNK, what);
      assert.deepEqual(out, pt.subarray(0, out.length), what);
    }
    assert.ok((await engine.report()).workerStats!.workerJobs > 0);
  } finally {
    engine.close();
  }
});
