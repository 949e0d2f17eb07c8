import assert from "node:assert/strict";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { cpuBatchAead } from "../../core/crypto/batch_cpu.ts";
import type { AeadJob } from "../../core/crypto/batch_types.ts";
import { randomBytes as random } from "../crypto/_random.ts";

function jobs(lengths: number[]): AeadJob[] {
  return lengths.map((n, i) => ({
    key: random(32),
    nonce: random(12),
    data: random(n),
    aad: i % 2 === 0 ? undefined : random(i),
  }));
}

Deno.test("cpuBatchAead.sealBatch() matches @noble/ciphers for every job", async () => {
  const batch = jobs([0, 1, 63, 64, 65, 65535, 65536, 65537]);
  const sealed = await cpuBatchAead.sealBatch(batch);
  assert.equal(sealed.length, batch.length);
  batch.forEach((job, i) => {
    const expected = chacha20poly1305(job.key, job.nonce, job.aad).encrypt(job.data);
    assert.deepEqual(sealed[i], expected);
  });
});

Deno.test("cpuBatchAead.openBatch() opens sealed jobs and gives null for a bad tag", async () => {
  const batch = jobs([0, 1, 100, 65536]);
  const sealed = await cpuBatchAead.sealBatch(batch);
  const tampered = sealed.map((s, i) => {
    const copy = s.slice();
    if (i % 2 === 1) copy[copy.length - 1] ^= 1;
    return copy;
  });
  const opened = await cpuBatchAead.openBatch(
    batch.map((job, i) => ({ ...job, data: tampered[i] })),
  );
  batch.forEach((job, i) => {
    if (i % 2 === 1) assert.equal(opened[i], null);
    else assert.deepEqual(opened[i], job.data);
  });
});

Deno.test("cpuBatchAead.openBatch() gives null for input shorter than a tag", async () => {
  const [opened] = await cpuBatchAead.openBatch([{
    key: random(32),
    nonce: random(12),
    data: random(15),
  }]);
  assert.equal(opened, null);
});

Deno.test("cpuBatchAead rejects a key of the wrong length", async () => {
  await assert.rejects(
    cpuBatchAead.sealBatch([{ key: random(31), nonce: random(12), data: random(1) }]),
    RangeError,
  );
  await assert.rejects(
    cpuBatchAead.openBatch([{ key: random(32), nonce: random(11), data: random(16) }]),
    RangeError,
  );
});

Deno.test("cpuBatchAead does not modify its inputs and handles an empty batch", async () => {
  const batch = jobs([10]);
  const before = batch[0].data.slice();
  await cpuBatchAead.sealBatch(batch);
  assert.deepEqual(batch[0].data, before);
  assert.deepEqual(await cpuBatchAead.sealBatch([]), []);
  assert.deepEqual(await cpuBatchAead.openBatch([]), []);
  assert.equal(cpuBatchAead.name, "cpu");
});
