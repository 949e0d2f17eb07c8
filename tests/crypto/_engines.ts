/**
 * Test batch engines: one that records the batches it is given, and a
 * choice that sends every batch to it.
 *
 * @module
 */
import { seal } from "../../core/crypto/aead.ts";
import type { AeadJob, CipherPath, SelectingBatchAead } from "../../core/crypto/batch.ts";
import type { CipherChoice } from "../../core/crypto/cipher_choice.ts";

/** An engine that records the batches it is given and seals them on the CPU. */
export function recordingEngine(): SelectingBatchAead & { batches: number[] } {
  const batches: number[] = [];
  return {
    name: "recording",
    batches,
    sealBatch(jobs: readonly AeadJob[]) {
      batches.push(jobs.length);
      return Promise.resolve(jobs.map((j) => seal(j.key, j.nonce, j.data, j.aad)));
    },
    openBatch: () => Promise.reject(new Error("not used")),
    report: () => Promise.reject(new Error("not used")),
    close() {},
  };
}

/** A choice of WebGPU for every batch (as cipher.path "gpu" with an adapter makes). */
export function chooseWebgpu(path: CipherPath): Promise<CipherChoice> {
  return Promise.resolve({ path, engine: "webgpu", reason: "test adapter", calibrations: [] });
}
