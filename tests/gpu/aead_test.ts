import assert from "node:assert/strict";
import { toHex } from "../../core/bytes.ts";
import type { AeadJob } from "../../core/crypto/batch_types.ts";
import { GpuAead } from "../../core/gpu/aead.ts";
import { type AeadVector, RFC8439_AEAD_VECTORS } from "../../core/_selftest_vectors.ts";
import { randomBytes } from "../crypto/_random.ts";
import {
  BOUNDARY_SIZES,
  mixedLength,
  NO_GPU,
  nobleEngine,
  randomJobs,
  refusingFallback,
} from "./_gpu.ts";

function gpuTest(name: string, fn: (gpu: GpuAead) => Promise<void>) {
  Deno.test({
    name,
    ignore: NO_GPU,
    async fn() {
      const gpu = new GpuAead({ fallback: refusingFallback });
      try {
        await fn(gpu);
        assert.equal(gpu.stats().fallbackJobs, 0);
      } finally {
        gpu.close();
      }
    },
  });
}

gpuTest(
  "GpuAead.sealBatch() matches the RFC 8439 vectors and openBatch() reverses them",
  async (gpu) => {
    const vectors = RFC8439_AEAD_VECTORS;
    assert.equal(vectors.length, 2);
    const job = ({ key, nonce, aad }: AeadVector, data: Uint8Array) => ({ key, nonce, aad, data });
    const sealed = await gpu.sealBatch(vectors.map((v) => job(v, v.plaintext)));
    assert.deepEqual(sealed.map(toHex), vectors.map((v) => toHex(v.sealed)));
    const opened = await gpu.openBatch(vectors.map((v) => job(v, v.sealed)));
    assert.deepEqual(opened.map((p) => toHex(p!)), vectors.map((v) => toHex(v.plaintext)));
  },
);

gpuTest("GpuAead.sealBatch() equals @noble/ciphers at every boundary size", async (gpu) => {
  const jobs: AeadJob[] = [];
  for (const n of BOUNDARY_SIZES) {
    for (const aadLength of [0, 1, 15, 16, 17, ...(n === 64 ? [496, 497, 70000] : [])]) {
      jobs.push({ key: randomBytes(32), nonce: randomBytes(12), data: randomBytes(n) });
      jobs.at(-1)!.aad = aadLength === 0 ? undefined : randomBytes(aadLength);
    }
  }
  assert.deepEqual(await gpu.sealBatch(jobs), await nobleEngine.sealBatch(jobs));
});

gpuTest("GpuAead seal and open equal @noble/ciphers on thousands of random jobs", async (gpu) => {
  let total = 0;
  for (const count of [1, 2, 63, 64, 65, 700, 2500]) {
    const jobs = randomJobs(
      count,
      count > 100 ? () => Math.floor(Math.random() * 600) : mixedLength,
    );
    const expected = await nobleEngine.sealBatch(jobs);
    assert.deepEqual(await gpu.sealBatch(jobs), expected, `batch of ${count}`);
    const opened = await gpu.openBatch(jobs.map((j, i) => ({ ...j, data: expected[i] })));
    assert.deepEqual(opened, jobs.map((j) => j.data), `batch of ${count}`);
    total += count;
  }
  // A few batches with several 64 KiB chunks per job.
  for (let round = 0; round < 4; round++) {
    const jobs = randomJobs(40, mixedLength);
    assert.deepEqual(await gpu.sealBatch(jobs), await nobleEngine.sealBatch(jobs));
    total += jobs.length;
  }
  assert.ok(total > 3000);
});

gpuTest("GpuAead.openBatch() returns null for each tampered job and only for it", async (gpu) => {
  const jobs = randomJobs(12, () => 100);
  const sealed = await nobleEngine.sealBatch(jobs);
  const inputs: AeadJob[] = jobs.map((j, i) => ({ ...j, data: sealed[i] }));
  const flip = (bytes: Uint8Array, at: number) => {
    const copy = bytes.slice();
    copy[at] ^= 0x80;
    return copy;
  };
  const tampered: [number, string, AeadJob][] = [
    [1, "tag", { ...inputs[1], data: flip(sealed[1], 115) }],
    [3, "ciphertext", { ...inputs[3], data: flip(sealed[3], 0) }],
    [5, "aad", { ...inputs[5], aad: Uint8Array.of(...(jobs[5].aad ?? []), 0) }],
    [6, "truncated", { ...inputs[6], data: sealed[6].subarray(0, 115) }],
    [7, "shorter than a tag", { ...inputs[7], data: sealed[7].subarray(0, 15) }],
    [8, "wrong nonce", { ...inputs[8], nonce: randomBytes(12) }],
    [9, "wrong key", { ...inputs[9], key: randomBytes(32) }],
  ];
  for (const [i, , job] of tampered) inputs[i] = job;
  const opened = await gpu.openBatch(inputs);
  for (let i = 0; i < jobs.length; i++) {
    const what = tampered.find(([t]) => t === i)?.[1];
    if (what) assert.equal(opened[i], null, what);
    else assert.deepEqual(opened[i], jobs[i].data, `job ${i}`);
  }
  // No result's underlying buffer holds the plaintext of a job that failed.
  const contains = (haystack: Uint8Array, needle: Uint8Array) =>
    haystack.some((_, at) => needle.every((b, k) => haystack[at + k] === b));
  for (const result of opened.filter((r) => r !== null)) {
    const whole = new Uint8Array(result!.buffer);
    for (const [i] of tampered) assert.ok(!contains(whole, jobs[i].data.subarray(0, 32)));
  }
});

gpuTest("GpuAead does not modify its inputs", async (gpu) => {
  const jobs = randomJobs(50, mixedLength);
  const copies = jobs.map((j) => ({ ...j, key: j.key.slice(), data: j.data.slice() }));
  const sealed = await gpu.sealBatch(jobs);
  const sealedCopy = sealed.map((s) => s.slice());
  await gpu.openBatch(jobs.map((j, i) => ({ ...j, data: sealed[i] })));
  assert.deepEqual(jobs, copies);
  assert.deepEqual(sealed, sealedCopy);
});

gpuTest("GpuAead.sealBatch() of no jobs is empty", async (gpu) => {
  assert.deepEqual(await gpu.sealBatch([]), []);
  assert.deepEqual(await gpu.openBatch([]), []);
});

Deno.test("GpuAead rejects keys and nonces of the wrong length with RangeError", async () => {
  const gpu = new GpuAead({ fallback: nobleEngine, adapter: () => Promise.resolve(null) });
  const good = { key: new Uint8Array(32), nonce: new Uint8Array(12), data: new Uint8Array(1) };
  const cases: [string, AeadJob][] = [
    ["key 31", { ...good, key: new Uint8Array(31) }],
    ["key 33", { ...good, key: new Uint8Array(33) }],
    ["nonce 11", { ...good, nonce: new Uint8Array(11) }],
    ["nonce 13", { ...good, nonce: new Uint8Array(13) }],
  ];
  for (const [name, job] of cases) {
    await assert.rejects(gpu.sealBatch([good, job]), RangeError, name);
    await assert.rejects(gpu.openBatch([job]), RangeError, name);
  }
  await assert.rejects(
    gpu.sealBatch([{ ...good, data: "text" as unknown as Uint8Array }]),
    TypeError,
  );
});
