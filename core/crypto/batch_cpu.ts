/**
 * The CPU implementation of {@link BatchAead}: each job is sealed or opened
 * with the native ChaCha20-Poly1305 of aead.ts (RFC 8439 §2.8), in order.
 * Every result has its own buffer (its `.buffer` holds that job's bytes
 * only), and a batch to seal that reuses a (key, nonce) pair is refused with
 * E_NONCE_REUSE before anything is sealed.
 * It is the reference the WebGPU engine must match byte for byte.
 *
 * @module
 */
import { isMeteorError } from "../errors.ts";
import { open, seal } from "./aead.ts";
import { checkNoncesUnique } from "./_batch_check.ts";
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

// Every result has its own buffer: a result's .buffer shows nothing of other jobs. A job that is
// not well-formed throws as seal() would.
function sealAll(jobs: readonly AeadJob[]): Uint8Array[] {
  checkNoncesUnique(jobs);
  return jobs.map((job) => seal(job.key, job.nonce, job.data, job.aad));
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
