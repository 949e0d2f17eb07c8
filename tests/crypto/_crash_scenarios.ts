/**
 * Scenarios in which a pool's worker crashes on purpose, run in a child
 * process by tests/crypto/_crash.ts: the runtime prints a crashing worker's
 * uncaught error and its stack to stderr, which the child's captured stderr
 * keeps out of the test run's output. Prints one JSON line: what the
 * scenario checked (`same`: results equal the calling thread's) and the
 * pool's stats.
 *
 * Usage: deno run -A tests/crypto/_crash_scenarios.ts NAME
 *
 * @module
 */
import { StreamPool } from "../../core/age/stream_pool.ts";
import { cpuBatchAead } from "../../core/crypto/batch_cpu.ts";
import type { AeadJob } from "../../core/crypto/batch_types.ts";
import { WorkerBatchAead } from "../../core/crypto/batch_workers.ts";
import { randomBytes } from "./_random.ts";

const CHUNK = 64 * 1024;
const crashing = new URL("./_crash_worker.ts", import.meta.url);
const crashingLater = new URL("./_crash_later_worker.ts", import.meta.url);

function jobs(lengths: number[]): AeadJob[] {
  return lengths.map((n) => ({
    key: randomBytes(32),
    nonce: randomBytes(12),
    data: randomBytes(n),
  }));
}

function equal(a: Uint8Array[], b: Uint8Array[]): boolean {
  return a.length === b.length &&
    a.every((x, i) => x.length === b[i].length && x.every((v, j) => v === b[i][j]));
}

const scenarios: Record<string, () => Promise<unknown>> = {
  // A worker that never answered turns the pool off: later batches stay on this thread.
  async "batch-crash"() {
    const pool = new WorkerBatchAead({ workers: 2, workerUrl: crashing });
    try {
      const batch = jobs([CHUNK, CHUNK, 3, CHUNK]);
      const first = equal(await pool.sealBatch(batch), await cpuBatchAead.sealBatch(batch));
      const afterFirst = pool.stats();
      const second = equal(await pool.sealBatch(batch), await cpuBatchAead.sealBatch(batch));
      return { same: first && second, afterFirst, stats: pool.stats() };
    } finally {
      pool.close();
    }
  },
  // Round 1 in the first worker, round 2 redone here after it crashed, round 3 in its successor.
  async "batch-crash-later"() {
    const pool = new WorkerBatchAead({ workers: 1, workerUrl: crashingLater });
    try {
      let same = true;
      for (let round = 0; round < 3; round++) {
        const batch = jobs([CHUNK, 1, CHUNK]);
        same &&= equal(await pool.sealBatch(batch), await cpuBatchAead.sealBatch(batch));
      }
      return { same, stats: pool.stats() };
    } finally {
      pool.close();
    }
  },
  // A payload worker that crashes: its run is redone here from the shared buffers.
  async "stream-crash"() {
    const pool = new StreamPool({ workers: 1, workerUrl: crashing });
    const here = new StreamPool({ workers: 0 });
    try {
      const input = new Uint8Array(new SharedArrayBuffer(3 * CHUNK));
      input.set(randomBytes(3 * CHUNK));
      const run = async (p: StreamPool) => {
        const output = new Uint8Array(new SharedArrayBuffer(3 * (CHUNK + 16)));
        const key = new Uint8Array(32).fill(9);
        const result = await p.run({ op: "seal", key, counter: 5, atEnd: true, input, output });
        return output.slice(0, result.written);
      };
      const same = equal([await run(pool)], [await run(here)]);
      return { same, stats: pool.stats(), size: pool.size };
    } finally {
      pool.close();
      here.close();
    }
  },
};

console.log(JSON.stringify(await scenarios[Deno.args[0]]()));
