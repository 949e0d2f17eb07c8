/**
 * The CPU implementation of {@link BatchAead}: each job is sealed or opened
 * with the native ChaCha20-Poly1305 of aead.ts (RFC 8439 §2.8), in order; a
 * batch's sealed results lie back to back in one buffer.
 * It is the reference the WebGPU engine must match byte for byte.
 *
 * @module
 */
import { isMeteorError } from "../errors.ts";
import { AEAD_TAG_LENGTH, open, sealInto } from "./aead.ts";
import type { AeadJob, BatchAead } from "./batch_types.ts";

export type { AeadJob, BatchAead } from "./batch_types.ts";

/**
 * A batch engine running every job on the CPU.
 *
 * @example
 * ```ts
 * import { cpuBatchAead } from "./batch_cpu.ts";
 * const key = new Uint8Array(32);
 * const nonce = new Uint8Array(12);
 * const [sealed] = await cpuBatchAead.sealBatch([{ key, nonce, data: new Uint8Array(3) }]);
 * const [plain] = await cpuBatchAead.openBatch([{ key, nonce, data: sealed }]);
 * plain?.length; // 3
 * ```
 */
export const cpuBatchAead: BatchAead = {
  name: "cpu",
  sealBatch(jobs: readonly AeadJob[]): Promise<Uint8Array[]> {
    try {
      return Promise.resolve(sealAll(jobs));
    } catch (err) {
      return Promise.reject(err);
    }
  },
  openBatch(jobs: readonly AeadJob[]): Promise<(Uint8Array | null)[]> {
    try {
      return Promise.resolve(jobs.map(openOrNull));
    } catch (err) {
      return Promise.reject(err);
    }
  },
};

// Every result is a view of one buffer, back to back: a caller joining them
// (the age STREAM) needs no copy. A job that is not well-formed throws as seal() would.
function sealAll(jobs: readonly AeadJob[]): Uint8Array[] {
  let total = 0;
  for (const job of jobs) {
    total += (job.data instanceof Uint8Array ? job.data.length : 0) + AEAD_TAG_LENGTH;
  }
  const out = new Uint8Array(total);
  let at = 0;
  return jobs.map((job) => {
    const length = (job.data instanceof Uint8Array ? job.data.length : 0) + AEAD_TAG_LENGTH;
    const sealed = out.subarray(at, at += length);
    sealInto(sealed, job.key, job.nonce, job.data, job.aad);
    return sealed;
  });
}

// A tag that does not verify is a null result; misuse (bad lengths) still throws.
function openOrNull(job: AeadJob): Uint8Array | null {
  try {
    return open(job.key, job.nonce, job.data, job.aad);
  } catch (err) {
    if (isMeteorError(err, "E_DECRYPT_FAILED")) return null;
    throw err;
  }
}
